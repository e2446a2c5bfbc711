// One exact sliding-window rate limit, judged on request arrival.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>

namespace ledgerd::sim {

class sliding_window {
public:
  using clock = std::chrono::steady_clock;

  sliding_window(std::size_t limit, clock::duration window);

  /// Admits a request arriving at `now` when fewer than `limit` requests
  /// were admitted in (now - window, now]. A rejected request does not
  /// count toward the window: the providers answer it with 429 before any
  /// work, and counting it would let a client that keeps retrying lock
  /// itself out forever, which neither provider documents.
  bool try_admit(clock::time_point now);

  /// Time until the oldest admitted request leaves the window (zero when a
  /// slot is free at `now`).
  clock::duration retry_after(clock::time_point now) const;

  std::size_t limit() const {
    return limit_;
  }

  clock::duration window() const {
    return window_;
  }

  uint64_t admitted() const {
    return admitted_;
  }

  uint64_t throttled() const {
    return throttled_;
  }

  /// Most admissions in any window of the configured length: exact, since
  /// the busiest window always ends at an admission.
  std::size_t max_in_window() const {
    return max_in_window_;
  }

private:
  void expire(clock::time_point now);

  std::size_t limit_;
  clock::duration window_;
  std::deque<clock::time_point> admitted_at_;
  uint64_t admitted_ = 0;
  uint64_t throttled_ = 0;
  std::size_t max_in_window_ = 0;
};

} // namespace ledgerd::sim
