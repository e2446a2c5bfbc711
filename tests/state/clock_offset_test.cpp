#include "state/clock_offset.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono;
using namespace std::chrono_literals;
using ledgerd::state::clock_ahead;
using ledgerd::state::on_our_clock;

namespace {

// 2026-12-07T10:00:00Z
constexpr sys_seconds at{sys_days{2026y / 12 / 7} + 10h};

} // namespace

TEST_CASE("a provider clock five minutes behind ours") {
  // Its Date says 09:55:00 and the answer arrived at 10:00:00.400 here.
  auto ahead = clock_ahead(at - 300s, at + 400ms);
  CHECK(ahead == -300s + 100ms);
  // Its change time 09:54:30 was 09:59:29.9 here (within the Date's second).
  auto t = on_our_clock(at - 330s, ahead);
  CHECK(t == at - 30s - 100ms);
}

TEST_CASE("a provider clock ahead of ours") {
  CHECK(clock_ahead(at + 120s, at) == 120s + 500ms);
  CHECK(on_our_clock(at + 120s, 120s) == at);
}

TEST_CASE("clocks within the Date header's resolution count as the same") {
  // Truncated to the second and a round trip later: no offset to tell.
  CHECK(clock_ahead(at, at) == 0ms);
  CHECK(clock_ahead(at, at + 900ms) == 0ms);
  CHECK(clock_ahead(at - 1s, at + 300ms) == 0ms);
  CHECK(clock_ahead(at + 1s, at) == 1500ms);
  CHECK(clock_ahead(at - 2s, at) == -1500ms);
  CHECK(on_our_clock(at, 0ms) == at);
}
