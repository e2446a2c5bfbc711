// Exponential backoff with full jitter for job retries.
//
// The n-th retry waits a uniformly random delay in [0, min(cap, base *
// 2^(n-1)))
// ("full jitter", see the AWS architecture blog "Exponential Backoff And
// Jitter"): retries of many jobs that failed together spread out instead of
// hitting the provider again in lockstep. Randomness is injected as a number
// `u` in [0, 1) so that the arithmetic stays pure and tests deterministic; the
// caller draws it, e.g. with std::uniform_real_distribution<double>{0, 1}.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>

namespace ledgerd::state {

/// Tunables of the retry backoff.
struct backoff_params {
  /// Upper bound of the first retry's delay (attempt 1). Negative counts as
  /// zero.
  std::chrono::milliseconds base = std::chrono::seconds{1};

  /// Largest upper bound of any retry's delay, however many attempts failed.
  /// Negative counts as zero.
  std::chrono::milliseconds cap = std::chrono::minutes{5};

  /// Largest provider-supplied retry_after that is honoured; a longer one is
  /// cut to this. Protects against nonsense values (a Retry-After of a year
  /// would park the job forever). Negative counts as zero.
  std::chrono::milliseconds max_retry_after = std::chrono::hours{1};

  friend bool operator==(const backoff_params&, const backoff_params&)
    = default;
};

/// Prints e.g. "backoff_params{base=1000ms, cap=300000ms,
/// max_retry_after=3600000ms}".
std::ostream& operator<<(std::ostream& os, const backoff_params& x);

/// The upper bound of the jitter range after the `attempt`-th failure:
/// min(cap, base * 2^(attempt-1)). Attempt counts from 1; smaller values count
/// as 1. Saturates at `cap` instead of overflowing, for any attempt.
std::chrono::milliseconds backoff_ceiling(const backoff_params& params,
                                          int attempt);

/// The full-jitter delay after the `attempt`-th failure: floor(u * ceiling),
/// so always in [0, ceiling) (exactly 0 when the ceiling is 0). `u` is a
/// uniform draw from [0, 1); values outside are clamped into that range and
/// NaN counts as 0.
std::chrono::milliseconds backoff_delay(const backoff_params& params,
                                        int attempt, double u);

/// When a job whose `attempt`-th try failed at `now` may run again:
/// now + max(backoff_delay(params, attempt, u), retry_after). A provider's
/// retry_after (e.g. HTTP Retry-After) wins only when it is later than the
/// computed delay, and is cut to params.max_retry_after. Saturates at
/// time_point::max() instead of overflowing.
std::chrono::system_clock::time_point
next_run_at(std::chrono::system_clock::time_point now,
            const backoff_params& params, int attempt, double u,
            std::optional<std::chrono::milliseconds> retry_after
            = std::nullopt);

} // namespace ledgerd::state
