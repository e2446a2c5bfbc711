#include "adapters/log.hpp"
#include "adapters/pg/connection.hpp"
#include "tests/support/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <poll.h>
#include <string>

using namespace ledgerd;

namespace {

/// Blocks until `conn` has something to read or `timeout_ms` passes: the
/// way a caller waits for NOTIFY (a wakeup, not a sleep).
bool wait_readable(pg::connection& conn, int timeout_ms) {
  pollfd p{conn.socket(), POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

/// Expects `f` to throw pg::error and returns it.
template<class F>
pg::error expect_error(F f) {
  try {
    f();
  } catch (const pg::error& e) {
    return e;
  }
  FAIL("expected pg::error");
  throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("parameters go as text, NULLs included, and read back typed") {
  test::test_database db;
  pg::connection conn{db.conninfo()};
  std::optional<std::int64_t> no_number;
  std::optional<std::string> some_text{"opt"};
  std::string_view view{"view"};
  auto res
    = conn.exec("types",
                "SELECT $1::int AS i32, $2::bigint AS i64, $3::text AS s,"
                " $4::bool AS b, $5::float8 AS d, $6::bigint AS n,"
                " $7::text AS o, $8::text AS v, $9::text AS c, $10::int AS z",
                -42, std::int64_t{9'000'000'000}, std::string{"it's \"x\""},
                true, 0.1, no_number, some_text, view, "lit", std::nullopt);
  REQUIRE(res.rows() == 1);
  REQUIRE(res.columns() == 10);
  CHECK(res.get<std::int32_t>(0, 0) == -42);
  CHECK(res.get<std::int64_t>(0, "i64") == 9'000'000'000);
  CHECK(res.get<std::string>(0, "s") == "it's \"x\"");
  CHECK(res.get<bool>(0, "b"));
  CHECK(res.get<double>(0, "d") == 0.1);
  CHECK(res.is_null(0, res.column("n")));
  CHECK_FALSE(res.get_optional<std::int64_t>(0, "n").has_value());
  CHECK(res.get_optional<std::string>(0, "o") == "opt");
  CHECK(res.value(0, 7) == "view");
  CHECK(res.get<std::string>(0, "c") == "lit");
  CHECK(res.is_null(0, 9));
  CHECK(res.column_name(4) == "d");
  // Reading NULL as a value, a wrong type or a missing column names the query.
  auto null_read = expect_error([&] {
    res.get<std::int64_t>(0, "n");
  });
  CHECK(null_read.label() == "types");
  CHECK(std::string{null_read.what()}.find("is NULL") != std::string::npos);
  CHECK_THROWS_AS(res.get<std::int32_t>(0, "s"), pg::error);
  CHECK_THROWS_AS(res.column("missing"), pg::error);
  CHECK_THROWS_AS(res.value(1, 0), pg::error);
}

TEST_CASE("affected rows and the command tag are reported") {
  test::test_database db;
  pg::connection conn{db.conninfo()};
  conn.exec("create", "CREATE TABLE t (id int PRIMARY KEY, v text)");
  auto ins = conn.exec("insert",
                       "INSERT INTO t SELECT g, 'x' FROM generate_series(1, "
                       "$1::int) g",
                       3);
  CHECK(ins.affected_rows() == 3);
  CHECK(ins.command_tag() == "INSERT 0 3");
  auto upd = conn.exec("update", "UPDATE t SET v = $1 WHERE id > $2", "y", 1);
  CHECK(upd.affected_rows() == 2);
  CHECK(conn.exec("count", "SELECT count(*) FROM t WHERE v = 'y'")
          .get<std::int64_t>(0, 0)
        == 2);
}

TEST_CASE("errors carry the label, PostgreSQL's message and SQLSTATE") {
  test::test_database db;
  pg::connection conn{db.conninfo()};
  conn.exec("create", "CREATE TABLE t (id int PRIMARY KEY)");
  conn.exec("insert", "INSERT INTO t VALUES ($1)", 1);

  auto dup = expect_error([&] {
    conn.exec("insert_dup", "INSERT INTO t VALUES ($1)", 1);
  });
  CHECK(dup.label() == "insert_dup");
  CHECK(dup.sqlstate() == "23505");
  CHECK(dup.message()
        == "duplicate key value violates unique constraint "
           "\"t_pkey\"");
  CHECK(std::string{dup.what()}
        == "query 'insert_dup' failed: [23505] duplicate key value violates "
           "unique constraint \"t_pkey\"");
  CHECK_FALSE(dup.connection_lost());

  auto syntax = expect_error([&] {
    conn.exec("bad_sql", "SELEC 1");
  });
  CHECK(syntax.label() == "bad_sql");
  CHECK(syntax.sqlstate() == "42601");
  CHECK_FALSE(syntax.connection_lost());
  // The session survives ordinary errors.
  CHECK(conn.exec("after", "SELECT 1").get<int>(0, 0) == 1);
  CHECK(conn.is_alive());
}

TEST_CASE("connecting to a missing database fails with a connection error") {
  auto e = expect_error([] {
    pg::connection conn{"host=" + test::shared_cluster_host()
                        + " user=postgres dbname=ledgerd_no_such_db"};
  });
  INFO(e.what());
  CHECK(e.label() == "connect");
  CHECK(e.sqlstate() == "08001");
  CHECK(e.connection_lost());
  CHECK(std::string{e.what()}.find("connect failed: [08001] ") == 0);
  CHECK(std::string{e.what()}.find("\"ledgerd_no_such_db\" does not exist")
        != std::string::npos);
}

TEST_CASE("a transaction rolls back on destruction and keeps what commits") {
  test::test_database db;
  pg::connection conn{db.conninfo()};
  conn.exec("create", "CREATE TABLE t (id int PRIMARY KEY)");
  auto count = [&] {
    return conn.exec("count", "SELECT count(*) FROM t").get<std::int64_t>(0, 0);
  };
  {
    pg::transaction tx{conn};
    conn.exec("insert", "INSERT INTO t VALUES (1)");
    CHECK(conn.in_transaction());
  }
  CHECK_FALSE(conn.in_transaction());
  CHECK(count() == 0);
  {
    pg::transaction tx{conn};
    conn.exec("insert", "INSERT INTO t VALUES (2)");
    tx.commit();
    CHECK_FALSE(tx.is_open());
  }
  CHECK(count() == 1);
  // An exception unwinding through the transaction rolls it back.
  CHECK_THROWS_AS(
    [&] {
      pg::transaction tx{conn};
      conn.exec("insert", "INSERT INTO t VALUES (3)");
      conn.exec("insert_dup", "INSERT INTO t VALUES (2)");
      tx.commit();
    }(),
    pg::error);
  CHECK_FALSE(conn.in_transaction());
  CHECK(count() == 1);
}

TEST_CASE("commit of a failed transaction reports the rollback") {
  test::test_database db;
  pg::connection conn{db.conninfo()};
  pg::transaction tx{conn};
  CHECK_THROWS_AS(conn.exec("bad", "SELECT 1/0"), pg::error);
  // PostgreSQL answers COMMIT with ROLLBACK here, not with an error.
  auto e = expect_error([&] {
    tx.commit();
  });
  CHECK(e.label() == "commit");
  CHECK(e.sqlstate() == "25P02");
  CHECK_FALSE(conn.in_transaction());
}

TEST_CASE("transactions take an isolation level and do not nest") {
  test::test_database db;
  pg::connection conn{db.conninfo()};
  pg::transaction tx{conn, pg::isolation::serializable};
  CHECK(conn.exec("iso", "SHOW transaction_isolation").get<std::string>(0, 0)
        == "serializable");
  CHECK_THROWS_AS(pg::transaction(conn), pg::error);
  tx.commit();
}

TEST_CASE("prepared statements are prepared once per session") {
  test::test_database db;
  pg::connection conn{db.conninfo()};
  const std::string sql = "SELECT $1::int + $2::int";
  conn.prepare("add", sql);
  conn.prepare("add", sql); // no-op: a second PREPARE would fail (42P05)
  CHECK(conn.is_prepared("add"));
  CHECK(conn.exec_prepared("add", 2, 3).get<int>(0, 0) == 5);
  CHECK(conn.exec_prepared("add", 10, -4).get<int>(0, 0) == 6);
  CHECK(conn
          .exec("count", "SELECT count(*) FROM pg_prepared_statements"
                         " WHERE name = 'add'")
          .get<std::int64_t>(0, 0)
        == 1);
  CHECK_THROWS_AS(conn.prepare("add", "SELECT 1"), pg::error);
  auto e = expect_error([&] {
    conn.exec_prepared("missing");
  });
  CHECK(e.label() == "missing");
  CHECK(e.sqlstate() == "26000");
}

TEST_CASE("a pipeline returns every result in order") {
  test::test_database db;
  pg::connection conn{db.conninfo()};
  conn.exec("create", "CREATE TABLE t (id int PRIMARY KEY, v text)");
  auto results = conn.pipeline({
    {"insert_1", "INSERT INTO t VALUES ($1, $2)", 1, "a"},
    {"insert_2", "INSERT INTO t VALUES ($1, $2)", 2, std::nullopt},
    {"read", "SELECT id, v FROM t ORDER BY id"},
    {"sum", "SELECT sum(id) FROM t WHERE id >= $1", 1},
  });
  REQUIRE(results.size() == 4);
  CHECK(results[0].affected_rows() == 1);
  CHECK(results[1].affected_rows() == 1);
  REQUIRE(results[2].rows() == 2);
  CHECK(results[2].get<std::string>(0, "v") == "a");
  CHECK(results[2].is_null(1, 1));
  CHECK(results[3].get<std::int64_t>(0, 0) == 3);
  CHECK(results[3].label() == "sum");
  CHECK(conn.pipeline({}).empty());
  // The session is back in normal mode.
  CHECK(conn.exec("after", "SELECT 7").get<int>(0, 0) == 7);
}

TEST_CASE("a failing pipeline names the failed statement and rolls back") {
  test::test_database db;
  pg::connection conn{db.conninfo()};
  conn.exec("create", "CREATE TABLE t (id int PRIMARY KEY)");
  conn.exec("seed", "INSERT INTO t VALUES (1)");
  auto e = expect_error([&] {
    conn.pipeline({
      {"insert_2", "INSERT INTO t VALUES ($1)", 2},
      {"insert_dup", "INSERT INTO t VALUES ($1)", 1},
      {"insert_3", "INSERT INTO t VALUES ($1)", 3},
    });
  });
  CHECK(e.label() == "insert_dup");
  CHECK(e.sqlstate() == "23505");
  CHECK_FALSE(e.connection_lost());
  // One implicit transaction: the earlier insert is gone, the later skipped.
  CHECK(conn.exec("ids", "SELECT string_agg(id::text, ',' ORDER BY id) FROM t")
          .get<std::string>(0, 0)
        == "1");
  CHECK_FALSE(conn.is_broken());
  CHECK(conn.pipeline({{"ok", "SELECT 1"}}).size() == 1);
}

TEST_CASE("listen and notify deliver channel and payload") {
  test::test_database db;
  pg::connection listener{db.conninfo()};
  pg::connection sender{db.conninfo()};
  // A quoted channel: case and spaces survive, and the name cannot inject.
  const std::string channel = "Outbox \"Events\"; DROP";
  listener.listen(channel);
  CHECK(listener.is_listening());
  CHECK(listener.poll_notifications().empty());
  sender.notify(channel, "customer:42");
  sender.notify("other", "ignored");
  std::vector<pg::notification> got;
  while (got.empty() && wait_readable(listener, 10'000))
    got = listener.poll_notifications();
  REQUIRE(got.size() == 1);
  CHECK(got[0].channel == channel);
  CHECK(got[0].payload == "customer:42");
  CHECK(got[0].sender_pid == sender.backend_pid());
  listener.unlisten(channel);
  sender.notify(channel, "after unlisten");
  // A round trip on the listener makes sure anything sent had arrived.
  listener.exec("sync", "SELECT 1");
  CHECK(listener.poll_notifications().empty());
}

TEST_CASE("is_alive notices a terminated session without blocking") {
  log::set_sink([](const std::string&) {});
  test::test_database db;
  pg::connection victim{db.conninfo()};
  pg::connection admin{db.conninfo()};
  CHECK(victim.is_alive());
  // Waits (up to 10 s) until the backend has exited.
  CHECK(admin
          .exec("terminate", "SELECT pg_terminate_backend($1, 10000)",
                victim.backend_pid())
          .get<bool>(0, 0));
  CHECK_FALSE(victim.is_alive());
  auto e = expect_error([&] {
    victim.exec("after_terminate", "SELECT 1");
  });
  CHECK(e.connection_lost());
  CHECK(e.label() == "after_terminate");
  CHECK(victim.is_broken());
  log::set_sink({});
}

TEST_CASE("a statement that loses its session reports connection loss") {
  log::set_sink([](const std::string&) {});
  test::test_database db;
  pg::connection victim{db.conninfo()};
  pg::connection admin{db.conninfo()};
  CHECK(admin
          .exec("terminate", "SELECT pg_terminate_backend($1, 10000)",
                victim.backend_pid())
          .get<bool>(0, 0));
  // No is_alive() first: the query itself runs into the closed session.
  auto e = expect_error([&] {
    victim.exec("claim_jobs", "SELECT 1");
  });
  CHECK(e.connection_lost());
  CHECK(e.label() == "claim_jobs");
  CHECK(victim.is_broken());
  log::set_sink({});
}
