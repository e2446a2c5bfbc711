#include "adapters/pg/inbox.hpp"
#include "tests/support/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace ledgerd;
using namespace ledgerd::test;
using namespace std::chrono_literals;

TEST_CASE("an inbox event is stored once however often it arrives", "[inbox]") {
  test_database db;
  auto pool = migrated_pool(db, 2);
  auto conn = pool->acquire(10s);
  pg::inbox_event e{"webhook:fortnox", "msg_1", "acme", R"({"a": 1})"};
  CHECK(pg::store_inbox_event(*conn, e));
  CHECK_FALSE(pg::store_inbox_event(*conn, e));
  // The same id from another source is another event.
  e.source = "webhook:visma";
  CHECK(pg::store_inbox_event(*conn, e));
  CHECK(pg::count_inbox(*conn) == 2);
  e.event_id = "msg_2";
  e.payload = "not json";
  CHECK_THROWS_AS(pg::store_inbox_event(*conn, e), std::invalid_argument);
  CHECK(pg::count_inbox(*conn) == 2);
}

TEST_CASE("inbox claims skip locked events and processed ones", "[inbox]") {
  test_database db;
  auto pool = migrated_pool(db, 2);
  auto a = pool->acquire(10s);
  auto b = pool->acquire(10s);
  for (auto id : {"1", "2", "3"})
    pg::store_inbox_event(*a, {"webhook:fortnox", id, "acme", "{}"});
  pg::transaction ta{*a};
  auto first = pg::claim_inbox(*a, 2);
  REQUIRE(first.size() == 2);
  {
    pg::transaction tb{*b};
    auto second = pg::claim_inbox(*b, 10);
    REQUIRE(second.size() == 1);
    CHECK(second[0].event_id == "3");
  }
  for (const auto& e : first)
    pg::mark_inbox_processed(*a, e);
  ta.commit();
  CHECK(pg::count_inbox(*a, true) == 1);
  pg::transaction again{*a};
  auto rest = pg::claim_inbox(*a, 10);
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].event_id == "3");
  CHECK(rest[0].tenant == "acme");
}
