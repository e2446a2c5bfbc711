#include "state/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>

namespace ledgerd::state {

namespace {

using std::chrono::milliseconds;
using time_point = std::chrono::system_clock::time_point;

milliseconds non_negative(milliseconds x) {
  return std::max(x, milliseconds::zero());
}

// now + d, saturating at time_point::max() (d >= 0).
time_point saturating_add(time_point now, milliseconds d) {
  using duration = time_point::duration;
  // Compare in milliseconds: converting a huge `d` to the clock's finer
  // duration first could itself overflow.
  auto headroom
    = std::chrono::duration_cast<milliseconds>(time_point::max() - now);
  if (d >= headroom)
    return time_point::max();
  return now + std::chrono::duration_cast<duration>(d);
}

} // namespace

std::ostream& operator<<(std::ostream& os, const backoff_params& x) {
  return os << "backoff_params{base=" << x.base.count()
            << "ms, cap=" << x.cap.count()
            << "ms, max_retry_after=" << x.max_retry_after.count() << "ms}";
}

milliseconds backoff_ceiling(const backoff_params& params, int attempt) {
  auto base = non_negative(params.base).count();
  auto cap = non_negative(params.cap).count();
  // Doublings after the first attempt: attempt 1 waits up to base.
  auto doublings = std::max(attempt, 1) - 1;
  if (base == 0)
    return milliseconds::zero();
  if (base >= cap)
    return milliseconds{cap};
  // For integers, base * 2^doublings <= cap  <=>  base <= cap >> doublings,
  // which never computes the possibly overflowing product. Shifting a 64-bit
  // value by 63 or more is undefined, but cap >> doublings would then be 0,
  // below base, anyway.
  if (doublings >= std::numeric_limits<int64_t>::digits
      || base > (cap >> doublings))
    return milliseconds{cap};
  return milliseconds{base << doublings};
}

milliseconds backoff_delay(const backoff_params& params, int attempt,
                           double u) {
  auto ceiling = backoff_ceiling(params, attempt).count();
  if (ceiling == 0)
    return milliseconds::zero();
  if (!(u > 0.0)) // Also catches NaN.
    return milliseconds::zero();
  auto scaled = std::floor(u * static_cast<double>(ceiling));
  // u >= 1, or rounding of u * ceiling for huge ceilings, must still stay
  // below the ceiling; checking in double also keeps the cast below defined.
  if (scaled >= static_cast<double>(ceiling))
    return milliseconds{ceiling - 1};
  return milliseconds{static_cast<int64_t>(scaled)};
}

time_point next_run_at(time_point now, const backoff_params& params,
                       int attempt, double u,
                       std::optional<milliseconds> retry_after) {
  auto delay = backoff_delay(params, attempt, u);
  if (retry_after) {
    auto honoured = std::min(non_negative(*retry_after),
                             non_negative(params.max_retry_after));
    delay = std::max(delay, honoured);
  }
  return saturating_add(now, delay);
}

} // namespace ledgerd::state
