#include "state/alerts.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd::state;
using namespace std::chrono_literals;

TEST_CASE("an alert fires once its condition held long enough") {
  alert_tracker t{30s};
  auto t0 = alert_clock::time_point{} + 1000s;
  CHECK_FALSE(t.update(true, 5, t0));
  CHECK_FALSE(t.update(true, 6, t0 + 29s));
  CHECK_FALSE(t.firing());
  auto fired = t.update(true, 7, t0 + 30s);
  REQUIRE(fired);
  CHECK(fired->kind == alert_transition::fired);
  CHECK(fired->value == 7);
  CHECK(t.firing());
  CHECK(t.firing_since() == t0 + 30s);
  // Still holding: no second notification.
  CHECK_FALSE(t.update(true, 8, t0 + 40s));
  auto resolved = t.update(false, 0, t0 + 50s);
  REQUIRE(resolved);
  CHECK(resolved->kind == alert_transition::resolved);
  CHECK_FALSE(t.firing());
  CHECK_FALSE(t.update(false, 0, t0 + 60s));
}

TEST_CASE("a condition that lapses restarts the hold") {
  alert_tracker t{10s};
  auto t0 = alert_clock::time_point{} + 1000s;
  CHECK_FALSE(t.update(true, 1, t0));
  CHECK_FALSE(t.update(false, 0, t0 + 5s));
  CHECK_FALSE(t.update(true, 1, t0 + 6s));
  CHECK_FALSE(t.update(true, 1, t0 + 15s));
  CHECK(t.update(true, 1, t0 + 16s));
}

TEST_CASE("without a hold an alert fires at the first evaluation") {
  alert_tracker t{0s};
  auto fired = t.update(true, 3, alert_clock::time_point{} + 5s);
  REQUIRE(fired);
  CHECK(fired->kind == alert_transition::fired);
  CHECK(t.last_value() == 3);
}
