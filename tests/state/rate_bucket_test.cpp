#include "state/rate_bucket.hpp"
#include "tests/support/limiter_helpers.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace std::chrono_literals;
using namespace ledgerd::state;
using ledgerd::test::fixed;
using ledgerd::test::str;

namespace {

using time_point = limiter_clock::time_point;

const time_point t0 = time_point{} + 1000h;
constexpr auto tick = limiter_clock::duration{1};

} // namespace

TEST_CASE("a paused bucket grants nothing until the pause ends", "[limiter]") {
  rate_bucket b{fixed(5, 5s)};
  b.pause(t0 + 10s);
  CHECK(b.paused_until(t0) == t0 + 10s);
  auto r = b.try_acquire(t0 + 1s);
  REQUIRE_FALSE(r.granted());
  CHECK(r.refused() == denial{t0 + 10s, refusal::paused});
  CHECK(b.earliest_grant(t0 + 1s) == t0 + 10s);
  CHECK_FALSE(b.try_acquire(t0 + 10s - tick).granted());
  CHECK(b.try_acquire(t0 + 10s).granted());
  CHECK(b.paused_until(t0 + 10s) == std::nullopt);
}

TEST_CASE("a pause only extends; resume ends it", "[limiter]") {
  rate_bucket b{fixed(5, 5s)};
  b.pause(t0 + 10s);
  b.pause(t0 + 3s); // Earlier: ignored.
  CHECK(b.paused_until(t0) == t0 + 10s);
  b.pause(t0 + 20s);
  CHECK(b.paused_until(t0) == t0 + 20s);
  b.resume();
  CHECK(b.paused_until(t0) == std::nullopt);
  CHECK(b.try_acquire(t0).granted());
}

TEST_CASE("a window that frees later than the pause binds", "[limiter]") {
  rate_bucket b{fixed(1, 5s)};
  auto s = b.try_acquire(t0).slot();
  b.complete(s, t0 + 1s);
  b.pause(t0 + 2s);
  // Paused until 2 s, but the stamp only leaves at 6 s.
  CHECK(b.check(t0 + 1s) == denial{t0 + 6s, refusal::window_full});
  // A pause beyond the window's answer binds instead.
  b.pause(t0 + 8s);
  CHECK(b.check(t0 + 1s) == denial{t0 + 8s, refusal::paused});
  CHECK(b.try_acquire(t0 + 8s).granted());
}

TEST_CASE("a 429 stamps the slot, counts and pauses", "[limiter]") {
  rate_bucket b{fixed(3, 5s, 50ms)};
  auto s = b.try_acquire(t0).slot();
  CHECK(b.throttled(s, t0 + 100ms, 7000ms));
  CHECK(b.throttled_count() == 1);
  CHECK(b.in_flight() == 0);
  CHECK(b.window().stamped(t0 + 100ms) == 1);
  CHECK(b.paused_until(t0 + 100ms) == t0 + 7100ms);
  CHECK(b.check(t0 + 7100ms - tick) == denial{t0 + 7100ms, refusal::paused});
  CHECK(b.check(t0 + 7100ms) == std::nullopt);
  // A released slot cannot be throttled again.
  CHECK_FALSE(b.throttled(s, t0 + 200ms, 1000ms));
  CHECK(b.throttled_count() == 1);
}

TEST_CASE("a 429 without a hint pauses one window", "[limiter]") {
  rate_bucket b{fixed(3, 5s, 50ms)};
  auto s = b.try_acquire(t0).slot();
  b.throttled(s, t0 + 1s, std::nullopt);
  CHECK(b.paused_until(t0 + 1s) == t0 + 6050ms);
}

TEST_CASE("a provider's hint is cut to max_pause", "[limiter]") {
  auto p = fixed(3, 5s);
  p.max_pause = 30s;
  rate_bucket b{p};
  auto s1 = b.try_acquire(t0).slot();
  auto s2 = b.try_acquire(t0).slot();
  b.throttled(s1, t0, std::chrono::milliseconds::max());
  CHECK(b.paused_until(t0) == t0 + 30s);
  // A negative hint counts as zero: it does not shorten the pause.
  b.throttled(s2, t0 + 1s, -5000ms);
  CHECK(b.paused_until(t0 + 1s) == t0 + 30s);
  CHECK(b.throttled_count() == 2);
}

TEST_CASE("a smaller remaining quota from the provider wins", "[limiter]") {
  rate_bucket b{fixed(10, 60s)};
  auto s = b.try_acquire(t0).slot();
  b.complete(s, t0 + 1s);
  REQUIRE(b.remaining(t0 + 1s) == 9);
  // Someone else used the budget: the provider admits 4 more until 30 s.
  b.observe_quota({std::nullopt, 4, t0 + 30s}, t0 + 1s);
  CHECK(b.remaining(t0 + 1s) == 4);
  for (int i = 0; i < 4; ++i)
    CHECK(b.try_acquire(t0 + 1s).granted());
  // The provider's extra admissions leave at its reset.
  CHECK(b.check(t0 + 1s) == denial{t0 + 30s, refusal::window_full});
  CHECK(b.remaining(t0 + 30s - tick) == 0);
  CHECK(b.remaining(t0 + 30s) == 5);
  // A larger remaining is ignored: ours counts requests not yet arrived.
  b.observe_quota({std::nullopt, 9, t0 + 40s}, t0 + 30s);
  CHECK(b.remaining(t0 + 30s) == 5);
  // A reset in the past says nothing about now.
  b.observe_quota({std::nullopt, 0, t0 + 20s}, t0 + 30s);
  CHECK(b.remaining(t0 + 30s) == 5);
}

TEST_CASE("a remaining quota without reset counts one window", "[limiter]") {
  rate_bucket b{fixed(10, 60s, 1s)};
  b.observe_quota({std::nullopt, 7, std::nullopt}, t0);
  CHECK(b.remaining(t0) == 7);
  CHECK(b.remaining(t0 + 60s - tick) == 7);
  CHECK(b.remaining(t0 + 60s) == 10);
}

TEST_CASE("a quota reset is cut to max_pause", "[limiter]") {
  auto p = fixed(10, 60s);
  p.max_pause = 5min;
  rate_bucket b{p};
  // A reset a year away (say, an epoch misread as a delay).
  b.observe_quota({std::nullopt, 0, t0 + 24h * 365}, t0);
  CHECK(b.remaining(t0 + 5min - tick) == 0);
  CHECK(b.remaining(t0 + 5min) == 10);
}

TEST_CASE("a stated limit replaces the configured one", "[limiter]") {
  rate_bucket b{fixed(10, 60s)};
  b.observe_quota({600, std::nullopt, std::nullopt}, t0);
  CHECK(b.limit() == 600);
  b.set_known_limit(0, t0); // Nonsense: ignored.
  CHECK(b.limit() == 600);
  b.set_known_limit(300, t0);
  CHECK(b.limit() == 300);
}

TEST_CASE("an adaptive bucket's window follows the learned limit",
          "[limiter]") {
  auto p = fixed(4, 10s);
  p.adaptive = adaptive_params{};
  p.adaptive->slow_start = false;
  rate_bucket b{p};
  REQUIRE(b.adaptive() != nullptr);
  CHECK(b.limit() == 4);
  // Saturate: four grants, then a refusal.
  std::vector<slot_id> slots;
  for (int i = 0; i < 4; ++i)
    slots.push_back(b.try_acquire(t0).slot());
  CHECK_FALSE(b.try_acquire(t0).granted());
  CHECK(b.saturated(t0 + 1s));
  // A window's worth of clean responses: one more per window.
  for (auto s : slots)
    b.complete(s, t0 + 1s);
  CHECK(b.limit() == 5);
  // A 429 for a request granted under 5: 5 * 0.5 = 2, but 4 ran a window's
  // worth clean, so the limit falls back to 4.
  auto s = b.try_acquire(t0 + 11s).slot();
  b.throttled(s, t0 + 12s, std::nullopt);
  CHECK(b.limit() == 4);
  CHECK(b.window().limit() == 4);
  CHECK(b.adaptive()->ceiling() == 5u);
  // The provider states its limit: adaptation stops.
  b.set_known_limit(8, t0 + 13s);
  CHECK(b.limit() == 8);
  CHECK(b.adaptive()->known() == 8u);
}

TEST_CASE("a fixed bucket ignores clean responses for its limit", "[limiter]") {
  rate_bucket b{fixed(2, 1s)};
  CHECK(b.adaptive() == nullptr);
  for (int i = 0; i < 10; ++i) {
    auto now = t0 + i * 2s;
    auto s1 = b.try_acquire(now).slot();
    auto s2 = b.try_acquire(now).slot();
    CHECK_FALSE(b.try_acquire(now).granted());
    b.complete(s1, now);
    b.complete(s2, now);
  }
  CHECK(b.limit() == 2);
}

TEST_CASE("saturation: refused or used up within the last window",
          "[limiter]") {
  rate_bucket b{fixed(2, 5s)};
  CHECK_FALSE(b.saturated(t0));
  b.try_acquire(t0);
  CHECK_FALSE(b.saturated(t0));
  b.try_acquire(t0); // Uses the whole limit.
  CHECK(b.saturated(t0));
  CHECK(b.saturated(t0 + 5s));
  CHECK_FALSE(b.saturated(t0 + 5s + tick));
  // A refusal during a pause alone is no sign of demand beyond the limit.
  rate_bucket c{fixed(2, 5s)};
  c.pause(t0 + 1s);
  CHECK_FALSE(c.try_acquire(t0).granted());
  CHECK_FALSE(c.saturated(t0));
}

TEST_CASE("bucket stats report the bucket's state", "[limiter]") {
  rate_bucket b{fixed(25, 5s, 50ms)};
  auto s1 = b.try_acquire(t0).slot();
  b.try_acquire(t0);
  b.complete(s1, t0 + 100ms);
  auto s3 = b.try_acquire(t0 + 200ms).slot();
  b.throttled(s3, t0 + 300ms, 2000ms);
  CHECK_FALSE(b.try_acquire(t0 + 400ms).granted());
  bucket_stats expected;
  expected.limit = 25;
  expected.window = 5s;
  expected.margin = 50ms;
  expected.remaining = 22;
  expected.reset_time = t0 + 5350ms;
  expected.in_flight = 1;
  expected.paused_until = t0 + 2300ms;
  expected.granted = 3;
  expected.refused = 1;
  expected.throttled = 1;
  expected.adaptive = false;
  expected.rate = 5.0;
  CHECK(b.stats(t0 + 400ms) == expected);
  CHECK(str(expected)
        == "bucket_stats{limit=25, window=5000ms, margin=50ms, remaining=22, "
           "reset_time=3600005350ms, in_flight=1, "
           "paused_until=3600002300ms, granted=3, refused=1, throttled=1, "
           "adaptive=false, rate=5/s}");
}

TEST_CASE("bucket values print readably", "[limiter]") {
  auto p = fixed(25, 5s, 50ms);
  CHECK(str(p)
        == "bucket_params{limit=25, window=5000ms, margin=50ms, "
           "max_pause=3600000ms, adaptive=none}");
  p.adaptive = adaptive_params{};
  CHECK(str(p)
        == "bucket_params{limit=25, window=5000ms, margin=50ms, "
           "max_pause=3600000ms, adaptive=adaptive_params{min=1, max=100000, "
           "increase=1, decrease=0.5, slow_start=true, reprobe_after=0}}");
  CHECK(str(quota_hint{600, 12, time_point{} + 60s})
        == "quota_hint{limit=600, remaining=12, reset=60000ms}");
  CHECK(str(quota_hint{})
        == "quota_hint{limit=none, remaining=none, "
           "reset=none}");
}
