#include "state/composite_grant.hpp"
#include "tests/support/limiter_helpers.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <vector>

using namespace std::chrono_literals;
using namespace ledgerd::state;
using ledgerd::test::fixed;
using ledgerd::test::str;

namespace {

using time_point = limiter_clock::time_point;

const time_point t0 = time_point{} + 1000h;
const time_point never = time_point::max();

} // namespace

TEST_CASE("a composite grant takes one slot from every bucket", "[limiter]") {
  rate_bucket tenant{fixed(25, 5s)};
  rate_bucket endpoint{fixed(600, 60s)};
  std::vector<rate_bucket*> both{&tenant, &endpoint};
  auto r = try_acquire_all(both, t0);
  REQUIRE(r.granted());
  CHECK(r.grant() == composite_grant{{slot_id{1}, slot_id{1}}});
  CHECK(tenant.in_flight() == 1);
  CHECK(endpoint.in_flight() == 1);
  CHECK(complete_all(both, r.grant(), t0 + 100ms));
  CHECK(tenant.in_flight() == 0);
  CHECK(endpoint.in_flight() == 0);
  CHECK(tenant.window().stamped(t0 + 100ms) == 1);
  CHECK(endpoint.window().stamped(t0 + 100ms) == 1);
}

TEST_CASE("one full bucket refuses and nothing is consumed elsewhere",
          "[limiter]") {
  rate_bucket a{fixed(5, 5s)};
  rate_bucket b{fixed(1, 5s)};
  rate_bucket c{fixed(5, 5s)};
  std::vector<rate_bucket*> only_b{&b};
  auto held = try_acquire_all(only_b, t0);
  REQUIRE(held.granted());
  complete_all(only_b, held.grant(), t0 + 1s);
  std::vector<rate_bucket*> all{&a, &b, &c};
  auto r = try_acquire_all(all, t0 + 2s);
  REQUIRE_FALSE(r.granted());
  CHECK(r.refused()
        == composite_denial{denial{t0 + 6s, refusal::window_full}, 1});
  // Atomic: the admitting buckets gave nothing.
  CHECK(a.in_flight() == 0);
  CHECK(c.in_flight() == 0);
  CHECK(a.remaining(t0 + 2s) == 5);
  CHECK(c.remaining(t0 + 2s) == 5);
  CHECK(a.stats(t0 + 2s).granted == 0);
  // Only the refusing bucket saw the attempt.
  CHECK(b.stats(t0 + 2s).refused == 1);
  CHECK(a.stats(t0 + 2s).refused == 0);
  // At the announced time all admit.
  CHECK(earliest_grant_all(all, t0 + 2s) == t0 + 6s);
  CHECK(check_all(all, t0 + 6s) == std::nullopt);
  CHECK(try_acquire_all(all, t0 + 6s).granted());
}

TEST_CASE("the earliest composite time is the latest bucket's", "[limiter]") {
  rate_bucket a{fixed(1, 5s)};
  rate_bucket b{fixed(1, 10s)};
  rate_bucket c{fixed(1, 5s)};
  std::vector<rate_bucket*> all{&a, &b, &c};
  auto g = try_acquire_all(all, t0);
  REQUIRE(g.granted());
  complete_all(all, g.grant(), t0 + 1s);
  c.pause(t0 + 8s);
  // a frees at 6 s, c's pause ends at 8 s, b frees at 11 s.
  auto r = try_acquire_all(all, t0 + 2s);
  REQUIRE_FALSE(r.granted());
  CHECK(r.refused()
        == composite_denial{denial{t0 + 11s, refusal::window_full}, 1});
  CHECK_FALSE(try_acquire_all(all, t0 + 11s - 1ns).granted());
  CHECK(try_acquire_all(all, t0 + 11s).granted());
}

TEST_CASE("a bucket awaiting a release makes the composite wait too",
          "[limiter]") {
  rate_bucket a{fixed(1, 5s)};
  rate_bucket b{fixed(3, 5s)};
  std::vector<rate_bucket*> all{&a, &b};
  auto g = try_acquire_all(all, t0);
  REQUIRE(g.granted());
  b.pause(t0 + 1s);
  auto r = try_acquire_all(all, t0);
  REQUIRE_FALSE(r.granted());
  CHECK(r.refused()
        == composite_denial{denial{never, refusal::awaiting_release}, 0});
  // Cancel releases both; b's pause still binds.
  CHECK(cancel_all(all, g.grant()));
  CHECK(a.in_flight() == 0);
  CHECK(b.in_flight() == 0);
  CHECK(earliest_grant_all(all, t0) == t0 + 1s);
}

TEST_CASE("expire and throttle release every bucket of a composite",
          "[limiter]") {
  rate_bucket tenant{fixed(5, 5s)};
  rate_bucket endpoint{fixed(5, 5s)};
  std::vector<rate_bucket*> both{&tenant, &endpoint};
  auto g1 = try_acquire_all(both, t0).grant();
  auto g2 = try_acquire_all(both, t0).grant();
  CHECK(expire_all(both, g1, t0 + 30s));
  CHECK(tenant.window().reset_time(t0 + 30s) == t0 + 35s);
  CHECK(endpoint.window().reset_time(t0 + 30s) == t0 + 35s);
  // The provider blames the endpoint budget: only that bucket pauses.
  CHECK(throttled_all(both, g2, 1, t0 + 31s, 10'000ms));
  CHECK(endpoint.paused_until(t0 + 31s) == t0 + 41s);
  CHECK(endpoint.throttled_count() == 1);
  CHECK(tenant.paused_until(t0 + 31s) == std::nullopt);
  CHECK(tenant.throttled_count() == 0);
  CHECK(tenant.in_flight() == 0);
  CHECK(tenant.window().stamped(t0 + 31s) == 2);
  // Released once only.
  CHECK_FALSE(complete_all(both, g2, t0 + 32s));
}

TEST_CASE("composite releases refuse a grant that does not fit", "[limiter]") {
  rate_bucket a{fixed(5, 5s)};
  rate_bucket b{fixed(5, 5s)};
  std::vector<rate_bucket*> both{&a, &b};
  auto g = try_acquire_all(both, t0).grant();
  std::vector<rate_bucket*> one{&a};
  CHECK_FALSE(complete_all(one, g, t0));
  CHECK_FALSE(throttled_all(both, g, 2, t0, std::nullopt));
  CHECK(a.in_flight() == 1);
  CHECK(b.in_flight() == 1);
}

TEST_CASE("a bucket listed twice is one bucket", "[limiter]") {
  rate_bucket a{fixed(2, 5s)};
  rate_bucket b{fixed(2, 5s)};
  std::vector<rate_bucket*> twice{&a, &b, &a};
  auto g = try_acquire_all(twice, t0);
  REQUIRE(g.granted());
  CHECK(g.grant().slots[0] == g.grant().slots[2]);
  CHECK(a.in_flight() == 1);
  CHECK(a.remaining(t0) == 1);
  // With one slot left in a, the request still fits.
  CHECK(try_acquire_all(twice, t0).granted());
  CHECK(a.in_flight() == 2);
  CHECK(complete_all(twice, g.grant(), t0 + 1s));
  CHECK(a.in_flight() == 1);
  CHECK(a.window().stamped(t0 + 1s) == 1);
}

TEST_CASE("no buckets: granted without slots", "[limiter]") {
  std::vector<rate_bucket*> none;
  auto r = try_acquire_all(none, t0);
  REQUIRE(r.granted());
  CHECK(r.grant().slots.empty());
  CHECK(earliest_grant_all(none, t0) == t0);
  CHECK(complete_all(none, r.grant(), t0));
}

TEST_CASE("composite values print readably", "[limiter]") {
  CHECK(str(composite_grant{{slot_id{3}, slot_id{9}}})
        == "composite_grant{slot#3, slot#9}");
  composite_denial d{denial{time_point{} + 5s, refusal::window_full}, 1};
  CHECK(str(d)
        == "composite_denial{denial{window_full, retry_at=5000ms}, bucket=1}");
  CHECK(str(composite_result{d}) == str(d));
  CHECK(str(composite_result{composite_grant{{slot_id{1}}}})
        == "granted composite_grant{slot#1}");
}
