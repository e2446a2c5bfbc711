// Tests of the bounded (topic, offset) dedup (state/event_dedup.hpp).
#include "state/event_dedup.hpp"

#include <catch2/catch.hpp>

#include <string>

using ledgerd::state::event_dedup;

TEST_CASE("the first delivery is admitted, redeliveries are not") {
  event_dedup d;
  CHECK(d.admit("invoices", "a"));
  CHECK_FALSE(d.admit("invoices", "a"));
  CHECK(d.admit("invoices", "b"));
  CHECK(d.contains("invoices", "a"));
}

TEST_CASE("offsets are unique per topic only") {
  event_dedup d;
  CHECK(d.admit("invoices", "a"));
  CHECK(d.admit("customers", "a"));
  CHECK_FALSE(d.admit("customers", "a"));
}

TEST_CASE("memory per topic is bounded by the window, oldest first") {
  event_dedup d{3};
  for (auto x : {"1", "2", "3", "4"})
    CHECK(d.admit("invoices", x));
  CHECK(d.size("invoices") == 3);
  CHECK_FALSE(d.contains("invoices", "1"));
  // A duplicate older than the window passes (handling is idempotent).
  CHECK(d.admit("invoices", "1"));
  CHECK_FALSE(d.admit("invoices", "4"));
  CHECK(d.size("invoices") == 3);
}

TEST_CASE("a forgotten offset is admitted again") {
  event_dedup d{3};
  CHECK(d.admit("invoices", "1"));
  CHECK(d.admit("invoices", "2"));
  d.forget("invoices", "1");
  d.forget("invoices", "unknown");
  d.forget("customers", "1");
  CHECK(d.size("invoices") == 1);
  CHECK(d.admit("invoices", "1"));
  // Re-admitted offsets are evicted by their new position.
  CHECK(d.admit("invoices", "3"));
  CHECK(d.admit("invoices", "4"));
  CHECK_FALSE(d.contains("invoices", "2"));
  CHECK(d.contains("invoices", "1"));
}

TEST_CASE("a zero window still remembers the latest offset") {
  event_dedup d{0};
  CHECK(d.window() == 1);
  CHECK(d.admit("t", "a"));
  CHECK_FALSE(d.admit("t", "a"));
  CHECK(d.admit("t", "b"));
  CHECK(d.admit("t", "a"));
}
