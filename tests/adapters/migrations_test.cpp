#include "adapters/log.hpp"
#include "adapters/pg/connection.hpp"
#include "adapters/pg/migrations.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/quiet_log.hpp"

#include <catch2/catch.hpp>

#include <latch>
#include <string>
#include <thread>
#include <vector>

using namespace ledgerd;

namespace {

std::vector<pg::migration> sample_migrations() {
  return {
    {1, "accounts", "CREATE TABLE ledgerd.accounts (id int PRIMARY KEY);"},
    {2, "seed",
     "INSERT INTO ledgerd.accounts VALUES (1); "
     "INSERT INTO ledgerd.accounts VALUES (2);"},
    {5, "notes", "CREATE TABLE ledgerd.notes (id int, body text);"},
  };
}

/// "1,2,5": the versions recorded in the database.
std::string recorded(const test::test_database& db) {
  return db.query_value(
    "SELECT coalesce(string_agg(version::text, ','"
    " ORDER BY version), '') FROM ledgerd.schema_migrations");
}

std::vector<int> versions(const std::vector<pg::migration>& ms) {
  std::vector<int> out;
  for (const auto& m : ms)
    out.push_back(m.version);
  return out;
}

pg::error migrate_error(pg::connection& conn,
                        const std::vector<pg::migration>& ms) {
  try {
    pg::migrate(conn, ms);
  } catch (const pg::error& e) {
    return e;
  }
  FAIL("migrate should have failed");
  throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("migrate applies the shipped migrations and records them") {
  test::quiet_log quiet;
  test::test_database db;
  pg::connection conn{db.conninfo()};
  const auto& shipped = pg::embedded_migrations();
  REQUIRE_FALSE(shipped.empty());
  auto report = pg::migrate(conn);
  CHECK(report.applied == versions(shipped));
  CHECK(report.current_version == shipped.back().version);
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.schema_migrations")
        == std::to_string(shipped.size()));
  CHECK(db.query_value("SELECT checksum FROM ledgerd.schema_migrations"
                       " ORDER BY version LIMIT 1")
        == pg::checksum(shipped.front()));
  // Running again (the next start) applies nothing.
  auto again = pg::migrate(conn);
  CHECK(again.applied.empty());
  CHECK(again.current_version == report.current_version);
}

TEST_CASE("migrate applies only what is missing") {
  test::quiet_log quiet;
  test::test_database db;
  pg::connection conn{db.conninfo()};
  auto all = sample_migrations();
  auto report = pg::migrate(conn, {all[0], all[1]});
  CHECK(report.applied == std::vector<int>{1, 2});
  CHECK(report.current_version == 2);
  report = pg::migrate(conn, all);
  CHECK(report.applied == std::vector<int>{5});
  CHECK(report.current_version == 5);
  CHECK(recorded(db) == "1,2,5");
  report = pg::migrate(conn, all);
  CHECK(report.applied.empty());
  // The seed ran exactly once.
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.accounts") == "2");
  CHECK(db.query_value("SELECT to_regclass('ledgerd.notes') IS NOT NULL")
        == "t");
}

TEST_CASE("nodes migrating the same database at once take turns") {
  test::quiet_log quiet;
  test::test_database db;
  auto all = sample_migrations();
  constexpr int nodes = 6;
  std::vector<pg::migration_report> reports(nodes);
  std::vector<std::string> failures(nodes);
  std::latch start{nodes};
  std::vector<std::thread> threads;
  for (int i = 0; i < nodes; ++i)
    threads.emplace_back([&, i] {
      try {
        pg::connection conn{db.conninfo()};
        start.arrive_and_wait();
        reports[i] = pg::migrate(conn, all);
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  for (auto& t : threads)
    t.join();
  std::size_t applied = 0;
  for (int i = 0; i < nodes; ++i) {
    CHECK(failures[i] == "");
    CHECK(reports[i].current_version == 5);
    applied += reports[i].applied.size();
  }
  CHECK(applied == all.size());
  CHECK(recorded(db) == "1,2,5");
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.accounts") == "2");
}

TEST_CASE("a failing migration names itself and keeps earlier versions") {
  test::quiet_log quiet;
  test::test_database db;
  pg::connection conn{db.conninfo()};
  auto list = sample_migrations();
  list.insert(list.begin() + 2,
              {3, "broken", "CREATE TABLE ledgerd.half (id int);\nSELEC 1;"});
  auto e = migrate_error(conn, list);
  CHECK(e.label() == "migrate");
  CHECK(e.sqlstate() == "42601");
  std::string what = e.what();
  CHECK(what.find("migration 3 (broken)") != std::string::npos);
  CHECK(what.find("syntax error") != std::string::npos);
  CHECK(recorded(db) == "1,2");
  // The failed migration left nothing behind, and the lock was released.
  CHECK(db.query_value("SELECT to_regclass('ledgerd.half') IS NULL") == "t");
  // pg_locks is cluster-wide and other tests migrate in parallel: look at
  // this database only.
  CHECK(db.query_value("SELECT count(*) FROM pg_locks l JOIN pg_database d"
                       " ON d.oid = l.database WHERE l.locktype = 'advisory'"
                       " AND d.datname = current_database()")
        == "0");
  CHECK_FALSE(conn.in_transaction());
  // Once fixed, the next run continues where it stopped.
  list[2].sql = "CREATE TABLE ledgerd.half (id int);";
  auto report = pg::migrate(conn, list);
  CHECK(report.applied == std::vector<int>{3, 5});
}

TEST_CASE("a migration changed after it was applied is detected") {
  test::quiet_log quiet;
  test::test_database db;
  pg::connection conn{db.conninfo()};
  auto all = sample_migrations();
  pg::migrate(conn, {all[0], all[1]});
  all[1].sql += "\nINSERT INTO ledgerd.accounts VALUES (3);";
  auto e = migrate_error(conn, all);
  CHECK(e.label() == "migrate");
  std::string what = e.what();
  CHECK(what.find("migration 2 (seed) was changed") != std::string::npos);
  CHECK(what.find(pg::checksum(all[1])) != std::string::npos);
  // Nothing newer was applied on top of the mismatch.
  CHECK(recorded(db) == "1,2");
}

TEST_CASE("a migration list that is not strictly increasing is rejected") {
  test::test_database db;
  pg::connection conn{db.conninfo()};
  auto all = sample_migrations();
  auto unordered = migrate_error(conn, {all[1], all[0]});
  CHECK(std::string{unordered.what()}.find("not strictly increasing")
        != std::string::npos);
  auto duplicate = migrate_error(conn, {all[0], all[0]});
  CHECK(std::string{duplicate.what()}.find("version 1 follows 1")
        != std::string::npos);
  // Rejected before touching the database.
  CHECK(db.query_value("SELECT to_regclass('ledgerd.schema_migrations')"
                       " IS NULL")
        == "t");
}

TEST_CASE("a migration that commits by itself is refused") {
  test::quiet_log quiet;
  test::test_database db;
  pg::connection conn{db.conninfo()};
  auto e = migrate_error(
    conn, {{1, "sneaky", "CREATE TABLE ledgerd.s (id int); COMMIT;"}});
  CHECK(std::string{e.what()}.find("ended the transaction")
        != std::string::npos);
  CHECK(recorded(db) == "");
}

TEST_CASE("the checksum is a SHA-256 of the SQL") {
  pg::migration m{1, "x", "abc"};
  CHECK(pg::checksum(m)
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
