// Tests of ledgerd.cursors access (adapters/pg/cursor_table.hpp).
#include "adapters/pg/cursor_table.hpp"
#include "tests/syncdb/syncdb_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace ledgerd;
using namespace std::chrono;
using test::customers_fx;
using test::invoices_fx;

namespace {

/// 2024-05-01T12:00:00.123456Z (microseconds: PostgreSQL's resolution).
const pg::wall_time t1
  = sys_days{year{2024} / 5 / 1} + hours{12} + microseconds{123456};

} // namespace

TEST_CASE("cursors: load of a missing cursor is empty") {
  test::syncdb_fixture f;
  auto c = pg::load_cursor(f.conn, customers_fx);
  CHECK_FALSE(c.watermark);
  CHECK(c.cursor.empty());
  CHECK_FALSE(c.reconciled_at);
}

TEST_CASE("cursors: watermark and reconciliation time are upserted") {
  test::syncdb_fixture f;
  pg::save_watermark(f.conn, customers_fx, t1);
  auto c = pg::load_cursor(f.conn, customers_fx);
  REQUIRE(c.watermark);
  CHECK(*c.watermark == t1);
  CHECK_FALSE(c.reconciled_at);
  CHECK(f.value("SELECT watermark = '2024-05-01T12:00:00.123456Z'"
                " FROM ledgerd.cursors")
        == "t");

  // Nanoseconds are cut to microseconds.
  pg::save_watermark(f.conn, customers_fx, t1 + minutes{5} + nanoseconds{999});
  c = pg::load_cursor(f.conn, customers_fx);
  CHECK(*c.watermark == t1 + minutes{5});

  pg::save_reconciled(f.conn, customers_fx, t1 - hours{1});
  c = pg::load_cursor(f.conn, customers_fx);
  CHECK(*c.watermark == t1 + minutes{5});
  REQUIRE(c.reconciled_at);
  CHECK(*c.reconciled_at == t1 - hours{1});
  CHECK(f.count("SELECT count(*) FROM ledgerd.cursors") == 1);

  // Another entity has its own cursor, created by save_reconciled alone.
  pg::save_reconciled(f.conn, invoices_fx, t1);
  auto inv = pg::load_cursor(f.conn, invoices_fx);
  CHECK_FALSE(inv.watermark);
  CHECK(*inv.reconciled_at == t1);
  CHECK(f.count("SELECT count(*) FROM ledgerd.cursors") == 2);

  // Times before 1970 and the cursor text read back too.
  f.db.exec("UPDATE ledgerd.cursors SET cursor = 'page-7',"
            " watermark = '1969-12-31T23:59:59.5Z' WHERE entity = 'invoice'");
  inv = pg::load_cursor(f.conn, invoices_fx);
  CHECK(inv.cursor == "page-7");
  CHECK(*inv.watermark == pg::wall_time{} - milliseconds{500});
}
