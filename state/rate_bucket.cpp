#include "state/rate_bucket.hpp"

#include <algorithm>
#include <ostream>

namespace ledgerd::state {

namespace {

using time_point = limiter_clock::time_point;
using duration = limiter_clock::duration;

window_params window_of(const bucket_params& x) {
  return {x.limit, x.window, x.margin};
}

// at + d, saturating at time_point::max() (d >= 0).
time_point saturating_add(time_point at, duration d) {
  if (at >= time_point::max() - d)
    return time_point::max();
  return at + d;
}

template<class T>
std::ostream& print_optional(std::ostream& os, const std::optional<T>& x) {
  if (x)
    return os << *x;
  return os << "none";
}

std::ostream& print_optional_time(std::ostream& os,
                                  const std::optional<time_point>& x) {
  if (x)
    return os << format_time(*x);
  return os << "none";
}

} // namespace

std::ostream& operator<<(std::ostream& os, const bucket_params& x) {
  os << "bucket_params{limit=" << x.limit
     << ", window=" << format_duration(x.window)
     << ", margin=" << format_duration(x.margin)
     << ", max_pause=" << format_duration(x.max_pause) << ", adaptive=";
  return print_optional(os, x.adaptive) << "}";
}

std::ostream& operator<<(std::ostream& os, const quota_hint& x) {
  os << "quota_hint{limit=";
  print_optional(os, x.limit) << ", remaining=";
  print_optional(os, x.remaining) << ", reset=";
  return print_optional_time(os, x.reset) << "}";
}

std::ostream& operator<<(std::ostream& os, const bucket_stats& x) {
  os << "bucket_stats{limit=" << x.limit
     << ", window=" << format_duration(x.window)
     << ", margin=" << format_duration(x.margin)
     << ", remaining=" << x.remaining
     << ", reset_time=" << format_time(x.reset_time)
     << ", in_flight=" << x.in_flight << ", paused_until=";
  print_optional_time(os, x.paused_until);
  return os << ", granted=" << x.granted << ", refused=" << x.refused
            << ", throttled=" << x.throttled
            << ", adaptive=" << (x.adaptive ? "true" : "false")
            << ", rate=" << x.rate << "/s}";
}

rate_bucket::rate_bucket(bucket_params params)
  : params_(params)
  , window_(window_of(params)) {
  params_.margin = window_.margin();
  params_.max_pause = std::max(params_.max_pause, duration::zero());
  if (params_.adaptive) {
    adaptive_.emplace(params_.limit, *params_.adaptive);
    sync_limit();
  }
}

// -- grants -------------------------------------------------------------------

acquire_result rate_bucket::try_acquire(time_point now) {
  if (auto refused = check(now)) {
    ++refused_;
    if (refused->reason != refusal::paused || window_.check(now))
      last_saturated_ = now;
    return *refused;
  }
  auto result = window_.try_acquire(now);
  // check() said yes, and the window answers the same for the same `now`.
  if (result.granted()) {
    ++granted_;
    if (window_.remaining(now) == 0)
      last_saturated_ = now;
  }
  return result;
}

std::optional<denial> rate_bucket::check(time_point now) const {
  auto refused = window_.check(now);
  if (auto until = paused_until(now)) {
    // The pause binds unless the window's own answer is later still.
    if (!refused || refused->retry_at < *until)
      return denial{*until, refusal::paused};
  }
  return refused;
}

time_point rate_bucket::earliest_grant(time_point now) const {
  if (auto refused = check(now))
    return refused->retry_at;
  return now;
}

// -- outcomes -----------------------------------------------------------------

bool rate_bucket::complete(slot_id slot, time_point response_time) {
  auto info = window_.find(slot);
  if (!info)
    return false;
  window_.complete(slot, response_time);
  if (adaptive_
      && adaptive_->on_success(info->granted_at, saturated(response_time),
                               response_time))
    sync_limit();
  return true;
}

bool rate_bucket::throttled(
  slot_id slot, time_point response_time,
  std::optional<std::chrono::milliseconds> retry_after) {
  auto info = window_.find(slot);
  if (!info)
    return false;
  window_.complete(slot, response_time);
  ++throttled_;
  auto wait = window_.span();
  if (retry_after) {
    // Clamp in milliseconds: a huge hint would overflow in nanoseconds.
    using std::chrono::milliseconds;
    auto cap = std::chrono::duration_cast<milliseconds>(params_.max_pause);
    wait = std::clamp(*retry_after, milliseconds::zero(), cap);
  }
  pause(saturating_add(response_time, wait));
  if (adaptive_
      && adaptive_->on_throttled(info->granted_at, info->limit, response_time))
    sync_limit();
  return true;
}

bool rate_bucket::expire(slot_id slot, time_point deadline) {
  return window_.expire(slot, deadline);
}

bool rate_bucket::cancel(slot_id slot) {
  return window_.cancel(slot);
}

// -- pause --------------------------------------------------------------------

void rate_bucket::pause(time_point until) {
  if (!paused_until_ || *paused_until_ < until)
    paused_until_ = until;
}

void rate_bucket::resume() {
  paused_until_.reset();
}

std::optional<time_point> rate_bucket::paused_until(time_point now) const {
  if (paused_until_ && now < *paused_until_)
    return paused_until_;
  return std::nullopt;
}

// -- what the provider says ---------------------------------------------------

void rate_bucket::observe_quota(const quota_hint& hint, time_point now) {
  if (hint.limit)
    set_known_limit(*hint.limit, now);
  if (!hint.remaining)
    return;
  auto ours = window_.remaining(now);
  if (*hint.remaining >= ours)
    return;
  // Stamps at `reset - span` leave the window exactly at `reset`. A reset
  // beyond max_pause is nonsense (or a misread epoch): cut it.
  auto leave_at = hint.reset ? *hint.reset : now + window_.window();
  if (leave_at <= now)
    return;
  leave_at = std::min(leave_at, saturating_add(now, params_.max_pause));
  window_.record(leave_at - window_.span(), ours - *hint.remaining);
}

void rate_bucket::set_known_limit(size_t limit, time_point now) {
  if (limit == 0)
    return;
  if (adaptive_) {
    adaptive_->set_known(limit, now);
    sync_limit();
  } else {
    window_.set_limit(limit);
  }
}

// -- introspection ------------------------------------------------------------

bool rate_bucket::saturated(time_point now) const {
  return last_saturated_ && now - *last_saturated_ <= window_.span();
}

bucket_stats rate_bucket::stats(time_point now) const {
  bucket_stats result;
  result.limit = window_.limit();
  result.window = window_.window();
  result.margin = window_.margin();
  result.remaining = window_.remaining(now);
  result.reset_time = window_.reset_time(now);
  result.in_flight = window_.in_flight();
  result.paused_until = paused_until(now);
  result.granted = granted_;
  result.refused = refused_;
  result.throttled = throttled_;
  result.adaptive = adaptive_.has_value();
  result.rate = static_cast<double>(window_.limit())
                / std::chrono::duration<double>(window_.window()).count();
  return result;
}

void rate_bucket::sync_limit() {
  window_.set_limit(adaptive_->limit());
}

} // namespace ledgerd::state
