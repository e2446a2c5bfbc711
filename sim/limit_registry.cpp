#include "sim/limit_registry.hpp"

namespace ledgerd::sim {

admission limit_registry::admit(const std::string& key, const limit_spec& spec,
                                sliding_window::clock::time_point now) {
  auto i = buckets_.find(key);
  if (i == buckets_.end()) {
    auto real = std::chrono::duration_cast<sliding_window::clock::duration>(
      std::chrono::duration<double, std::milli>(spec.nominal_window.count()
                                                / time_scale_));
    i = buckets_.emplace(key, bucket{spec, sliding_window{spec.limit, real}})
          .first;
  }
  auto& w = i->second.window;
  if (w.try_admit(now))
    return {true, {}};
  return {false, w.retry_after(now)};
}

uint64_t limit_registry::throttled_total() const {
  uint64_t n = 0;
  for (const auto& [key, b] : buckets_)
    n += b.window.throttled();
  return n;
}

nlohmann::json limit_registry::stats() const {
  auto list = nlohmann::json::array();
  for (const auto& [key, b] : buckets_) {
    const auto& w = b.window;
    auto real_ms = std::chrono::duration<double, std::milli>(w.window());
    list.push_back({{"key", key},
                    {"limit", b.spec.limit},
                    {"window_ms", b.spec.nominal_window.count()},
                    {"scaled_window_ms", real_ms.count()},
                    {"requests", w.admitted() + w.throttled()},
                    {"admitted", w.admitted()},
                    {"max_in_window", w.max_in_window()},
                    {"throttled", w.throttled()}});
  }
  return {{"buckets", list}, {"throttled_total", throttled_total()}};
}

} // namespace ledgerd::sim
