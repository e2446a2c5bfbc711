// Composite grants: a request that falls under several buckets at once (say a
// per-tenant and a per-endpoint budget) is granted only when every bucket
// admits it, and then takes a slot from each, atomically: when one bucket
// refuses, nothing is taken from the others. The earliest time to ask again
// is the latest of the buckets' earliest grants.
//
// The buckets are passed as a span of pointers (the caller owns them, e.g. in
// a map keyed by provider, client and tenant or endpoint); the grant's slots
// are aligned with that span, so the caller keeps the same buckets in the same
// order for the release. A bucket listed twice is one bucket: it gives one
// slot (listed at both positions) and is released once.
#pragma once

#include "state/rate_bucket.hpp"
#include "state/sliding_window.hpp"

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <optional>
#include <span>
#include <utility>
#include <variant>
#include <vector>

namespace ledgerd::state {

/// The slots of one composite grant: slots[i] was taken from buckets[i].
struct composite_grant {
  std::vector<slot_id> slots;

  friend bool operator==(const composite_grant&, const composite_grant&)
    = default;
};

/// Prints e.g. "composite_grant{slot#3, slot#9}".
std::ostream& operator<<(std::ostream& os, const composite_grant& x);

/// A refused composite request.
struct composite_denial {
  /// The latest of the refusing buckets' retry_at (time_point::max() when one
  /// of them awaits a release), and that bucket's reason.
  denial refused;

  /// Index into the buckets of the one whose retry_at binds (the first such).
  size_t bucket = 0;

  friend bool operator==(const composite_denial&, const composite_denial&)
    = default;
};

/// Prints e.g. "composite_denial{denial{window_full, retry_at=5000ms},
/// bucket=1}".
std::ostream& operator<<(std::ostream& os, const composite_denial& x);

/// The answer of try_acquire_all.
class composite_result {
public:
  composite_result(composite_grant grant)
    : x_(std::move(grant)) {}

  composite_result(composite_denial refused)
    : x_(refused) {}

  bool granted() const {
    return std::holds_alternative<composite_grant>(x_);
  }

  explicit operator bool() const {
    return granted();
  }

  /// The slots. Precondition: granted().
  const composite_grant& grant() const;

  /// Why not and when to ask again. Precondition: !granted().
  const composite_denial& refused() const;

  friend bool operator==(const composite_result&, const composite_result&)
    = default;

private:
  std::variant<composite_grant, composite_denial> x_;
};

/// Prints the grant or the denial.
std::ostream& operator<<(std::ostream& os, const composite_result& x);

/// Grants one slot from every bucket, or none. Refusing buckets see the
/// attempt (their refused count and saturation); admitting buckets are not
/// touched when another refuses. No buckets: granted with no slots.
/// Precondition: no null pointers.
composite_result try_acquire_all(std::span<rate_bucket* const> buckets,
                                 limiter_clock::time_point now);

/// What try_acquire_all(buckets, now) would answer, without granting:
/// std::nullopt when it would grant.
std::optional<composite_denial> check_all(std::span<rate_bucket* const> buckets,
                                          limiter_clock::time_point now);

/// The latest of the buckets' earliest grants: `now`, a time, or
/// time_point::max() (wait for a release in some bucket).
limiter_clock::time_point
earliest_grant_all(std::span<rate_bucket* const> buckets,
                   limiter_clock::time_point now);

/// A response other than a 429: rate_bucket::complete in every bucket.
/// Returns false when the grant does not fit the buckets (size) or some slot
/// was unknown; the others are still released.
bool complete_all(std::span<rate_bucket* const> buckets,
                  const composite_grant& grant,
                  limiter_clock::time_point response_time);

/// No response by `deadline`: rate_bucket::expire in every bucket.
bool expire_all(std::span<rate_bucket* const> buckets,
                const composite_grant& grant,
                limiter_clock::time_point deadline);

/// Never sent: rate_bucket::cancel in every bucket.
bool cancel_all(std::span<rate_bucket* const> buckets,
                const composite_grant& grant);

/// A 429 that the provider blames on buckets[blamed] (e.g. Visma's
/// per-endpoint quota): rate_bucket::throttled there, complete in the others
/// (the provider counted the request everywhere, but only one budget ran
/// out). Returns false for a blamed index out of range (then nothing is
/// released) or as complete_all does.
bool throttled_all(std::span<rate_bucket* const> buckets,
                   const composite_grant& grant, size_t blamed,
                   limiter_clock::time_point response_time,
                   std::optional<std::chrono::milliseconds> retry_after);

} // namespace ledgerd::state
