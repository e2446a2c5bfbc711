// Events in the last minute, in one-second slots: constant memory and time
// whatever the rate (a log of event times would grow with it).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace ledgerd::state {

class minute_counter {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Counts `n` events at `now`.
  void add(time_point now, uint64_t n = 1) {
    auto sec = second_of(now);
    auto& slot = slots_[index(sec)];
    if (slot.second != sec)
      slot = {sec, 0};
    slot.count += n;
  }

  /// Events in the 60 seconds up to and including `now`'s second.
  uint64_t last_minute(time_point now) const {
    auto sec = second_of(now);
    uint64_t sum = 0;
    for (auto& slot : slots_)
      if (slot.second > sec - 60 && slot.second <= sec)
        sum += slot.count;
    return sum;
  }

private:
  struct slot {
    int64_t second = INT64_MIN;
    uint64_t count = 0;
  };

  static int64_t second_of(time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(
             t.time_since_epoch())
      .count();
  }

  static size_t index(int64_t sec) {
    return static_cast<size_t>(((sec % 60) + 60) % 60);
  }

  std::array<slot, 60> slots_{};
};

} // namespace ledgerd::state
