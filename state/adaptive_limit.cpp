#include "state/adaptive_limit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>

namespace ledgerd::state {

namespace {

constexpr auto size_max = std::numeric_limits<size_t>::max();

size_t saturating_add(size_t x, size_t y) {
  return x > size_max - y ? size_max : x + y;
}

adaptive_params normalized(adaptive_params x) {
  x.min = std::max(x.min, size_t{1});
  x.max = std::max(x.max, x.min);
  x.increase = std::max(x.increase, size_t{1});
  if (!(x.decrease > 0.0 && x.decrease < 1.0)) // Also catches NaN.
    x.decrease = 0.5;
  return x;
}

} // namespace

std::ostream& operator<<(std::ostream& os, const adaptive_params& x) {
  return os << "adaptive_params{min=" << x.min << ", max=" << x.max
            << ", increase=" << x.increase << ", decrease=" << x.decrease
            << ", slow_start=" << (x.slow_start ? "true" : "false")
            << ", reprobe_after=" << x.reprobe_after << "}";
}

adaptive_limit::adaptive_limit(size_t initial, adaptive_params params)
  : params_(normalized(params))
  , limit_(std::clamp(initial, params_.min, params_.max))
  , slow_start_(params_.slow_start)
  , level_since_(time_point::min()) {}

bool adaptive_limit::on_success(time_point granted_at, bool saturated,
                                time_point now) {
  if (known_ || !saturated || granted_at < level_since_)
    return false;
  if (++credit_ < limit_)
    return false;
  // A window's worth of clean responses at this limit.
  credit_ = 0;
  verified_ = std::max(verified_, limit_);
  auto top = cap();
  if (limit_ >= top) {
    if (!ceiling_ || params_.reprobe_after == 0 || limit_ >= params_.max)
      return false;
    if (++windows_at_cap_ < params_.reprobe_after)
      return false;
    windows_at_cap_ = 0;
    ceiling_ = saturating_add(*ceiling_, params_.increase);
    top = cap();
    if (limit_ >= top)
      return false;
  }
  size_t next = 0;
  if (slow_start_) {
    next = saturating_add(limit_, limit_);
  } else {
    auto step = params_.increase;
    if (ceiling_)
      step = std::max(step, (top - limit_) / 2);
    next = saturating_add(limit_, step);
  }
  return change_to(std::min(next, top), now);
}

bool adaptive_limit::on_throttled(time_point granted_at, size_t granted_limit,
                                  time_point now) {
  if (known_)
    return false;
  if (last_decrease_ && granted_at < *last_decrease_)
    return false;
  auto at = std::max(granted_limit, size_t{1});
  ceiling_ = ceiling_ ? std::min(*ceiling_, at) : at;
  slow_start_ = false;
  // A 429 at a level that once ran clean: the provider's limit fell (or
  // someone else now shares it), so that level proves nothing any more.
  if (verified_ >= at)
    verified_ = 0;
  auto cut = static_cast<size_t>(
    std::floor(static_cast<double>(at) * params_.decrease));
  auto next = std::clamp(std::max(cut, verified_), params_.min, params_.max);
  last_decrease_ = now;
  ++decreases_;
  windows_at_cap_ = 0;
  return change_to(next, now);
}

bool adaptive_limit::set_known(size_t limit, time_point now) {
  if (limit == 0)
    return false;
  known_ = limit;
  slow_start_ = false;
  return change_to(limit, now);
}

bool adaptive_limit::change_to(size_t limit, time_point now) {
  auto changed = limit != limit_;
  limit_ = limit;
  credit_ = 0;
  level_since_ = now;
  return changed;
}

size_t adaptive_limit::cap() const {
  auto top = params_.max;
  if (ceiling_)
    top = std::min(top, *ceiling_ - 1);
  return std::max(top, params_.min);
}

std::ostream& operator<<(std::ostream& os, const adaptive_limit& x) {
  os << "adaptive_limit{limit=" << x.limit() << ", ceiling=";
  if (x.ceiling())
    os << *x.ceiling();
  else
    os << "none";
  os << ", verified=" << x.verified()
     << ", slow_start=" << (x.in_slow_start() ? "true" : "false") << ", known=";
  if (x.known())
    os << *x.known();
  else
    os << "none";
  return os << ", decreases=" << x.decreases() << "}";
}

} // namespace ledgerd::state
