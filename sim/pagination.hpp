// Page arithmetic shared by both providers (1-based pages).
#pragma once

#include <cstddef>

namespace ledgerd::sim {

struct page_slice {
  std::size_t first;       // index of the first item on the page
  std::size_t count;       // items on the page (0 past the end)
  std::size_t total_pages; // ceil(total / size); 0 when there are no items
};

/// `page` >= 1 and `size` >= 1.
page_slice paginate(std::size_t total, std::size_t page, std::size_t size);

} // namespace ledgerd::sim
