// actors/record_sync's row lock against a real database: one merge locks
// one local row through its primary key, not a scan of the tenant's table.
#include "actors/record_sync.hpp"
#include "tests/syncdb/syncdb_fixture.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd;
using namespace ledgerd::test;

namespace {

/// This transaction's scans of `table` so far: {sequential, index}.
std::pair<int64_t, int64_t> scans(pg::connection& conn,
                                  const std::string& table) {
  auto res = conn.exec("test.scans",
                       "SELECT coalesce(seq_scan, 0), coalesce(idx_scan, 0)"
                       " FROM pg_stat_xact_user_tables WHERE schemaname ="
                       " 'ledger' AND relname = $1",
                       table);
  return {res.get<int64_t>(0, 0), res.get<int64_t>(0, 1)};
}

} // namespace

TEST_CASE("lock_local locks one row by its primary key, without a scan") {
  syncdb_fixture f;
  // A tenant of realistic size: a scan would read all of it per record.
  f.conn.exec("test.many_customers",
              "INSERT INTO ledger.customers (tenant, name)"
              " SELECT 'acme', 'Kund ' || g FROM generate_series(1, 3000) g");
  auto customer = f.app_customer("acme", "Låst AB");
  auto invoice = f.app_invoice("acme", customer);
  f.conn.exec("test.analyze", "ANALYZE ledger.customers");

  pg::transaction tx{f.conn};
  auto before = scans(f.conn, "customers");
  CHECK(lock_local(f.conn, "customer", customer));
  CHECK(lock_local(f.conn, "invoice", invoice));
  auto after = scans(f.conn, "customers");
  CHECK(after.first == before.first);
  CHECK(after.second == before.second + 1);
  CHECK(scans(f.conn, "invoices").first == 0);
  // The row is locked: another session cannot take it now.
  pg::connection other{f.db.conninfo()};
  CHECK(other
          .exec("test.try_lock",
                "SELECT id FROM ledger.customers WHERE id = $1::uuid"
                " FOR UPDATE SKIP LOCKED",
                customer)
          .rows()
        == 0);
  // An id that is no record locks nothing.
  CHECK_FALSE(
    lock_local(f.conn, "customer", "00000000-0000-4000-8000-000000000000"));
}
