// One rate-limit bucket: what one provider counts under one key (Fortnox:
// client + tenant, 25 per 5 s; Visma: client + endpoint, 600 per 60 s).
//
// A bucket is an exact sliding window (state/sliding_window.hpp) plus:
// - a pause: after a 429 nothing is granted until the provider's Retry-After
//   / "try again in N seconds", or one window when it gave no hint;
// - optionally an adaptive limit (state/adaptive_limit.hpp) for providers
//   whose limit is learned at run time; the window's limit follows it;
// - the provider's own quota statements (X-RateLimit-Limit / -Remaining /
//   -Reset style), which fix the limit and pull our remaining count down to
//   theirs;
// - counters for introspection (bucket_stats).
//
// Life of a request: try_acquire -> slot in flight -> exactly one of
// complete (any response but a 429), throttled (a 429), expire (no response
// by the deadline) or cancel (never sent). Pure: time comes in as `now`.
#pragma once

#include "state/adaptive_limit.hpp"
#include "state/sliding_window.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>

namespace ledgerd::state {

/// Configuration of one bucket.
struct bucket_params {
  /// At most this many requests in any window: the fixed limit, or the
  /// adaptive limit's start when `adaptive` is set.
  size_t limit = 25;

  /// The provider's window length. Must be positive.
  limiter_clock::duration window = std::chrono::seconds{5};

  /// Safety margin: the limiter acts as if the window were window + margin.
  limiter_clock::duration margin = limiter_clock::duration::zero();

  /// Longest pause a provider's retry hint can impose; a longer one is cut
  /// to this (nonsense values must not park a bucket for a year).
  limiter_clock::duration max_pause = std::chrono::hours{1};

  /// When set, the limit is learned (AIMD) starting from `limit`.
  std::optional<adaptive_params> adaptive;

  friend bool operator==(const bucket_params&, const bucket_params&) = default;
};

/// Prints e.g. "bucket_params{limit=25, window=5000ms, margin=50ms,
/// max_pause=3600000ms, adaptive=none}".
std::ostream& operator<<(std::ostream& os, const bucket_params& x);

/// What a provider said about its quota in a response (X-RateLimit-* style).
/// The caller parses the headers and converts a reset given as seconds or as
/// an epoch into limiter time.
struct quota_hint {
  /// The provider's limit per window.
  std::optional<size_t> limit;

  /// Requests the provider still admits before `reset`.
  std::optional<size_t> remaining;

  /// When the provider's count resets (limiter time).
  std::optional<limiter_clock::time_point> reset;

  friend bool operator==(const quota_hint&, const quota_hint&) = default;
};

/// Prints e.g. "quota_hint{limit=600, remaining=12, reset=60000ms}" ("none"
/// for missing values).
std::ostream& operator<<(std::ostream& os, const quota_hint& x);

/// A snapshot of one bucket for metrics, the console and logs.
struct bucket_stats {
  /// The effective limit per window (the adaptive limit when adaptive).
  size_t limit = 0;

  /// The provider's window and our margin on top of it.
  limiter_clock::duration window{};
  limiter_clock::duration margin{};

  /// Grants possible now, ignoring a pause.
  size_t remaining = 0;

  /// When every stamp recorded so far has left the window.
  limiter_clock::time_point reset_time{};

  /// Slots granted and not yet released.
  size_t in_flight = 0;

  /// End of the current pause, if paused.
  std::optional<limiter_clock::time_point> paused_until;

  /// Slots granted, try_acquire calls refused, and 429s seen, since start.
  uint64_t granted = 0;
  uint64_t refused = 0;
  uint64_t throttled = 0;

  /// Whether the limit is learned, and the current rate in requests per
  /// second (limit / window).
  bool adaptive = false;
  double rate = 0;

  friend bool operator==(const bucket_stats&, const bucket_stats&) = default;
};

/// Prints e.g. "bucket_stats{limit=25, window=5000ms, margin=50ms,
/// remaining=3, reset_time=12000ms, in_flight=2, paused_until=none,
/// granted=40, refused=7, throttled=0, adaptive=false, rate=5/s}".
std::ostream& operator<<(std::ostream& os, const bucket_stats& x);

/// One bucket (see the file comment).
class rate_bucket {
public:
  using time_point = limiter_clock::time_point;
  using duration = limiter_clock::duration;

  explicit rate_bucket(bucket_params params);

  // -- grants -----------------------------------------------------------------

  /// Grants a slot at `now`, or says when to ask again: while paused the
  /// denial is `paused` and retry_at is the later of the pause's end and the
  /// window's earliest grant; otherwise as sliding_window::try_acquire.
  acquire_result try_acquire(time_point now);

  /// What try_acquire(now) would answer, without granting or counting:
  /// std::nullopt when it would grant.
  std::optional<denial> check(time_point now) const;

  /// The earliest time >= now at which try_acquire would grant if nothing
  /// changes: `now`, a time, or time_point::max() (wait for a release).
  time_point earliest_grant(time_point now) const;

  // -- outcomes ---------------------------------------------------------------

  /// Any response other than a 429 arrived at `response_time`: stamps the
  /// slot there and, when adaptive, counts as a clean response. Returns false
  /// for an unknown or already released slot.
  bool complete(slot_id slot, time_point response_time);

  /// A 429 arrived at `response_time`: stamps the slot there (assume the
  /// provider counted it), counts the 429, pauses the bucket until
  /// response_time + retry_after (cut to max_pause), or + window + margin
  /// without a hint, and, when adaptive, cuts the limit. Returns false for an
  /// unknown or already released slot (then nothing happens; call pause()
  /// for a 429 that belongs to no slot).
  bool throttled(slot_id slot, time_point response_time,
                 std::optional<std::chrono::milliseconds> retry_after);

  /// No response by `deadline`: stamps the slot at the deadline. No signal
  /// for the adaptive limit.
  bool expire(slot_id slot, time_point deadline);

  /// The request was never sent: frees the slot without a stamp.
  bool cancel(slot_id slot);

  // -- pause ------------------------------------------------------------------

  /// Grants nothing before `until`. Only extends: an earlier end than the
  /// current pause's changes nothing.
  void pause(time_point until);

  /// Ends any pause at once.
  void resume();

  /// The pause's end when paused at `now`.
  std::optional<time_point> paused_until(time_point now) const;

  // -- what the provider says -------------------------------------------------

  /// Applies a provider's quota statement received at `now` (call it after
  /// complete/throttled for the response that carried it):
  /// - `limit` fixes the limit (adaptation stops);
  /// - `remaining` below ours records the difference as admissions that
  ///   leave the window at `reset` (or a full window after `now` without a
  ///   reset; at most max_pause after `now`), so we never exceed what the
  ///   provider still admits; a larger `remaining` is ignored (ours counts
  ///   requests not yet arrived), and so is a reset that already passed.
  void observe_quota(const quota_hint& hint, time_point now);

  /// The provider's limit is known: fixes it (adaptation stops). 0 is
  /// ignored.
  void set_known_limit(size_t limit, time_point now);

  // -- introspection ----------------------------------------------------------

  size_t limit() const {
    return window_.limit();
  }

  size_t remaining(time_point now) const {
    return window_.remaining(now);
  }

  time_point reset_time(time_point now) const {
    return window_.reset_time(now);
  }

  size_t in_flight() const {
    return window_.in_flight();
  }

  /// 429s seen.
  uint64_t throttled_count() const {
    return throttled_;
  }

  /// The bucket had to refuse a request (not for a pause), or used its
  /// whole limit, within the last window + margin before `now`.
  bool saturated(time_point now) const;

  const sliding_window& window() const {
    return window_;
  }

  /// The adaptive state; nullptr for a fixed limit.
  const adaptive_limit* adaptive() const {
    return adaptive_ ? &*adaptive_ : nullptr;
  }

  const bucket_params& params() const {
    return params_;
  }

  bucket_stats stats(time_point now) const;

private:
  // Copies the adaptive limit into the window.
  void sync_limit();

  bucket_params params_;
  sliding_window window_;
  std::optional<adaptive_limit> adaptive_;
  std::optional<time_point> paused_until_;
  std::optional<time_point> last_saturated_;
  uint64_t granted_ = 0;
  uint64_t refused_ = 0;
  uint64_t throttled_ = 0;
};

} // namespace ledgerd::state
