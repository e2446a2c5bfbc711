#include "state/sliding_window.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <vector>

using namespace std::chrono_literals;
using namespace ledgerd::state;

namespace {

using time_point = limiter_clock::time_point;

const time_point t0 = time_point{} + 1000h;
const time_point never = time_point::max();
constexpr auto tick = limiter_clock::duration{1};

sliding_window make(size_t limit, limiter_clock::duration window,
                    limiter_clock::duration margin = {}) {
  return sliding_window{window_params{limit, window, margin}};
}

// Grants `n` slots at `now`, requiring each to succeed.
std::vector<slot_id> grant_n(sliding_window& w, size_t n, time_point now) {
  std::vector<slot_id> result;
  for (size_t i = 0; i < n; ++i) {
    auto r = w.try_acquire(now);
    REQUIRE(r.granted());
    result.push_back(r.slot());
  }
  return result;
}

template<class T>
std::string str(const T& x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

} // namespace

TEST_CASE("a window grants up to its limit, then refuses", "[limiter]") {
  auto w = make(3, 5s);
  auto slots = grant_n(w, 3, t0);
  CHECK(slots == std::vector<slot_id>{{1}, {2}, {3}});
  CHECK(w.in_flight() == 3);
  CHECK(w.remaining(t0) == 0);
  auto r = w.try_acquire(t0);
  REQUIRE_FALSE(r.granted());
  // Only in-flight slots: no time is known until one is released.
  CHECK(r.refused() == denial{never, refusal::awaiting_release});
  // A refused try takes nothing.
  CHECK(w.in_flight() == 3);
}

TEST_CASE("slots are stamped at the response, not at the grant", "[limiter]") {
  auto w = make(2, 5s);
  auto a = w.try_acquire(t0).slot();
  auto b = w.try_acquire(t0 + 1s).slot();
  // The responses arrive late; the window counts from them.
  REQUIRE(w.complete(a, t0 + 2s));
  REQUIRE(w.complete(b, t0 + 3s));
  CHECK(w.in_flight() == 0);
  CHECK(w.stamped(t0 + 3s) == 2);
  auto r = w.try_acquire(t0 + 3s);
  REQUIRE_FALSE(r.granted());
  CHECK(r.refused() == denial{t0 + 7s, refusal::window_full});
  // Stamped at the grant, `a` would have left at t0 + 5s.
  CHECK_FALSE(w.try_acquire(t0 + 5s).granted());
}

TEST_CASE("exactness at the window's edge", "[limiter]") {
  auto w = make(2, 5s);
  auto slots = grant_n(w, 2, t0);
  w.complete(slots[0], t0 + 100ms);
  w.complete(slots[1], t0 + 200ms);
  // The first stamp leaves exactly one window after it: one tick earlier it
  // still counts.
  CHECK(w.earliest_grant(t0 + 1s) == t0 + 5100ms);
  CHECK(w.check(t0 + 5100ms - tick)
        == denial{t0 + 5100ms, refusal::window_full});
  CHECK(w.remaining(t0 + 5100ms - tick) == 0);
  CHECK(w.remaining(t0 + 5100ms) == 1);
  CHECK(w.try_acquire(t0 + 5100ms).granted());
  // The new slot is in flight; the second stamp still counts until 5200ms.
  CHECK(w.check(t0 + 5200ms - tick)
        == denial{t0 + 5200ms, refusal::window_full});
  CHECK(w.check(t0 + 5200ms) == std::nullopt);
  CHECK(w.try_acquire(t0 + 5200ms).granted());
}

TEST_CASE("the margin lengthens the window", "[limiter]") {
  auto w = make(1, 5s, 50ms);
  CHECK(w.span() == 5050ms);
  auto s = w.try_acquire(t0).slot();
  w.complete(s, t0 + 10ms);
  CHECK(w.earliest_grant(t0 + 10ms) == t0 + 5060ms);
  CHECK_FALSE(w.try_acquire(t0 + 5010ms).granted());
  CHECK_FALSE(w.try_acquire(t0 + 5060ms - tick).granted());
  CHECK(w.try_acquire(t0 + 5060ms).granted());
  // A negative margin counts as zero.
  auto z = make(1, 5s, -1s);
  CHECK(z.margin() == 0s);
  CHECK(z.span() == 5s);
}

TEST_CASE("in-flight slots count as if admitted now", "[limiter]") {
  auto w = make(3, 5s);
  auto old = w.try_acquire(t0).slot();
  w.complete(old, t0);
  auto held = w.try_acquire(t0 + 1s).slot();
  // One stamp (until t0 + 5s) and one slot in flight: one grant left.
  CHECK(w.remaining(t0 + 1s) == 1);
  CHECK(w.try_acquire(t0 + 1s).granted());
  // Full: the stamp leaves at t0 + 5s, the in-flight ones stay.
  CHECK(w.earliest_grant(t0 + 2s) == t0 + 5s);
  // Long after every stamp left, the two slots in flight still count.
  CHECK(w.remaining(t0 + 1h) == 1);
  CHECK(w.stamped(t0 + 1h) == 0);
  CHECK(w.find(held) == slot_info{t0 + 1s, 3});
  CHECK(w.find(old) == std::nullopt);
}

TEST_CASE("with every slot in flight, no time is known", "[limiter]") {
  auto w = make(2, 5s);
  auto slots = grant_n(w, 2, t0);
  CHECK(w.earliest_grant(t0 + 1h) == never);
  CHECK(w.check(t0 + 1h) == denial{never, refusal::awaiting_release});
  // Releasing one turns the answer into a time.
  w.complete(slots[0], t0 + 1s);
  CHECK(w.earliest_grant(t0 + 1s) == t0 + 6s);
}

TEST_CASE("cancel frees a slot without a stamp", "[limiter]") {
  auto w = make(1, 5s);
  auto s = w.try_acquire(t0).slot();
  CHECK_FALSE(w.try_acquire(t0).granted());
  CHECK(w.cancel(s));
  CHECK(w.in_flight() == 0);
  CHECK(w.stamped(t0) == 0);
  CHECK(w.remaining(t0) == 1);
  CHECK(w.try_acquire(t0).granted());
  // A slot is released once.
  CHECK_FALSE(w.cancel(s));
  CHECK_FALSE(w.complete(s, t0));
}

TEST_CASE("expire stamps at the deadline", "[limiter]") {
  auto w = make(1, 5s);
  auto s = w.try_acquire(t0).slot();
  // No response; the request's deadline was t0 + 30s. The provider may have
  // counted it at any moment until then.
  CHECK(w.expire(s, t0 + 30s));
  CHECK(w.in_flight() == 0);
  CHECK(w.earliest_grant(t0 + 30s) == t0 + 35s);
  CHECK_FALSE(w.try_acquire(t0 + 35s - tick).granted());
  CHECK(w.try_acquire(t0 + 35s).granted());
  CHECK_FALSE(w.expire(s, t0 + 40s));
}

TEST_CASE("unknown slots change nothing", "[limiter]") {
  auto w = make(2, 5s);
  auto s = w.try_acquire(t0).slot();
  CHECK_FALSE(w.complete(slot_id{0}, t0));
  CHECK_FALSE(w.complete(slot_id{s.value + 1}, t0));
  CHECK_FALSE(w.expire(slot_id{42}, t0));
  CHECK_FALSE(w.cancel(slot_id{42}));
  CHECK(w.in_flight() == 1);
  CHECK(w.stamped(t0) == 0);
}

TEST_CASE("a stamp is never earlier than its grant", "[limiter]") {
  auto w = make(1, 5s);
  auto s = w.try_acquire(t0 + 10s).slot();
  // A response time before the grant is a caller bug; the stamp is clamped
  // to the grant so the window stays exact.
  CHECK(w.complete(s, t0));
  CHECK(w.earliest_grant(t0 + 10s) == t0 + 15s);
}

TEST_CASE("earliest grant names the stamp that must leave", "[limiter]") {
  auto w = make(4, 10s);
  auto slots = grant_n(w, 4, t0);
  // Responses out of order: stamps at 3, 1, 4 and 2 seconds.
  w.complete(slots[0], t0 + 3s);
  w.complete(slots[1], t0 + 1s);
  w.complete(slots[2], t0 + 4s);
  w.complete(slots[3], t0 + 2s);
  // Full: the oldest stamp (1 s) must leave.
  CHECK(w.earliest_grant(t0 + 5s) == t0 + 11s);
  CHECK(w.reset_time(t0 + 5s) == t0 + 14s);
  // Two in flight: three stamps must leave, the third oldest at 3 s.
  auto a = w.try_acquire(t0 + 11s).slot();
  CHECK(w.try_acquire(t0 + 12s).granted());
  CHECK(w.remaining(t0 + 12s) == 0);
  CHECK(w.earliest_grant(t0 + 12s) == t0 + 13s);
  w.cancel(a);
  CHECK(w.earliest_grant(t0 + 12s) == t0 + 12s);
  // Nothing alive: reset is now.
  CHECK(w.reset_time(t0 + 1h) == t0 + 1h);
}

TEST_CASE("recorded admissions count like stamps", "[limiter]") {
  auto w = make(5, 10s);
  w.record(t0, 3);
  CHECK(w.stamped(t0) == 3);
  CHECK(w.remaining(t0) == 2);
  grant_n(w, 2, t0);
  auto r = w.try_acquire(t0 + 1s);
  CHECK(r.refused() == denial{t0 + 10s, refusal::window_full});
  w.record(t0 - 20s); // Long gone: no effect.
  CHECK(w.stamped(t0) == 3);
  CHECK(w.remaining(t0 + 10s) == 3);
}

TEST_CASE("changing the limit keeps stamps and slots", "[limiter]") {
  auto w = make(4, 5s);
  auto slots = grant_n(w, 3, t0);
  for (auto s : slots)
    w.complete(s, t0 + 1s);
  w.set_limit(2);
  CHECK(w.limit() == 2);
  CHECK(w.remaining(t0 + 2s) == 0);
  // Two of the three stamps must leave; they all leave at t0 + 6s.
  CHECK(w.earliest_grant(t0 + 2s) == t0 + 6s);
  w.set_limit(10);
  CHECK(w.remaining(t0 + 2s) == 7);
  // A limit of 0 grants nothing, ever.
  w.set_limit(0);
  CHECK(w.check(t0 + 1h) == denial{never, refusal::awaiting_release});
}

TEST_CASE("slot ids are never reused", "[limiter]") {
  auto w = make(1, 1s);
  std::vector<slot_id> seen;
  auto now = t0;
  for (int i = 0; i < 5; ++i) {
    auto s = w.try_acquire(now).slot();
    CHECK(std::find(seen.begin(), seen.end(), s) == seen.end());
    seen.push_back(s);
    if (i % 2 == 0)
      w.cancel(s);
    else
      w.complete(s, now);
    now += 1s;
  }
}

TEST_CASE("limiter values print readably", "[limiter]") {
  CHECK(str(slot_id{7}) == "slot#7");
  CHECK(str(denial{t0 + 1500us, refusal::window_full})
        == "denial{window_full, retry_at=3600000001.5ms}");
  CHECK(str(denial{never, refusal::awaiting_release})
        == "denial{awaiting_release, retry_at=never}");
  CHECK(str(acquire_result{slot_id{3}}) == "granted slot#3");
  CHECK(str(acquire_result{denial{t0, refusal::paused}})
        == "denial{paused, retry_at=3600000000ms}");
  CHECK(str(slot_info{time_point{} + 5s, 25})
        == "slot_info{granted_at=5000ms, limit=25}");
  CHECK(str(window_params{25, 5s, 50ms})
        == "window_params{limit=25, window=5000ms, margin=50ms}");
  CHECK(format_duration(-3ms) == "-3ms");
  CHECK(format_duration(250us) == "0.25ms");
  CHECK(format_duration(-1250us) == "-1.25ms");
  CHECK(to_string(refusal::awaiting_release) == "awaiting_release");
  CHECK(str(std::optional<denial>{}) == "no denial");
}
