#include "state/event_dedup.hpp"

#include <algorithm>

namespace ledgerd::state {

event_dedup::event_dedup(std::size_t window)
  : window_(std::max<std::size_t>(window, 1)) {}

bool event_dedup::admit(const std::string& topic, const std::string& offset) {
  auto& mem = topics_[topic];
  if (!mem.offsets.insert(offset).second)
    return false;
  mem.order.push_back(offset);
  evict(mem);
  return true;
}

bool event_dedup::contains(const std::string& topic,
                           const std::string& offset) const {
  auto i = topics_.find(topic);
  return i != topics_.end() && i->second.offsets.count(offset) > 0;
}

void event_dedup::forget(const std::string& topic, const std::string& offset) {
  auto i = topics_.find(topic);
  if (i == topics_.end() || i->second.offsets.erase(offset) == 0)
    return;
  // Linear, but rare: only unhandled events at a reconnect are forgotten.
  auto& order = i->second.order;
  order.erase(std::find(order.begin(), order.end(), offset));
}

std::size_t event_dedup::size(const std::string& topic) const {
  auto i = topics_.find(topic);
  return i == topics_.end() ? 0 : i->second.offsets.size();
}

void event_dedup::evict(topic_memory& mem) {
  while (mem.offsets.size() > window_) {
    auto oldest = std::move(mem.order.front());
    mem.order.pop_front();
    mem.offsets.erase(oldest);
  }
}

} // namespace ledgerd::state
