#include "sim/sliding_window.hpp"

#include <algorithm>

namespace ledgerd::sim {

sliding_window::sliding_window(std::size_t limit, clock::duration window)
  : limit_(limit)
  , window_(window) {}

void sliding_window::expire(clock::time_point now) {
  // An admission at exactly now - window has left the window.
  while (!admitted_at_.empty() && admitted_at_.front() <= now - window_)
    admitted_at_.pop_front();
}

bool sliding_window::try_admit(clock::time_point now) {
  expire(now);
  if (admitted_at_.size() >= limit_) {
    ++throttled_;
    return false;
  }
  admitted_at_.push_back(now);
  ++admitted_;
  max_in_window_ = std::max(max_in_window_, admitted_at_.size());
  return true;
}

sliding_window::clock::duration
sliding_window::retry_after(clock::time_point now) const {
  if (admitted_at_.size() < limit_)
    return clock::duration::zero();
  // The slot frees when the request `limit` places from the end leaves.
  auto oldest = admitted_at_[admitted_at_.size() - limit_];
  return std::max(clock::duration::zero(), oldest + window_ - now);
}

} // namespace ledgerd::sim
