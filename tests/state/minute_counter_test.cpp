#include "state/minute_counter.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using ledgerd::state::minute_counter;

TEST_CASE("a minute counter counts the events of the last 60 seconds") {
  minute_counter c;
  const minute_counter::time_point t0{1000s};
  CHECK(c.last_minute(t0) == 0);
  c.add(t0, 3);
  c.add(t0 + 30s);
  c.add(t0 + 59s, 2);
  CHECK(c.last_minute(t0 + 59s) == 6);
  // At t0 + 60 s the first second has left the minute.
  CHECK(c.last_minute(t0 + 60s) == 3);
  // A slot reused a minute later starts from zero.
  c.add(t0 + 60s);
  CHECK(c.last_minute(t0 + 60s) == 4);
  CHECK(c.last_minute(t0 + 200s) == 0);
}
