#include "sim/pagination.hpp"

#include <algorithm>

namespace ledgerd::sim {

page_slice paginate(std::size_t total, std::size_t page, std::size_t size) {
  std::size_t pages = (total + size - 1) / size;
  std::size_t first = std::min(total, (page - 1) * size);
  return {first, std::min(size, total - first), pages};
}

} // namespace ledgerd::sim
