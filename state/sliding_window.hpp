// An exact sliding-window limiter: at most `limit` admissions in any window of
// length `window`, with latency-safe accounting.
//
// The provider counts a request when it arrives, which is somewhere between
// our send and its response. So a grant does not record an admission: it
// hands out a *slot* that stays in flight, counted as if admitted now, until
// the caller stamps it at the response time (`complete`) or at the request's
// deadline when no response came (`expire`), or frees it because the request
// was never sent (`cancel`). A stamp counts for `window + margin` after its
// time; the margin covers clock granularity and jitter between our clock and
// the provider's.
//
// Why this is exact. Take any provider window [t, t + window) and the request
// X in it that we granted last, at g. X arrived at a >= g, so every other
// request Y in that window arrived after a - window >= g - window. When X was
// granted, each such Y was either in flight (counted) or stamped at s >= its
// arrival > g - window (counted too, as a stamp counts while now < s + window
// + margin). Since we grant only below `limit`, the window holds at most
// `limit` requests, whatever the latencies. The only assumptions are: a stamp
// is never earlier than the provider's arrival (stamp at or after the
// response or the deadline), `cancel` only for requests never sent, and `now`
// never earlier than the real time of the call (a stale `now` is only more
// conservative).
//
// A token bucket with burst N and refill N/W admits 2N requests in one window
// and is not a substitute. Everything here is pure: time comes in as `now`,
// there is no I/O, no exceptions and no randomness.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace ledgerd::state {

/// The limiter's clock. Only its types are used: time is passed in as `now`.
using limiter_clock = std::chrono::steady_clock;

/// Formats a limiter time as milliseconds since the clock's epoch, e.g.
/// "5000ms" or "5000.25ms" (microsecond resolution); time_point::max() is
/// "never".
std::string format_time(limiter_clock::time_point x);

/// Formats a duration as milliseconds, e.g. "50ms", "0.5ms" or "-3ms".
std::string format_duration(limiter_clock::duration x);

// -- slots and answers --------------------------------------------------------

/// Names one granted slot of one window (or bucket). Ids are unique per
/// window and never reused; 0 is never handed out.
struct slot_id {
  uint64_t value = 0;

  friend auto operator<=>(const slot_id&, const slot_id&) = default;
};

/// Prints e.g. "slot#7".
std::ostream& operator<<(std::ostream& os, slot_id x);

/// What the window knows about a slot in flight.
struct slot_info {
  /// The `now` of the try_acquire that granted it.
  limiter_clock::time_point granted_at;

  /// The window's limit at that grant (the adaptive limit learns from it).
  size_t limit = 0;

  friend bool operator==(const slot_info&, const slot_info&) = default;
};

/// Prints e.g. "slot_info{granted_at=5000ms, limit=25}".
std::ostream& operator<<(std::ostream& os, const slot_info& x);

/// Why a grant was refused.
enum class refusal : uint8_t {
  /// Stamped admissions (plus slots in flight) fill the window; a stamp
  /// leaves at `retry_at`.
  window_full,
  /// Slots in flight use the whole limit (or the limit is 0), so no time is
  /// known: retry_at is time_point::max(). Ask again after a complete,
  /// expire or cancel, or after the limit changed.
  awaiting_release,
  /// The bucket is paused after a 429 until `retry_at` (rate_bucket only).
  paused,
};

/// Returns the enumerator's name, e.g. "window_full".
std::string to_string(refusal x);

std::ostream& operator<<(std::ostream& os, refusal x);

/// A refused grant: when to ask again, and why.
struct denial {
  /// The earliest time at which a grant is possible if nothing else changes
  /// (no release, no new grant, no limit change, no pause). Always later than
  /// the `now` that was asked about; time_point::max() means "no time is
  /// known: wait for a release" (see refusal::awaiting_release).
  limiter_clock::time_point retry_at;

  /// The reason that binds at `retry_at`.
  refusal reason = refusal::window_full;

  friend bool operator==(const denial&, const denial&) = default;
};

/// Prints e.g. "denial{window_full, retry_at=5000ms}".
std::ostream& operator<<(std::ostream& os, const denial& x);

/// Prints the denial, or "no denial" (the answer of a check that grants).
std::ostream& operator<<(std::ostream& os, const std::optional<denial>& x);

/// The answer of try_acquire: a slot, or a denial.
class acquire_result {
public:
  acquire_result(slot_id slot)
    : x_(slot) {}

  acquire_result(denial refused)
    : x_(refused) {}

  bool granted() const {
    return std::holds_alternative<slot_id>(x_);
  }

  explicit operator bool() const {
    return granted();
  }

  /// The slot, now in flight. Precondition: granted().
  slot_id slot() const;

  /// Why not and when to ask again. Precondition: !granted().
  const denial& refused() const;

  friend bool operator==(const acquire_result&, const acquire_result&)
    = default;

private:
  std::variant<slot_id, denial> x_;
};

/// Prints the slot or the denial.
std::ostream& operator<<(std::ostream& os, const acquire_result& x);

// -- the window ---------------------------------------------------------------

/// Shape of a sliding window.
struct window_params {
  /// At most this many admissions in any window (N).
  size_t limit = 0;

  /// Length of the provider's window (W). Must be positive.
  limiter_clock::duration window = std::chrono::seconds{1};

  /// Extra time each stamp counts beyond `window`, for clock granularity and
  /// jitter. The limiter behaves as if the window were window + margin.
  /// Negative counts as zero.
  limiter_clock::duration margin = limiter_clock::duration::zero();

  friend bool operator==(const window_params&, const window_params&) = default;
};

/// Prints e.g. "window_params{limit=25, window=5000ms, margin=50ms}".
std::ostream& operator<<(std::ostream& os, const window_params& x);

/// Exact sliding-window limiter with in-flight slots (see the file comment).
///
/// Calls are expected with non-decreasing `now` (a steady clock); an earlier
/// `now` is answered conservatively. Stamps may arrive out of order.
class sliding_window {
public:
  using time_point = limiter_clock::time_point;
  using duration = limiter_clock::duration;

  explicit sliding_window(window_params params);

  // -- grants -----------------------------------------------------------------

  /// Grants a slot at `now` when stamps alive at `now` plus slots in flight
  /// are fewer than the limit. The slot is in flight until complete, expire
  /// or cancel. Otherwise returns when to ask again (earliest_grant) and why.
  acquire_result try_acquire(time_point now);

  /// What try_acquire(now) would answer, without granting: std::nullopt when
  /// it would grant.
  std::optional<denial> check(time_point now) const;

  /// The earliest time >= now at which try_acquire would grant if nothing
  /// changes in between: `now` when it would grant now, time_point::max()
  /// when slots in flight alone fill the limit (or the limit is 0). Exact: at
  /// the returned time it grants, one tick before it refuses.
  time_point earliest_grant(time_point now) const;

  // -- releases ---------------------------------------------------------------

  /// The response for `slot` arrived at `response_time`: the slot leaves
  /// flight and becomes a stamp at that time (never earlier than its grant).
  /// Returns false, changing nothing, for an unknown or already released
  /// slot.
  bool complete(slot_id slot, time_point response_time);

  /// No response came for `slot` by its deadline: stamped at `deadline`, the
  /// last moment the provider could have counted it. Same as complete; named
  /// for the call site. The deadline must be after which the request can no
  /// longer reach the provider (connection closed).
  bool expire(slot_id slot, time_point deadline);

  /// The request for `slot` was never sent: the slot is freed without a
  /// stamp. Returns false for an unknown or already released slot.
  bool cancel(slot_id slot);

  /// Records `count` admissions stamped at `at` that went around the slots
  /// (e.g. reported by the provider's remaining-quota header, or made by
  /// another process). They count like any stamp until at + window + margin.
  void record(time_point at, size_t count = 1);

  // -- limit ------------------------------------------------------------------

  /// Changes the limit. Stamps and slots in flight are kept: a lower limit
  /// delays grants until enough of them have left.
  void set_limit(size_t limit);

  size_t limit() const {
    return params_.limit;
  }

  duration window() const {
    return params_.window;
  }

  duration margin() const {
    return params_.margin;
  }

  /// window + margin: how long a stamp counts.
  duration span() const {
    return params_.window + params_.margin;
  }

  const window_params& params() const {
    return params_;
  }

  // -- introspection ----------------------------------------------------------

  /// Grants possible at `now`: limit - in flight - stamps alive at `now`,
  /// never below 0.
  size_t remaining(time_point now) const;

  /// Slots granted and not yet released.
  size_t in_flight() const {
    return in_flight_.size();
  }

  /// Stamps alive at `now` (they still count against the limit).
  size_t stamped(time_point now) const;

  /// When every stamp alive at `now` has left the window (newest stamp +
  /// window + margin), or `now` when none is alive. Slots in flight are not
  /// included: their stamps are not known yet.
  time_point reset_time(time_point now) const;

  /// What the window knows about `slot` while it is in flight.
  std::optional<slot_info> find(slot_id slot) const;

private:
  // Drops stamps that no longer count at `now`.
  void forget_before(time_point now);

  // Inserts a stamp, keeping stamps_ sorted.
  void insert_stamp(time_point at, size_t count);

  // First stamp alive at `now`.
  std::deque<time_point>::const_iterator first_alive(time_point now) const;

  window_params params_;
  /// Stamps, sorted ascending; may still hold some that no longer count.
  std::deque<time_point> stamps_;
  /// Slots in flight by id.
  std::map<uint64_t, slot_info> in_flight_;
  /// The next slot id.
  uint64_t next_id_ = 1;
};

} // namespace ledgerd::state
