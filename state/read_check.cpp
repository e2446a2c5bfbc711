#include "state/read_check.hpp"

#include <algorithm>
#include <vector>

namespace ledgerd::state {

std::chrono::sys_seconds read_check::next_bound() const {
  std::vector<std::chrono::sys_seconds> bounds;
  bounds.reserve(pending.size());
  for (const auto& [id, bound] : pending)
    bounds.push_back(bound);
  if (lists == 0)
    return *std::min_element(bounds.begin(), bounds.end());
  auto median = bounds.begin() + static_cast<std::ptrdiff_t>(bounds.size() / 2);
  std::nth_element(bounds.begin(), median, bounds.end());
  return *median;
}

void read_check::apply(std::chrono::sys_seconds bound,
                       const std::set<std::string>& changed) {
  ++lists;
  std::erase_if(pending, [&](const auto& entry) {
    if (changed.contains(entry.first))
      return entry.second <= bound; // changed since its read: fetch it
    if (entry.second >= bound) {
      current.insert(entry.first);
      return true;
    }
    return false;
  });
}

} // namespace ledgerd::state
