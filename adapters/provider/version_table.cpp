#include "adapters/provider/version_table.hpp"

namespace ledgerd::provider {

const version_table* find_version(std::span<const version_table> versions,
                                  std::string_view name) {
  for (const auto& v : versions)
    if (v.name == name)
      return &v;
  return nullptr;
}

} // namespace ledgerd::provider
