// Tests of the outbox as a queue (adapters/pg/outbox_queue.hpp): SKIP LOCKED
// claims and no skipped rows when transactions commit out of id order
// (SYNC-PROPERTIES.md §5 prop 14).
#include "adapters/pg/outbox_queue.hpp"
#include "tests/syncdb/syncdb_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace ledgerd;

namespace {

std::vector<int64_t> ids_of(const std::vector<pg::outbox_entry>& xs) {
  std::vector<int64_t> out;
  for (const auto& x : xs)
    out.push_back(x.id);
  return out;
}

} // namespace

TEST_CASE("outbox: claims return pending entries in id order") {
  test::syncdb_fixture f;
  auto a = f.app_customer("acme", "A");
  f.app_customer("other", "B");
  f.conn.exec("t",
              "UPDATE ledger.customers SET deleted_at = now()"
              " WHERE id = $1::uuid",
              a);
  CHECK(pg::count_outbox_pending(f.conn) == 3);
  CHECK(pg::count_outbox_pending(f.conn, "acme") == 2);

  // Without a transaction the locks would be gone at once.
  CHECK_THROWS_AS(pg::claim_outbox(f.conn, 10), std::logic_error);

  pg::transaction tx{f.conn};
  auto claimed = pg::claim_outbox(f.conn, 10, "acme");
  REQUIRE(claimed.size() == 2);
  CHECK(claimed[0].id < claimed[1].id);
  CHECK(claimed[0].tenant == "acme");
  CHECK(claimed[0].entity == "customer");
  CHECK(claimed[0].local_id == a);
  CHECK(claimed[0].op == "insert");
  CHECK(claimed[1].op == "delete");
  CHECK(claimed[0].changed_at.time_since_epoch().count() > 0);
  pg::mark_outbox_processed(f.conn, ids_of(claimed));
  tx.commit();
  CHECK(pg::count_outbox_pending(f.conn, "acme") == 0);
  CHECK(pg::count_outbox_pending(f.conn) == 1);
  auto processed_at = f.value("SELECT max(processed_at)::text"
                              " FROM ledgerd.outbox");

  pg::transaction tx2{f.conn};
  CHECK(pg::claim_outbox(f.conn, 0).empty());
  auto rest = pg::claim_outbox(f.conn, 10);
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].tenant == "other");
  // Already processed ids are left alone.
  pg::mark_outbox_processed(f.conn, {claimed[0].id, rest[0].id});
  pg::mark_outbox_processed(f.conn, {});
  tx2.commit();
  CHECK(pg::count_outbox_pending(f.conn) == 0);
  CHECK(f.count("SELECT count(*) FROM ledgerd.outbox WHERE processed_at = '"
                + processed_at + "'")
        == 2);
}

TEST_CASE("outbox: concurrent claimers get disjoint entries") {
  test::syncdb_fixture f;
  for (int i = 0; i < 6; ++i)
    f.app_customer("acme", "C" + std::to_string(i));
  pg::connection c1{f.db.conninfo()};
  pg::connection c2{f.db.conninfo()};
  // Waiting on c1's locks would be a failure, not a hang.
  c2.exec("t", "SET lock_timeout = '5s'");

  pg::transaction t1{c1};
  auto first = pg::claim_outbox(c1, 4);
  pg::transaction t2{c2};
  auto second = pg::claim_outbox(c2, 10);
  CHECK(first.size() == 4);
  CHECK(second.size() == 2);
  std::set<int64_t> all;
  for (auto id : ids_of(first))
    all.insert(id);
  for (auto id : ids_of(second))
    all.insert(id);
  CHECK(all.size() == 6);
  auto first_ids = ids_of(first), second_ids = ids_of(second);
  CHECK(*std::max_element(first_ids.begin(), first_ids.end())
        < *std::min_element(second_ids.begin(), second_ids.end()));

  pg::mark_outbox_processed(c2, ids_of(second));
  t2.commit();
  // The first claimer fails: its entries come back to the queue.
  t1.rollback();
  CHECK(pg::count_outbox_pending(f.conn) == 4);
  pg::transaction t3{c1};
  CHECK(ids_of(pg::claim_outbox(c1, 10)) == ids_of(first));
}

TEST_CASE("outbox: an entry committed after a higher id is still claimed") {
  test::syncdb_fixture f;
  pg::connection slow{f.db.conninfo()};
  pg::connection fast{f.db.conninfo()};

  // The slow writer takes the lower id and commits last.
  pg::transaction slow_tx{slow};
  slow.exec("t", "INSERT INTO ledger.customers (tenant, name)"
                 " VALUES ('acme', 'slow')");
  // Committed at once, with a higher id.
  fast.exec("t", "INSERT INTO ledger.customers (tenant, name)"
                 " VALUES ('acme', 'fast')");
  auto slow_id = slow
                   .exec("t", "SELECT id FROM ledgerd.outbox"
                              " WHERE payload->>'name' = 'slow'")
                   .get<int64_t>(0, 0);

  std::vector<pg::outbox_entry> first;
  {
    pg::transaction tx{f.conn};
    first = pg::claim_outbox(f.conn, 10);
    pg::mark_outbox_processed(f.conn, ids_of(first));
    tx.commit();
  }
  REQUIRE(first.size() == 1);
  CHECK(first[0].id > slow_id);

  slow_tx.commit();
  pg::transaction tx{f.conn};
  auto second = pg::claim_outbox(f.conn, 10);
  REQUIRE(second.size() == 1);
  CHECK(second[0].id < first[0].id);
  CHECK(second[0].id == slow_id);
}
