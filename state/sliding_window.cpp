#include "state/sliding_window.hpp"

#include <algorithm>
#include <cassert>
#include <ostream>

namespace ledgerd::state {

namespace {

using time_point = limiter_clock::time_point;
using duration = limiter_clock::duration;

} // namespace

std::string format_duration(duration x) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  auto negative = x < duration::zero();
  auto us = duration_cast<microseconds>(negative ? -x : x).count();
  auto result = (negative ? "-" : "") + std::to_string(us / 1000);
  if (auto rest = us % 1000; rest != 0) {
    // Sub-millisecond rest as a decimal fraction without trailing zeros.
    auto frac = std::to_string(rest);
    frac.insert(0, 3 - frac.size(), '0');
    while (frac.back() == '0')
      frac.pop_back();
    result += "." + frac;
  }
  return result + "ms";
}

std::string format_time(time_point x) {
  if (x == time_point::max())
    return "never";
  return format_duration(x.time_since_epoch());
}

// -- slots and answers --------------------------------------------------------

std::ostream& operator<<(std::ostream& os, slot_id x) {
  return os << "slot#" << x.value;
}

std::ostream& operator<<(std::ostream& os, const slot_info& x) {
  return os << "slot_info{granted_at=" << format_time(x.granted_at)
            << ", limit=" << x.limit << "}";
}

std::string to_string(refusal x) {
  switch (x) {
  case refusal::window_full:
    return "window_full";
  case refusal::awaiting_release:
    return "awaiting_release";
  case refusal::paused:
    return "paused";
  }
  return "refusal(" + std::to_string(static_cast<int>(x)) + ")";
}

std::ostream& operator<<(std::ostream& os, refusal x) {
  return os << to_string(x);
}

std::ostream& operator<<(std::ostream& os, const denial& x) {
  return os << "denial{" << x.reason << ", retry_at=" << format_time(x.retry_at)
            << "}";
}

std::ostream& operator<<(std::ostream& os, const std::optional<denial>& x) {
  if (x)
    return os << *x;
  return os << "no denial";
}

slot_id acquire_result::slot() const {
  assert(granted());
  return std::get<slot_id>(x_);
}

const denial& acquire_result::refused() const {
  assert(!granted());
  return std::get<denial>(x_);
}

std::ostream& operator<<(std::ostream& os, const acquire_result& x) {
  if (x.granted())
    return os << "granted " << x.slot();
  return os << x.refused();
}

std::ostream& operator<<(std::ostream& os, const window_params& x) {
  return os << "window_params{limit=" << x.limit
            << ", window=" << format_duration(x.window)
            << ", margin=" << format_duration(x.margin) << "}";
}

// -- the window ---------------------------------------------------------------

sliding_window::sliding_window(window_params params)
  : params_(params) {
  assert(params_.window > duration::zero());
  params_.margin = std::max(params_.margin, duration::zero());
}

acquire_result sliding_window::try_acquire(time_point now) {
  forget_before(now);
  if (auto refused = check(now))
    return *refused;
  auto id = next_id_++;
  in_flight_.emplace(id, slot_info{now, params_.limit});
  return slot_id{id};
}

std::optional<denial> sliding_window::check(time_point now) const {
  auto at = earliest_grant(now);
  if (at <= now)
    return std::nullopt;
  if (at == time_point::max())
    return denial{at, refusal::awaiting_release};
  return denial{at, refusal::window_full};
}

time_point sliding_window::earliest_grant(time_point now) const {
  if (in_flight_.size() >= params_.limit)
    return time_point::max();
  // Room for k more stamps; m are alive. With m >= k, a grant needs the
  // oldest m - k + 1 alive stamps gone: the (m - k)-th (0-based) leaves at
  // its time + span.
  auto k = params_.limit - in_flight_.size();
  auto first = first_alive(now);
  auto m = static_cast<size_t>(stamps_.end() - first);
  if (m < k)
    return now;
  return *(first + static_cast<std::ptrdiff_t>(m - k)) + span();
}

bool sliding_window::complete(slot_id slot, time_point response_time) {
  auto i = in_flight_.find(slot.value);
  if (i == in_flight_.end())
    return false;
  // A response cannot precede the grant; clamping keeps a buggy caller's
  // stamp at or after the send, which is all exactness needs.
  auto at = std::max(response_time, i->second.granted_at);
  in_flight_.erase(i);
  insert_stamp(at, 1);
  return true;
}

bool sliding_window::expire(slot_id slot, time_point deadline) {
  return complete(slot, deadline);
}

bool sliding_window::cancel(slot_id slot) {
  return in_flight_.erase(slot.value) > 0;
}

void sliding_window::record(time_point at, size_t count) {
  insert_stamp(at, count);
}

void sliding_window::set_limit(size_t limit) {
  params_.limit = limit;
}

size_t sliding_window::remaining(time_point now) const {
  auto used = in_flight_.size() + stamped(now);
  return used >= params_.limit ? 0 : params_.limit - used;
}

size_t sliding_window::stamped(time_point now) const {
  return static_cast<size_t>(stamps_.end() - first_alive(now));
}

time_point sliding_window::reset_time(time_point now) const {
  if (first_alive(now) == stamps_.end())
    return now;
  return stamps_.back() + span();
}

std::optional<slot_info> sliding_window::find(slot_id slot) const {
  auto i = in_flight_.find(slot.value);
  if (i == in_flight_.end())
    return std::nullopt;
  return i->second;
}

void sliding_window::forget_before(time_point now) {
  stamps_.erase(stamps_.begin(), first_alive(now));
}

void sliding_window::insert_stamp(time_point at, size_t count) {
  // Responses come mostly in order: search from the back.
  auto pos = stamps_.end();
  if (!stamps_.empty() && stamps_.back() > at)
    pos = std::upper_bound(stamps_.begin(), stamps_.end(), at);
  stamps_.insert(pos, count, at);
}

std::deque<time_point>::const_iterator
sliding_window::first_alive(time_point now) const {
  // A stamp s counts while now < s + span, i.e. s > now - span: one exactly
  // a span ago has left the window.
  return std::upper_bound(stamps_.begin(), stamps_.end(), now - span());
}

} // namespace ledgerd::state
