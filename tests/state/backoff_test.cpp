#include "state/backoff.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>

using namespace std::chrono_literals;
using namespace ledgerd::state;
using std::chrono::milliseconds;

namespace {

using time_point = std::chrono::system_clock::time_point;

const time_point t0 = time_point{} + 1'000'000h;

// The largest double below 1: the top of the range a uniform draw can hit.
const double almost_one = std::nextafter(1.0, 0.0);

backoff_params params(milliseconds base, milliseconds cap) {
  backoff_params result;
  result.base = base;
  result.cap = cap;
  return result;
}

} // namespace

TEST_CASE("backoff ceiling doubles from base until it reaches cap") {
  auto b = params(100ms, 10s);
  CHECK(backoff_ceiling(b, 1) == 100ms);
  CHECK(backoff_ceiling(b, 2) == 200ms);
  CHECK(backoff_ceiling(b, 3) == 400ms);
  CHECK(backoff_ceiling(b, 7) == 6400ms);
  CHECK(backoff_ceiling(b, 8) == 10s); // 12.8 s, capped
  CHECK(backoff_ceiling(b, 9) == 10s);
  // Reaching cap exactly.
  CHECK(backoff_ceiling(params(1s, 4s), 3) == 4s);
  CHECK(backoff_ceiling(params(1s, 4s), 4) == 4s);
  // Attempts below 1 count as the first.
  CHECK(backoff_ceiling(b, 0) == 100ms);
  CHECK(backoff_ceiling(b, -5) == 100ms);
}

TEST_CASE("backoff ceiling saturates at cap for huge attempts") {
  auto b = params(1s, 5min);
  for (int attempt : {10, 30, 62, 63, 64, 65, 100, 1000, 100'000,
                      std::numeric_limits<int>::max()}) {
    INFO("attempt " << attempt);
    CHECK(backoff_ceiling(b, attempt) == 5min);
  }
  // Even with a cap at the top of the representable range.
  auto wide = params(1ms, milliseconds::max());
  CHECK(backoff_ceiling(wide, 1) == 1ms);
  CHECK(backoff_ceiling(wide, 63) == milliseconds{int64_t{1} << 62});
  CHECK(backoff_ceiling(wide, 64) == milliseconds::max());
  CHECK(backoff_ceiling(wide, 1000) == milliseconds::max());
  CHECK(backoff_delay(wide, 1000, almost_one) < milliseconds::max());
  CHECK(backoff_delay(wide, 1000, almost_one) > milliseconds::max() / 2);
}

TEST_CASE("backoff ceiling with degenerate parameters") {
  // base above cap: the cap rules from the first attempt.
  CHECK(backoff_ceiling(params(10s, 1s), 1) == 1s);
  // Zero or negative base: no waiting.
  CHECK(backoff_ceiling(params(0ms, 1s), 5) == 0ms);
  CHECK(backoff_ceiling(params(-1s, 1s), 5) == 0ms);
  // Zero or negative cap: no waiting.
  CHECK(backoff_ceiling(params(1s, 0ms), 5) == 0ms);
  CHECK(backoff_ceiling(params(1s, -1s), 5) == 0ms);
  CHECK(backoff_delay(params(1s, 0ms), 5, 0.5) == 0ms);
}

TEST_CASE("full jitter spans 0 up to the ceiling for many attempts") {
  auto b = params(250ms, 2min);
  for (int attempt = 1; attempt <= 200; ++attempt) {
    INFO("attempt " << attempt);
    auto ceiling = backoff_ceiling(b, attempt);
    // u = 0: retry at once.
    CHECK(backoff_delay(b, attempt, 0.0) == 0ms);
    // u -> 1: just below the ceiling, never at or above it.
    auto top = backoff_delay(b, attempt, almost_one);
    CHECK(top < ceiling);
    CHECK(top == ceiling - 1ms);
    // Anything in between stays in range and grows with u.
    auto lo = backoff_delay(b, attempt, 0.25);
    auto hi = backoff_delay(b, attempt, 0.75);
    CHECK(lo >= 0ms);
    CHECK(lo <= hi);
    CHECK(hi < ceiling);
    CHECK(ceiling <= b.cap);
  }
}

TEST_CASE("full jitter scales u linearly") {
  auto b = params(1s, 1min);
  CHECK(backoff_delay(b, 1, 0.5) == 500ms);
  CHECK(backoff_delay(b, 3, 0.5) == 2s);
  CHECK(backoff_delay(b, 3, 0.125) == 500ms);
  CHECK(backoff_delay(b, 20, 0.5) == 30s);
}

TEST_CASE("out-of-range draws are clamped below the ceiling") {
  auto b = params(1s, 1min);
  CHECK(backoff_delay(b, 1, -0.5) == 0ms);
  CHECK(backoff_delay(b, 1, std::nan("")) == 0ms);
  CHECK(backoff_delay(b, 1, -std::numeric_limits<double>::infinity()) == 0ms);
  CHECK(backoff_delay(b, 1, 1.0) == 999ms);
  CHECK(backoff_delay(b, 1, 7.0) == 999ms);
  CHECK(backoff_delay(b, 1, std::numeric_limits<double>::infinity()) == 999ms);
}

TEST_CASE("no overflow at attempt 1000") {
  auto b = params(1s, 5min);
  CHECK(backoff_delay(b, 1000, 0.0) == 0ms);
  CHECK(backoff_delay(b, 1000, 0.5) == 150s);
  CHECK(backoff_delay(b, 1000, almost_one) == 5min - 1ms);
  CHECK(next_run_at(t0, b, 1000, 0.5) == t0 + 150s);
}

TEST_CASE("next_run_at adds the jittered delay to now") {
  auto b = params(1s, 1min);
  CHECK(next_run_at(t0, b, 1, 0.0) == t0);
  CHECK(next_run_at(t0, b, 2, 0.5) == t0 + 1s);
  CHECK(next_run_at(t0, b, 2, almost_one) == t0 + 1999ms);
}

TEST_CASE("a later retry_after wins over the computed delay") {
  auto b = params(1s, 1min);
  // Delay 0.5 s, provider says 55 s.
  CHECK(next_run_at(t0, b, 1, 0.5, 55s) == t0 + 55s);
  // Even with u = 0.
  CHECK(next_run_at(t0, b, 1, 0.0, 3s) == t0 + 3s);
  // retry_after may exceed cap: the provider knows best.
  CHECK(next_run_at(t0, b, 50, 0.5, 5min) == t0 + 5min);
}

TEST_CASE("an earlier retry_after does not shorten the delay") {
  auto b = params(1s, 1min);
  // Delay 4 s, provider says 1 s: the backoff stands.
  CHECK(next_run_at(t0, b, 4, 0.5, 1s) == t0 + 4s);
  CHECK(next_run_at(t0, b, 4, 0.5, 0s) == t0 + 4s);
  // A negative retry_after is ignored.
  CHECK(next_run_at(t0, b, 4, 0.5, -10s) == t0 + 4s);
  // Equal: same either way.
  CHECK(next_run_at(t0, b, 4, 0.5, 4s) == t0 + 4s);
}

TEST_CASE("retry_after is cut to max_retry_after") {
  auto b = params(1s, 1min);
  b.max_retry_after = 10min;
  CHECK(next_run_at(t0, b, 1, 0.5, 9min) == t0 + 9min);
  CHECK(next_run_at(t0, b, 1, 0.5, 24h) == t0 + 10min);
  CHECK(next_run_at(t0, b, 1, 0.5, milliseconds::max()) == t0 + 10min);
  // The cut never drops below the computed delay.
  b.max_retry_after = 0ms;
  CHECK(next_run_at(t0, b, 3, 0.5, 1h) == t0 + 2s);
}

TEST_CASE("next_run_at saturates instead of overflowing") {
  auto b = params(1s, 1min);
  b.max_retry_after = milliseconds::max();
  CHECK(next_run_at(t0, b, 1, 0.5, milliseconds::max()) == time_point::max());
  auto wide = params(1ms, milliseconds::max());
  CHECK(next_run_at(t0, wide, 1000, almost_one) == time_point::max());
}

TEST_CASE("default backoff parameters") {
  backoff_params b;
  CHECK(b.base == 1s);
  CHECK(b.cap == 5min);
  CHECK(b.max_retry_after == 1h);
  CHECK(b == backoff_params{});
  CHECK_FALSE(b == params(2s, 5min));
  std::ostringstream os;
  os << b;
  CHECK(os.str()
        == "backoff_params{base=1000ms, cap=300000ms, "
           "max_retry_after=3600000ms}");
}
