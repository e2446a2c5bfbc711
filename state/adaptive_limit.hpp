// Learning a provider's unknown limit at run time (Visma: "detected at run
// time"): AIMD on the number of requests per window.
//
// The limit starts conservative and is the effective limit of the bucket's
// exact sliding window, so below the provider's true limit T no 429 can
// happen. Only full use can show that a level is safe, so the limit grows
// only while the bucket is saturated (it had to refuse someone within the
// last window) and responses are clean:
//
// - slow start (until the first 429, optional): after a window's worth of
//   clean saturated responses (as many as the limit) the limit doubles;
// - additive increase: after a window's worth of clean saturated responses
//   the limit grows by `increase`; while a limit that drew a 429 is known
//   (the ceiling), the step is half the distance to ceiling - 1 when that is
//   larger (binary search), and the limit never exceeds ceiling - 1;
// - multiplicative decrease on a 429: the limit L under which the throttled
//   request was granted becomes the ceiling, and the limit drops to
//   L * decrease, but not below the highest level that ran a window's worth
//   clean (`verified`) when that is below L. A 429 at or below `verified`
//   means the true limit fell: `verified` is forgotten and the full cut
//   applies. 429s for requests granted before the last decrease are echoes
//   of the same overload and change nothing.
//
// With an exact window (and no one else spending the same budget), a limit
// <= T never draws a 429, and the first level above a verified one that
// draws one becomes the ceiling: the limit settles at T (or just below, when
// a level above T happened to run clean once and then drew a 429) and stays
// there without further 429s. Because the ceiling is never raised again, a
// provider that raises its limit later is only noticed with `reprobe_after`
// set: after that many clean saturated windows at ceiling - 1 the ceiling
// moves up one step, at the price of one round of 429s (the requests in
// flight) and one pause per probe when nothing changed.
//
// When the provider states its limit (e.g. an X-RateLimit-Limit header),
// `set_known` fixes it and adaptation stops. Pure: `now` comes in, no I/O.
#pragma once

#include "state/sliding_window.hpp"

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>

namespace ledgerd::state {

/// Tunables of the adaptive limit.
struct adaptive_params {
  /// The limit never drops below this (at least 1).
  size_t min = 1;

  /// The limit never grows above this.
  size_t max = 100'000;

  /// Additive step after a window's worth of clean saturated responses (at
  /// least 1).
  size_t increase = 1;

  /// Multiplicative decrease on a 429, in (0, 1); values outside count as
  /// 0.5.
  double decrease = 0.5;

  /// Double the limit per clean saturated window until the first 429.
  bool slow_start = true;

  /// After this many clean saturated windows at ceiling - 1, raise the
  /// ceiling by `increase` to probe whether the provider's limit grew. 0 (the
  /// default) never probes again: no 429 after convergence.
  size_t reprobe_after = 0;

  friend bool operator==(const adaptive_params&, const adaptive_params&)
    = default;
};

/// Prints e.g. "adaptive_params{min=1, max=100000, increase=1, decrease=0.5,
/// slow_start=true, reprobe_after=0}".
std::ostream& operator<<(std::ostream& os, const adaptive_params& x);

/// AIMD state of one bucket (see the file comment).
class adaptive_limit {
public:
  using time_point = limiter_clock::time_point;

  /// Starts at `initial`, clamped into [min, max].
  adaptive_limit(size_t initial, adaptive_params params);

  /// The current limit: requests per window.
  size_t limit() const {
    return limit_;
  }

  /// A clean (not throttled) response for a request granted at `granted_at`.
  /// `saturated`: the bucket refused a request within the last window, so the
  /// limit was really used. Only responses to requests granted since the
  /// last change of the limit count. Returns true when the limit changed.
  bool on_success(time_point granted_at, bool saturated, time_point now);

  /// A 429 for a request granted at `granted_at` while the limit was
  /// `granted_limit`. Returns true when the limit changed. Echoes (granted
  /// before the last decrease) and a known limit change nothing.
  bool on_throttled(time_point granted_at, size_t granted_limit,
                    time_point now);

  /// The provider stated its limit: use it and stop adapting. 0 is ignored
  /// (nonsense; returns false). Returns true when the limit changed.
  bool set_known(size_t limit, time_point now);

  /// The limit the provider stated, if it did.
  std::optional<size_t> known() const {
    return known_;
  }

  /// The lowest limit that drew a 429 (lowered no further by echoes).
  std::optional<size_t> ceiling() const {
    return ceiling_;
  }

  /// The highest limit that ran a window's worth of clean saturated
  /// responses since the last 429 at or below it; 0 when none.
  size_t verified() const {
    return verified_;
  }

  /// Still doubling (no 429 seen yet and slow start enabled).
  bool in_slow_start() const {
    return slow_start_;
  }

  /// How many times the limit was cut after a 429.
  uint64_t decreases() const {
    return decreases_;
  }

  const adaptive_params& params() const {
    return params_;
  }

  friend bool operator==(const adaptive_limit&, const adaptive_limit&)
    = default;

private:
  // Moves to `limit`; responses to earlier grants no longer earn credit.
  bool change_to(size_t limit, time_point now);

  // The highest limit additive increase may reach.
  size_t cap() const;

  adaptive_params params_;
  size_t limit_;
  std::optional<size_t> known_;
  std::optional<size_t> ceiling_;
  size_t verified_ = 0;
  bool slow_start_;
  /// Clean saturated responses at the current limit.
  size_t credit_ = 0;
  /// Clean saturated windows spent at the cap (for reprobe_after).
  size_t windows_at_cap_ = 0;
  /// When the current limit was set; only grants since then earn credit.
  time_point level_since_;
  /// When the limit was last cut; 429s for earlier grants are echoes.
  std::optional<time_point> last_decrease_;
  uint64_t decreases_ = 0;
};

/// Prints e.g. "adaptive_limit{limit=40, ceiling=41, verified=40,
/// slow_start=false, known=none, decreases=3}".
std::ostream& operator<<(std::ostream& os, const adaptive_limit& x);

} // namespace ledgerd::state
