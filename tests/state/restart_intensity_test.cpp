#include "state/restart_intensity.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using ledgerd::state::restart_intensity;

namespace {
const restart_intensity::time_point t0{};
} // namespace

TEST_CASE("restart intensity allows max_restarts within the period") {
  restart_intensity ri{3, 10s};
  CHECK(ri.try_restart(t0));
  CHECK(ri.try_restart(t0 + 1s));
  CHECK(ri.try_restart(t0 + 2s));
  CHECK(ri.recent(t0 + 2s) == 3);
  CHECK_FALSE(ri.try_restart(t0 + 3s));
  // A refused restart is not recorded.
  CHECK(ri.recent(t0 + 3s) == 3);
}

TEST_CASE("restarts older than the period no longer count") {
  restart_intensity ri{2, 10s};
  REQUIRE(ri.try_restart(t0));
  REQUIRE(ri.try_restart(t0 + 5s));
  CHECK_FALSE(ri.try_restart(t0 + 9s));
  // At exactly t0 + 10s the first restart leaves the window.
  CHECK(ri.try_restart(t0 + 10s));
  CHECK(ri.recent(t0 + 10s) == 2);
  CHECK(ri.recent(t0 + 30s) == 0);
}

TEST_CASE("zero max_restarts refuses every restart") {
  restart_intensity ri{0, 10s};
  CHECK_FALSE(ri.try_restart(t0));
  CHECK(ri.recent(t0) == 0);
}
