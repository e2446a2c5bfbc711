#include "state/adaptive_limit.hpp"
#include "state/rate_bucket.hpp"
#include "tests/support/limiter_helpers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <sstream>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;
using namespace ledgerd::state;
using ledgerd::test::fixed;
using ledgerd::test::str;

namespace {

using time_point = limiter_clock::time_point;
using duration = limiter_clock::duration;

const time_point t0 = time_point{} + 1000h;

adaptive_params params(bool slow_start = false) {
  adaptive_params result;
  result.slow_start = slow_start;
  return result;
}

// Feeds a window's worth of clean saturated responses, granted at
// `granted_at`.
void clean_window(adaptive_limit& a, time_point granted_at, time_point now) {
  auto n = a.limit();
  for (size_t i = 0; i < n; ++i)
    a.on_success(granted_at, true, now);
}

} // namespace

// -- the arithmetic -----------------------------------------------------------

TEST_CASE("the adaptive limit starts inside [min, max]", "[limiter]") {
  auto p = params();
  p.min = 4;
  p.max = 50;
  CHECK(adaptive_limit(10, p).limit() == 10);
  CHECK(adaptive_limit(1, p).limit() == 4);
  CHECK(adaptive_limit(80, p).limit() == 50);
  // Nonsense parameters are repaired: min >= 1, max >= min, step >= 1,
  // decrease in (0, 1).
  adaptive_params bad;
  bad.min = 0;
  bad.max = 0;
  bad.increase = 0;
  bad.decrease = 1.5;
  adaptive_limit a{0, bad};
  CHECK(a.limit() == 1);
  CHECK(a.params().min == 1);
  CHECK(a.params().max == 1);
  CHECK(a.params().increase == 1);
  CHECK(a.params().decrease == 0.5);
}

TEST_CASE("slow start doubles per clean saturated window", "[limiter]") {
  adaptive_limit a{5, params(true)};
  REQUIRE(a.in_slow_start());
  // Four clean responses are not yet a window's worth.
  for (int i = 0; i < 4; ++i)
    CHECK_FALSE(a.on_success(t0, true, t0 + 1s));
  CHECK(a.limit() == 5);
  CHECK(a.on_success(t0, true, t0 + 1s));
  CHECK(a.limit() == 10);
  CHECK(a.verified() == 5);
  clean_window(a, t0 + 2s, t0 + 3s);
  CHECK(a.limit() == 20);
}

TEST_CASE("only saturated responses to current grants count", "[limiter]") {
  adaptive_limit a{3, params()};
  // Not saturated: the limit was not really used.
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(a.on_success(t0, false, t0 + 1s));
  CHECK(a.limit() == 3);
  clean_window(a, t0, t0 + 1s);
  CHECK(a.limit() == 4);
  // Responses to requests granted before the change count for the old
  // limit, not the new one.
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(a.on_success(t0 + 500ms, true, t0 + 2s));
  CHECK(a.limit() == 4);
  clean_window(a, t0 + 1s, t0 + 3s);
  CHECK(a.limit() == 5);
}

TEST_CASE("additive increase adds one step per window", "[limiter]") {
  auto p = params();
  p.increase = 3;
  adaptive_limit a{10, p};
  auto now = t0;
  for (size_t expected : {13u, 16u, 19u}) {
    clean_window(a, now, now + 1s);
    now += 2s;
    CHECK(a.limit() == expected);
  }
}

TEST_CASE("a 429 cuts the limit multiplicatively", "[limiter]") {
  adaptive_limit a{40, params()};
  CHECK(a.on_throttled(t0, 40, t0 + 1s));
  CHECK(a.limit() == 20);
  CHECK(a.ceiling() == 40u);
  CHECK(a.decreases() == 1);
  // Echoes: requests granted before the cut say nothing new.
  CHECK_FALSE(a.on_throttled(t0 + 500ms, 40, t0 + 1100ms));
  CHECK(a.limit() == 20);
  CHECK(a.decreases() == 1);
  // A 429 for a request granted after the cut is news: cut again.
  CHECK(a.on_throttled(t0 + 2s, 20, t0 + 3s));
  CHECK(a.limit() == 10);
  CHECK(a.ceiling() == 20u);
  CHECK(a.decreases() == 2);
}

TEST_CASE("the cut stops at a verified level and at min", "[limiter]") {
  adaptive_limit a{30, params()};
  clean_window(a, t0, t0 + 1s);
  REQUIRE(a.limit() == 31);
  REQUIRE(a.verified() == 30);
  // 31 * 0.5 = 15, but 30 ran a window clean.
  a.on_throttled(t0 + 2s, 31, t0 + 3s);
  CHECK(a.limit() == 30);
  CHECK(a.ceiling() == 31u);
  // A 429 at a verified level: the provider's limit fell; full cut.
  a.on_throttled(t0 + 4s, 30, t0 + 5s);
  CHECK(a.limit() == 15);
  CHECK(a.verified() == 0);
  CHECK(a.ceiling() == 30u);
  auto p = params();
  p.min = 12;
  adaptive_limit b{16, p};
  b.on_throttled(t0, 16, t0);
  CHECK(b.limit() == 12);
  adaptive_limit c{1, params()};
  c.on_throttled(t0, 1, t0);
  CHECK(c.limit() == 1);
}

TEST_CASE("increase stops below the ceiling, approaching by halves",
          "[limiter]") {
  adaptive_limit a{40, params()};
  a.on_throttled(t0, 40, t0); // ceiling 40, limit 20
  auto now = t0 + 1s;
  std::vector<size_t> seen;
  for (int i = 0; i < 8; ++i) {
    clean_window(a, now, now);
    now += 1s;
    seen.push_back(a.limit());
  }
  // Halfway to 39 each time, at least one step, never beyond 39.
  CHECK(seen == std::vector<size_t>{29, 34, 36, 37, 38, 39, 39, 39});
}

TEST_CASE("reprobe raises the ceiling after clean windows at the cap",
          "[limiter]") {
  auto p = params();
  p.reprobe_after = 3;
  adaptive_limit a{10, p};
  clean_window(a, t0, t0);
  REQUIRE(a.limit() == 11);
  a.on_throttled(t0 + 1s, 11, t0 + 1s); // ceiling 11, back to verified 10
  REQUIRE(a.limit() == 10);
  auto now = t0 + 2s;
  for (int i = 0; i < 2; ++i) {
    clean_window(a, now, now);
    now += 1s;
  }
  CHECK(a.limit() == 10);
  clean_window(a, now, now);
  now += 1s;
  CHECK(a.ceiling() == 12u);
  CHECK(a.limit() == 11);
  // The probe fails: back to 10 without a multiplicative cut.
  a.on_throttled(now, 11, now);
  CHECK(a.limit() == 10);
  CHECK(a.ceiling() == 11u);
  // Without reprobe_after the cap holds for good.
  adaptive_limit b{10, params()};
  clean_window(b, t0, t0);
  b.on_throttled(t0 + 1s, 11, t0 + 1s);
  for (int i = 0; i < 20; ++i)
    clean_window(b, t0 + 2s + i * 1s, t0 + 2s + i * 1s);
  CHECK(b.limit() == 10);
}

TEST_CASE("a known limit stops adaptation", "[limiter]") {
  adaptive_limit a{10, params(true)};
  CHECK_FALSE(a.set_known(0, t0));
  CHECK(a.known() == std::nullopt);
  CHECK(a.set_known(600, t0));
  CHECK(a.limit() == 600);
  CHECK(a.known() == 600u);
  CHECK_FALSE(a.in_slow_start());
  clean_window(a, t0 + 1s, t0 + 2s);
  CHECK(a.limit() == 600);
  CHECK_FALSE(a.on_throttled(t0 + 3s, 600, t0 + 3s));
  CHECK(a.limit() == 600);
  CHECK(a.decreases() == 0);
}

TEST_CASE("adaptive values print readably", "[limiter]") {
  adaptive_limit a{40, params()};
  a.on_throttled(t0, 41, t0);
  CHECK(str(a)
        == "adaptive_limit{limit=20, ceiling=41, verified=0, "
           "slow_start=false, known=none, decreases=1}");
  CHECK(str(params(true))
        == "adaptive_params{min=1, max=100000, increase=1, decrease=0.5, "
           "slow_start=true, reprobe_after=0}");
}

// -- convergence against a simulated provider ---------------------------------

namespace {

// A provider with an exact sliding window it does not tell us about: it
// admits a request arriving at `a` when fewer than limit(a) requests were
// admitted in (a - window, a]; rejected requests are not counted.
struct provider {
  std::function<size_t(time_point)> limit;
  duration window;
  std::deque<time_point> admitted;

  bool admit(time_point a) {
    while (!admitted.empty() && admitted.front() <= a - window)
      admitted.pop_front();
    if (admitted.size() >= limit(a))
      return false;
    admitted.push_back(a);
    return true;
  }
};

struct trace {
  /// Response times of the 429s.
  std::vector<time_point> throttles;
  /// (time, limit) at each change of the bucket's limit.
  std::vector<std::pair<time_point, size_t>> limits;
  /// Grant times.
  std::vector<time_point> grants;

  size_t throttles_after(time_point t) const {
    return static_cast<size_t>(
      std::count_if(throttles.begin(), throttles.end(), [&](time_point x) {
        return x >= t;
      }));
  }

  size_t grants_between(time_point from, time_point to) const {
    return static_cast<size_t>(
      std::count_if(grants.begin(), grants.end(), [&](time_point x) {
        return x >= from && x < to;
      }));
  }

  // Groups of 429s at least `gap` apart, from `t` on: one per overload.
  size_t rounds_after(time_point t, duration gap) const {
    size_t result = 0;
    std::optional<time_point> last;
    for (auto x : throttles) {
      if (x < t)
        continue;
      if (!last || x - *last >= gap)
        ++result;
      last = x;
    }
    return result;
  }

  // The last time the limit changed.
  time_point settled_at() const {
    return limits.empty() ? t0 : limits.back().first;
  }
};

// Saturating demand (a request always waits) against `p` for `run_for`, with
// latencies uniform in [20, 120] ms and the provider's arrival anywhere
// between send and response. 429s pause the bucket (no hint: one window).
trace saturate(rate_bucket& b, provider& p, duration run_for, uint32_t seed) {
  enum kind { wake, arrive, respond };
  struct event {
    time_point at;
    kind what;
    slot_id slot;
    uint64_t seq;
    bool operator>(const event& other) const {
      return std::tie(at, seq) > std::tie(other.at, other.seq);
    }
  };
  std::priority_queue<event, std::vector<event>, std::greater<>> events;
  std::map<slot_id, bool> admitted;
  // Wake-ups already scheduled: one per time, or they multiply.
  std::set<time_point> wakes;
  // Every release must find its slot.
  bool released = true;
  std::mt19937 rng{seed};
  std::uniform_int_distribution<int> latency_us{20'000, 120'000};
  uint64_t seq = 0;
  trace result;
  auto end = t0 + run_for;
  auto limit = b.limit();
  events.push({t0, wake, {}, seq++});
  while (!events.empty()) {
    auto ev = events.top();
    events.pop();
    auto now = ev.at;
    if (now >= end)
      break;
    switch (ev.what) {
    case wake:
      wakes.erase(now);
      break;
    case arrive:
      admitted[ev.slot] = p.admit(now);
      break;
    case respond:
      if (admitted[ev.slot]) {
        released = b.complete(ev.slot, now) && released;
      } else {
        released = b.throttled(ev.slot, now, std::nullopt) && released;
        result.throttles.push_back(now);
      }
      admitted.erase(ev.slot);
      break;
    }
    if (b.limit() != limit) {
      limit = b.limit();
      result.limits.emplace_back(now, limit);
    }
    for (;;) {
      auto r = b.try_acquire(now);
      if (!r) {
        auto at = r.refused().retry_at;
        if (at != time_point::max() && wakes.insert(at).second)
          events.push({at, wake, {}, seq++});
        break;
      }
      result.grants.push_back(now);
      auto lat = std::chrono::microseconds{latency_us(rng)};
      auto to_arrival
        = std::uniform_int_distribution<int64_t>{0, lat.count()}(rng);
      events.push(
        {now + std::chrono::microseconds{to_arrival}, arrive, r.slot(), seq++});
      events.push({now + lat, respond, r.slot(), seq++});
    }
  }
  CHECK(released);
  return result;
}

bucket_params adaptive_bucket(size_t initial, duration window,
                              adaptive_params a) {
  bucket_params result;
  result.limit = initial;
  result.window = window;
  result.margin = 10ms;
  result.adaptive = a;
  return result;
}

} // namespace

TEST_CASE("AIMD settles just below an unknown limit and stops drawing 429s",
          "[limiter]") {
  // The provider admits 40 per 10 s; we start at 5 and are never told.
  for (bool slow_start : {false, true}) {
    for (uint32_t seed : {1u, 2u, 3u}) {
      INFO("slow_start=" << slow_start << " seed=" << seed);
      rate_bucket b{adaptive_bucket(5, 10s, params(slow_start))};
      provider p{[](time_point) {
                   return size_t{40};
                 },
                 10s,
                 {}};
      auto t = saturate(b, p, 4000s, seed);
      INFO(*b.adaptive());
      // It learned from 429s, and settled in [0.9 * 40, 40].
      CHECK(b.adaptive()->decreases() >= 1);
      CHECK(b.limit() >= 36);
      CHECK(b.limit() <= 40);
      // Settled well before the end, and not one 429 since.
      CHECK(t.settled_at() < t0 + 1500s);
      CHECK(t.throttles_after(t.settled_at() + 10s) == 0);
      // And it uses what it learned: the last 100 windows carried at least
      // 0.9 * 40 requests each on average.
      CHECK(t.grants_between(t0 + 3000s, t0 + 4000s) >= 3600);
    }
  }
}

TEST_CASE("AIMD with slow start finds a large limit quickly", "[limiter]") {
  // Visma-like: 600 per minute, start at 10.
  rate_bucket b{adaptive_bucket(10, 60s, params(true))};
  provider p{[](time_point) {
               return size_t{600};
             },
             60s,
             {}};
  auto t = saturate(b, p, 3h, 7);
  INFO(*b.adaptive());
  CHECK(b.limit() >= 540);
  CHECK(b.limit() <= 600);
  CHECK(t.settled_at() < t0 + 1h);
  CHECK(t.throttles_after(t.settled_at() + 60s) == 0);
}

TEST_CASE("AIMD follows a provider whose limit drops", "[limiter]") {
  // 40 per 10 s for the first 1000 s, then 20.
  rate_bucket b{adaptive_bucket(5, 10s, params(true))};
  provider p{[](time_point a) {
               return size_t{a < t0 + 1000s ? 40u : 20u};
             },
             10s,
             {}};
  auto t = saturate(b, p, 4000s, 11);
  INFO(*b.adaptive());
  CHECK(b.limit() >= 18);
  CHECK(b.limit() <= 20);
  CHECK(t.settled_at() > t0 + 1000s);
  CHECK(t.settled_at() < t0 + 2500s);
  CHECK(t.throttles_after(t.settled_at() + 10s) == 0);
}

TEST_CASE("AIMD with reprobe notices a raised limit, at a bounded cost",
          "[limiter]") {
  // 20 per 10 s, raised to 30 at 1500 s; probe again after 20 clean
  // windows at the cap.
  auto a = params(true);
  a.reprobe_after = 20;
  rate_bucket b{adaptive_bucket(5, 10s, a)};
  provider p{[](time_point x) {
               return size_t{x < t0 + 1500s ? 20u : 30u};
             },
             10s,
             {}};
  auto t = saturate(b, p, 6000s, 5);
  INFO(*b.adaptive());
  CHECK(b.limit() >= 27);
  CHECK(b.limit() <= 31);
  // Each failed probe is one round of 429s (those in flight when the first
  // came back); rounds are at least 20 windows apart, so the last 2000 s saw
  // at most 10, and each cost at most a window's worth of requests.
  CHECK(t.rounds_after(t0 + 4000s, 10s) >= 1);
  CHECK(t.rounds_after(t0 + 4000s, 10s) <= 10);
  CHECK(t.throttles_after(t0 + 4000s) <= 31 * t.rounds_after(t0 + 4000s, 10s));
  CHECK(t.grants_between(t0 + 4000s, t0 + 6000s) >= 200 * 27);
}
