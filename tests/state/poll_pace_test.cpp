#include "state/poll_pace.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd::state;
using namespace std::chrono_literals;

namespace {

const auto t0 = poll_clock::time_point{} + 1h;

} // namespace

TEST_CASE("without events every tick polls", "[poll]") {
  CHECK(poll_due(t0, std::nullopt, std::nullopt, 10s, 4));
  CHECK(poll_due(t0, std::nullopt, t0 - 10s, 10s, 4));
  // An event older than one interval means events stopped.
  CHECK(poll_due(t0, t0 - 11s, t0 - 10s, 10s, 4));
}

TEST_CASE("while events flow polls come stretch times less often", "[poll]") {
  auto event = t0 - 1s;
  CHECK_FALSE(poll_due(t0, event, t0 - 10s, 10s, 4));
  CHECK_FALSE(poll_due(t0, event, t0 - 30s, 10s, 4));
  CHECK(poll_due(t0, event, t0 - 40s, 10s, 4));
  // A tick a little early in the stretched period still counts.
  CHECK(poll_due(t0, event, t0 - 36s, 10s, 4));
  // The first poll always happens; a stretch of 1 never slows down.
  CHECK(poll_due(t0, event, std::nullopt, 10s, 4));
  CHECK(poll_due(t0, event, t0 - 10s, 10s, 1));
}

TEST_CASE("events count as flowing for one normal interval", "[poll]") {
  CHECK(events_flowing(t0, t0 - 9s, 10s));
  CHECK_FALSE(events_flowing(t0, t0 - 10s, 10s));
  CHECK_FALSE(events_flowing(t0, std::nullopt, 10s));
}
