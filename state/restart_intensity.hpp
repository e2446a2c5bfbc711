// OTP-style restart intensity: a supervisor may restart children at most
// `max_restarts` times within any `period`; one more means the fault is not
// transient and the supervisor gives up.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>

namespace ledgerd::state {

class restart_intensity {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  restart_intensity(size_t max_restarts, duration period);

  /// Records a restart at `now`. Returns false when it would be the
  /// (max_restarts + 1)-th restart within the period: the caller must stop.
  bool try_restart(time_point now);

  /// Number of restarts recorded within the period that ends at `now`.
  size_t recent(time_point now);

  size_t max_restarts() const {
    return max_restarts_;
  }

  duration period() const {
    return period_;
  }

private:
  void forget_before(time_point now);

  size_t max_restarts_;
  duration period_;
  std::deque<time_point> restarts_;
};

} // namespace ledgerd::state
