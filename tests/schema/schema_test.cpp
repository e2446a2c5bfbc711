// Tests of the initial schema (adapters/pg/migrations/0001_schema.sql):
// tables and indexes, job constraints, local change capture into the outbox,
// NOTIFY, echo suppression and the updated_at trigger.
#include "adapters/pg/migrations.hpp"
#include "tests/support/pg_fixture.hpp"

#include <catch2/catch.hpp>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using ledgerd::test::test_database;

void migrate(const test_database& db) {
  for (const auto& m : ledgerd::pg::embedded_migrations())
    db.exec(m.sql);
}

/// A plain libpq connection, for tests that need one session across
/// statements (transactions, LISTEN, SET).
class connection {
public:
  explicit connection(const std::string& conninfo)
    : conn_(PQconnectdb(conninfo.c_str()), &PQfinish) {
    if (PQstatus(conn_.get()) != CONNECTION_OK)
      throw std::runtime_error(std::string{"connect: "}
                               + PQerrorMessage(conn_.get()));
  }

  /// Runs `sql`; returns all rows as text (NULL as ""); throws on error.
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> res{
      PQexec(conn_.get(), sql.c_str()), &PQclear};
    auto st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
      throw std::runtime_error(sql + ": " + PQresultErrorMessage(res.get()));
    std::vector<std::vector<std::string>> out;
    for (int r = 0; r < PQntuples(res.get()); ++r) {
      auto& row = out.emplace_back();
      for (int c = 0; c < PQnfields(res.get()); ++c)
        row.emplace_back(PQgetvalue(res.get(), r, c));
    }
    return out;
  }

  void exec(const std::string& sql) {
    rows(sql);
  }

  /// First column of the first row ("" if there is none).
  std::string value(const std::string& sql) {
    auto rs = rows(sql);
    return rs.empty() ? std::string{} : rs.front().front();
  }

  /// Waits up to `timeout` for a notification; no fixed sleeps.
  std::optional<std::pair<std::string, std::string>>
  wait_notify(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (PQconsumeInput(conn_.get()) == 0)
        throw std::runtime_error(PQerrorMessage(conn_.get()));
      if (auto* n = PQnotifies(conn_.get())) {
        std::pair<std::string, std::string> result{n->relname, n->extra};
        PQfreemem(n);
        return result;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      pollfd pfd{PQsocket(conn_.get()), POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR)
        throw std::runtime_error("poll failed");
    }
  }

private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

/// Expects `sql` to fail with an error message containing `what`.
void check_fails(const test_database& db, const std::string& sql,
                 const std::string& what) {
  try {
    db.exec(sql);
  } catch (const std::exception& e) {
    INFO(e.what());
    CHECK(std::string{e.what()}.find(what) != std::string::npos);
    return;
  }
  FAIL("expected failure (" << what << "): " << sql);
}

const std::string customer_a = "00000000-0000-0000-0000-00000000000a";
const std::string invoice_1 = "00000000-0000-0000-0000-0000000000f1";

/// `s` as an SQL string literal (test values contain no quotes).
std::string q(const std::string& s) {
  return "'" + s + "'";
}

void insert_customer(const test_database& db,
                     const std::string& id = customer_a,
                     const std::string& tenant = "acme") {
  db.exec("INSERT INTO ledger.customers (id, tenant, name) VALUES (" + q(id)
          + ", '" + tenant + "', 'Alpha AB')");
}

void insert_invoice(const test_database& db) {
  db.exec(std::string{"INSERT INTO ledger.invoices (id, tenant, customer_id, "
                      "total, vat) VALUES ("}
          + q(invoice_1) + ", 'acme', " + q(customer_a) + ", 12500, 2500)");
}

/// "entity/op/local_id" of every outbox row, oldest first.
std::vector<std::string> outbox(const test_database& db) {
  connection c{db.conninfo()};
  std::vector<std::string> out;
  for (auto& r : c.rows("SELECT entity || '/' || op || '/' || local_id "
                        "FROM ledgerd.outbox ORDER BY id"))
    out.push_back(r[0]);
  return out;
}

std::string insert_job(const test_database& db, const std::string& dedup_key) {
  return db.query_value(
    "INSERT INTO ledgerd.jobs (tenant, provider, kind, dedup_key) "
    "VALUES ('acme', 'fortnox', 'pull', '"
    + dedup_key + "') RETURNING id");
}

} // namespace

TEST_CASE("migrations create every table and index") {
  test_database db;
  migrate(db);
  for (auto table :
       {"ledgerd.jobs", "ledgerd.job_events", "ledgerd.batches",
        "ledgerd.links", "ledgerd.cursors", "ledgerd.stream_offsets",
        "ledgerd.conflicts", "ledgerd.inbox", "ledgerd.credentials",
        "ledgerd.outbox", "ledger.customers", "ledger.invoices",
        "ledger.invoice_rows"}) {
    INFO(table);
    CHECK(db.query_value(std::string{"SELECT to_regclass('"} + table
                         + "') IS NOT NULL")
          == "t");
  }
  // The runner owns schema_migrations; the migration must not create it.
  CHECK(db.query_value("SELECT to_regclass('ledgerd.schema_migrations') IS "
                       "NULL")
        == "t");
  for (auto index :
       {"jobs_dedup_key_active_uq", "jobs_claim_idx", "jobs_tenant_idx",
        "jobs_lease_expiry_idx", "jobs_retention_idx", "conflicts_open_idx",
        "conflicts_open_uq", "outbox_unprocessed_idx"}) {
    INFO(index);
    CHECK(db.query_value(std::string{"SELECT count(*) FROM pg_indexes WHERE "
                                     "schemaname = 'ledgerd' AND indexname = '"}
                         + index + "'")
          == "1");
  }
  // Every table carries a comment.
  CHECK(db.query_value(
          "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
          "n.oid = c.relnamespace WHERE n.nspname IN ('ledgerd', 'ledger') "
          "AND c.relkind = 'r' AND obj_description(c.oid, 'pg_class') IS NULL")
        == "0");
}

TEST_CASE("money is integer minor units and nothing is floating point") {
  test_database db;
  migrate(db);
  auto type_of = [&](const std::string& table, const std::string& column) {
    return db.query_value(
      "SELECT data_type FROM information_schema.columns WHERE table_schema = "
      "'ledger' AND table_name = '"
      + table + "' AND column_name = '" + column + "'");
  };
  CHECK(type_of("invoices", "total") == "bigint");
  CHECK(type_of("invoices", "vat") == "bigint");
  CHECK(type_of("invoice_rows", "unit_price") == "bigint");
  CHECK(type_of("invoice_rows", "quantity") == "numeric");
  CHECK(db.query_value("SELECT count(*) FROM information_schema.columns "
                       "WHERE table_schema IN ('ledger', 'ledgerd') AND "
                       "data_type IN ('real', 'double precision', 'money')")
        == "0");
}

TEST_CASE("claim query is served by the partial claim index") {
  test_database db;
  migrate(db);
  connection c{db.conninfo()};
  c.exec("SET enable_seqscan = off");
  std::string plan;
  for (auto& r :
       c.rows("EXPLAIN SELECT id FROM ledgerd.jobs WHERE state = 'pending' AND "
              "run_at <= now() ORDER BY priority DESC, run_at "
              "LIMIT 10 FOR UPDATE SKIP LOCKED"))
    plan += r[0] + "\n";
  INFO(plan);
  CHECK(plan.find("jobs_claim_idx") != std::string::npos);
  // The index delivers the order: no separate sort step.
  CHECK(plan.find("Sort") == std::string::npos);
}

TEST_CASE("dedup key admits one live job at a time") {
  test_database db;
  migrate(db);
  auto first = insert_job(db, "acme:fortnox:pull:invoice");
  check_fails(db,
              "INSERT INTO ledgerd.jobs (tenant, provider, kind, dedup_key) "
              "VALUES ('acme', 'fortnox', 'pull', "
              "'acme:fortnox:pull:invoice')",
              "jobs_dedup_key_active_uq");
  // Still blocked while the first job is processing.
  db.exec("UPDATE ledgerd.jobs SET state = 'processing', lease_owner = 'n1', "
          "lease_until = now() + interval '30 s', attempt = 1 WHERE id = "
          + first);
  check_fails(db,
              "INSERT INTO ledgerd.jobs (tenant, provider, kind, dedup_key) "
              "VALUES ('acme', 'fortnox', 'pull', "
              "'acme:fortnox:pull:invoice')",
              "jobs_dedup_key_active_uq");
  // Idempotent enqueue: ON CONFLICT DO NOTHING inserts nothing.
  CHECK(db.query_value(
          "WITH i AS (INSERT INTO ledgerd.jobs (tenant, provider, kind, "
          "dedup_key) VALUES ('acme', 'fortnox', 'pull', "
          "'acme:fortnox:pull:invoice') ON CONFLICT (dedup_key) WHERE state "
          "IN ('pending', 'processing') AND dedup_key IS NOT NULL DO NOTHING "
          "RETURNING id) SELECT count(*) FROM i")
        == "0");
  db.exec("UPDATE ledgerd.jobs SET state = 'completed' WHERE id = " + first);
  auto second = insert_job(db, "acme:fortnox:pull:invoice");
  CHECK(second != first);
  // Jobs without a key are never deduplicated.
  for (int i = 0; i < 2; ++i)
    db.exec("INSERT INTO ledgerd.jobs (tenant, provider, kind) "
            "VALUES ('acme', 'fortnox', 'poll')");
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.jobs") == "4");
}

TEST_CASE("job state and invariants are checked") {
  test_database db;
  migrate(db);
  check_fails(db,
              "INSERT INTO ledgerd.jobs (tenant, provider, kind, state) "
              "VALUES ('acme', 'fortnox', 'pull', 'bogus')",
              "jobs_state_check");
  auto id = insert_job(db, "k");
  check_fails(db, "UPDATE ledgerd.jobs SET state = 'done' WHERE id = " + id,
              "jobs_state_check");
  check_fails(db, "UPDATE ledgerd.jobs SET priority = 4 WHERE id = " + id,
              "jobs_priority_check");
  // processing needs a lease, so a dead owner's job can be taken back.
  check_fails(db,
              "UPDATE ledgerd.jobs SET state = 'processing' WHERE id = " + id,
              "jobs_processing_has_lease");
  // Entering a terminal state stamps finished_at (retention keys on it).
  CHECK(db.query_value("SELECT finished_at IS NULL FROM ledgerd.jobs WHERE id "
                       "= "
                       + id)
        == "t");
  db.exec("UPDATE ledgerd.jobs SET state = 'failed', last_error = 'x' WHERE "
          "id = "
          + id);
  CHECK(db.query_value("SELECT finished_at IS NOT NULL FROM ledgerd.jobs "
                       "WHERE id = "
                       + id)
        == "t");
  check_fails(db,
              "INSERT INTO ledgerd.job_events (job_id, to_state) VALUES (" + id
                + ", 'bogus')",
              "job_events_to_state_check");
  db.exec("INSERT INTO ledgerd.job_events (job_id, from_state, to_state) "
          "VALUES ("
          + id + ", 'pending', 'failed')");
  db.exec("DELETE FROM ledgerd.jobs WHERE id = " + id);
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.job_events") == "0");
}

TEST_CASE("batch counts, links, conflicts, inbox and credentials are "
          "constrained") {
  test_database db;
  migrate(db);
  check_fails(db,
              "INSERT INTO ledgerd.batches (tenant, kind, total, failed) "
              "VALUES ('acme', 'sync', 1, -1)",
              "batches_failed_check");
  check_fails(db,
              "INSERT INTO ledgerd.batches (tenant, kind, total, completed) "
              "VALUES ('acme', 'sync', 1, 2)",
              "batches_counts_within_total");

  db.exec("INSERT INTO ledgerd.links (tenant, provider, entity, local_id, "
          "remote_id, base, base_hash) VALUES ('acme', 'fortnox', 'customer', "
          "'l1', '17', '{}', 'h')");
  check_fails(db,
              "INSERT INTO ledgerd.links (tenant, provider, entity, "
              "local_id, remote_id) VALUES ('acme', 'fortnox', 'customer', "
              "'l2', '17')",
              "links_remote_uq");
  check_fails(db,
              "INSERT INTO ledgerd.links (tenant, provider, entity, "
              "local_id, remote_id) VALUES ('acme', 'fortnox', 'customer', "
              "'l1', '18')",
              "links_pkey");
  // The same remote id under another tenant is another record.
  db.exec("INSERT INTO ledgerd.links (tenant, provider, entity, local_id, "
          "remote_id) VALUES ('beta', 'fortnox', 'customer', 'l1', '17')");

  auto conflict = [&] {
    return db.query_value(
      "INSERT INTO ledgerd.conflicts (tenant, provider, entity, local_id, "
      "field, base_value, local_value, remote_value) VALUES ('acme', "
      "'fortnox', 'customer', 'l1', 'email', '\"a\"', '\"b\"', '\"c\"') "
      "RETURNING id");
  };
  auto c1 = conflict();
  check_fails(db,
              "INSERT INTO ledgerd.conflicts (tenant, provider, entity, "
              "local_id, field) VALUES ('acme', 'fortnox', 'customer', "
              "'l1', 'email')",
              "conflicts_open_uq");
  check_fails(
    db, "UPDATE ledgerd.conflicts SET status = 'resolved' WHERE id = " + c1,
    "conflicts_resolved_complete");
  db.exec("UPDATE ledgerd.conflicts SET status = 'resolved', resolution = "
          "'remote', resolved_by = 'ops', resolved_at = now() WHERE id = "
          + c1);
  CHECK(conflict() != c1);

  auto receive = [&] {
    return db.query_value(
      "WITH i AS (INSERT INTO ledgerd.inbox (source, event_id, payload) "
      "VALUES ('fortnox-ws:invoices', 'xDy7J', '{}') ON CONFLICT DO NOTHING "
      "RETURNING 1) SELECT count(*) FROM i");
  };
  CHECK(receive() == "1");
  CHECK(receive() == "0");

  // Compare-and-set on credentials: every UPDATE bumps version, so the
  // second refresher holding the same version updates nothing.
  db.exec("INSERT INTO ledgerd.credentials (tenant, provider, refresh_token) "
          "VALUES ('acme', 'visma', 'r0')");
  auto cas = [&](const std::string& token) {
    return db.query_value(
      "WITH u AS (UPDATE ledgerd.credentials SET refresh_token = '" + token
      + "', rotated_at = now() WHERE tenant = 'acme' AND provider = 'visma' "
        "AND version = 1 RETURNING 1) SELECT count(*) FROM u");
  };
  CHECK(cas("r1") == "1");
  CHECK(cas("r2") == "0");
  CHECK(db.query_value("SELECT refresh_token || ' ' || version FROM "
                       "ledgerd.credentials")
        == "r1 2");
}

TEST_CASE("customer changes are captured in the outbox with their op") {
  test_database db;
  migrate(db);
  const auto& id = customer_a;
  insert_customer(db);
  db.exec("UPDATE ledger.customers SET email = 'a@example.com'");
  // An update that changes nothing is not a change.
  db.exec("UPDATE ledger.customers SET email = 'a@example.com'");
  db.exec("UPDATE ledger.customers SET deleted_at = now()");
  db.exec("UPDATE ledger.customers SET deleted_at = NULL");
  db.exec("DELETE FROM ledger.customers");
  CHECK(outbox(db)
        == std::vector<std::string>{
          "customer/insert/" + id, "customer/update/" + id,
          "customer/delete/" + id, "customer/update/" + id,
          "customer/delete/" + id});
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.outbox WHERE tenant = "
                       "'acme' AND processed_at IS NULL AND changed_at IS NOT "
                       "NULL")
        == "5");
  CHECK(db.query_value("SELECT payload->>'email' FROM ledgerd.outbox WHERE id "
                       "= 2")
        == "a@example.com");
}

TEST_CASE("invoice row changes are captured as updates of the invoice") {
  test_database db;
  migrate(db);
  const auto& inv = invoice_1;
  insert_customer(db);
  insert_invoice(db);
  db.exec(std::string{"INSERT INTO ledger.invoice_rows (invoice_id, line_no, "
                      "article, quantity, unit_price) VALUES ("}
          + q(invoice_1) + ", 1, '101', 2.5, 4000)");
  db.exec("UPDATE ledger.invoice_rows SET quantity = 3");
  db.exec("DELETE FROM ledger.invoice_rows");
  auto rows = outbox(db);
  REQUIRE(rows.size() == 5);
  CHECK(rows[1] == "invoice/insert/" + inv);
  CHECK(rows[2] == "invoice/update/" + inv);
  CHECK(rows[3] == "invoice/update/" + inv);
  CHECK(rows[4] == "invoice/update/" + inv);
  CHECK(db.query_value("SELECT string_agg(payload->>'row_op', ',' ORDER BY "
                       "id) FROM ledgerd.outbox WHERE payload ? 'row_op'")
        == "insert,update,delete");

  // A hard-deleted invoice records its delete, not one update per
  // cascaded row.
  db.exec(std::string{"INSERT INTO ledger.invoice_rows (invoice_id, line_no) "
                      "VALUES ("}
          + q(invoice_1) + ", 1), (" + q(invoice_1) + ", 2)");
  db.exec("DELETE FROM ledgerd.outbox");
  db.exec("DELETE FROM ledger.invoices");
  CHECK(outbox(db) == std::vector<std::string>{"invoice/delete/" + inv});
  CHECK(db.query_value("SELECT count(*) FROM ledger.invoice_rows") == "0");
}

TEST_CASE("an invoice cannot point at another tenant's customer") {
  test_database db;
  migrate(db);
  insert_customer(db, customer_a, "other");
  check_fails(db,
              std::string{"INSERT INTO ledger.invoices (tenant, "
                          "customer_id) VALUES ('acme', "}
                + q(customer_a) + ")",
              "invoices_customer_fk");
}

TEST_CASE("a committed change notifies ledgerd_outbox") {
  test_database db;
  migrate(db);
  connection listener{db.conninfo()};
  listener.exec("LISTEN ledgerd_outbox");
  connection writer{db.conninfo()};
  // A rolled-back change sends nothing: the first notification to arrive
  // must be the one of the committed insert that follows.
  writer.exec("BEGIN");
  writer.exec("INSERT INTO ledger.customers (tenant, name) VALUES ('acme', "
              "'Rolled back')");
  writer.exec("ROLLBACK");
  auto id = writer.value("INSERT INTO ledger.customers (tenant, name) VALUES "
                         "('acme', 'Beta AB') RETURNING id");
  auto outbox_id = writer.value("SELECT id FROM ledgerd.outbox WHERE local_id "
                                "= '"
                                + id + "'");
  auto note = listener.wait_notify(std::chrono::seconds{5});
  REQUIRE(note.has_value());
  CHECK(note->first == "ledgerd_outbox");
  auto payload = nlohmann::json::parse(note->second);
  CHECK(payload.at("tenant") == "acme");
  CHECK(payload.at("entity") == "customer");
  CHECK(payload.at("local_id") == id);
  CHECK(std::to_string(payload.at("outbox_id").get<long long>()) == outbox_id);
}

TEST_CASE("applying_remote suppresses outbox rows and notifications") {
  test_database db;
  migrate(db);
  connection listener{db.conninfo()};
  listener.exec("LISTEN ledgerd_outbox");
  connection c{db.conninfo()};
  c.exec("BEGIN");
  c.exec("SET LOCAL ledgerd.applying_remote = 'on'");
  c.exec(std::string{"INSERT INTO ledger.customers (id, tenant, name) VALUES ("}
         + q(customer_a) + ", 'acme', 'Pulled AB')");
  c.exec(std::string{"INSERT INTO ledger.invoices (id, tenant, customer_id) "
                     "VALUES ("}
         + q(invoice_1) + ", 'acme', " + q(customer_a) + ")");
  c.exec(std::string{"INSERT INTO ledger.invoice_rows (invoice_id, line_no) "
                     "VALUES ("}
         + q(invoice_1) + ", 1)");
  c.exec("UPDATE ledger.customers SET deleted_at = now()");
  c.exec("COMMIT");
  CHECK(outbox(db).empty());
  // SET LOCAL ended with the transaction: the same session is captured again.
  c.exec("UPDATE ledger.customers SET deleted_at = NULL");
  CHECK(outbox(db)
        == std::vector<std::string>{"customer/update/" + customer_a});
  // The first notification is for that local change, none for the pulled.
  auto note = listener.wait_notify(std::chrono::seconds{5});
  REQUIRE(note.has_value());
  CHECK(nlohmann::json::parse(note->second).at("outbox_id") == 1);
  // A session-wide setting works as well until it is reset.
  c.exec("SET ledgerd.applying_remote = 'on'");
  c.exec("UPDATE ledger.invoice_rows SET quantity = 7");
  c.exec("RESET ledgerd.applying_remote");
  CHECK(outbox(db).size() == 1);
}

TEST_CASE("updated_at is maintained by trigger") {
  test_database db;
  migrate(db);
  insert_customer(db);
  insert_invoice(db);
  db.exec(std::string{"INSERT INTO ledger.invoice_rows (invoice_id, line_no) "
                      "VALUES ("}
          + q(invoice_1) + ", 1)");
  db.exec("UPDATE ledger.customers SET updated_at = '2000-01-01T00:00:00Z'");
  db.exec("UPDATE ledger.invoices SET updated_at = '2000-01-01T00:00:00Z'");
  db.exec("UPDATE ledger.invoice_rows SET updated_at = '2000-01-01T00:00:00Z'");
  // An explicitly set updated_at is kept (injected clocks) ...
  CHECK(db.query_value("SELECT updated_at = '2000-01-01T00:00:00Z' FROM "
                       "ledger.customers")
        == "t");
  // ... any other update stamps the transaction time.
  connection c{db.conninfo()};
  c.exec("BEGIN");
  c.exec("UPDATE ledger.customers SET name = 'Alpha Holding AB'");
  c.exec("UPDATE ledger.invoices SET status = 'sent'");
  c.exec("UPDATE ledger.invoice_rows SET description = 'Consulting'");
  CHECK(c.value("SELECT updated_at = now() AND created_at < now() FROM "
                "ledger.customers")
        == "t");
  CHECK(c.value("SELECT updated_at = now() FROM ledger.invoices") == "t");
  CHECK(c.value("SELECT updated_at = now() FROM ledger.invoice_rows") == "t");
  c.exec("COMMIT");
  // The engine's tables use the same trigger.
  auto job = insert_job(db, "k");
  db.exec("UPDATE ledgerd.jobs SET updated_at = '2000-01-01T00:00:00Z' WHERE "
          "id = "
          + job);
  db.exec("UPDATE ledgerd.jobs SET run_at = now() WHERE id = " + job);
  CHECK(db.query_value("SELECT updated_at > '2000-01-01T00:00:00Z' FROM "
                       "ledgerd.jobs")
        == "t");
}

TEST_CASE("an app role with rights on ledger only still feeds the outbox") {
  test_database db;
  migrate(db);
  auto role = db.name() + "_app";
  db.exec("CREATE ROLE " + role + " NOLOGIN");
  connection c{db.conninfo()};
  c.exec("GRANT USAGE ON SCHEMA ledger TO " + role
         + "; GRANT ALL ON ALL TABLES IN SCHEMA ledger TO " + role);
  c.exec("SET ROLE " + role);
  auto error_of = [&](const std::string& sql) {
    try {
      c.exec(sql);
    } catch (const std::exception& e) {
      return std::string{e.what()};
    }
    return std::string{};
  };
  auto insert_error = error_of("INSERT INTO ledger.customers (tenant, name) "
                               "VALUES ('acme', 'App AB')");
  // The app itself cannot touch ledgerd's tables.
  auto read_error = error_of("SELECT count(*) FROM ledgerd.outbox");
  c.exec("RESET ROLE");
  c.exec("DROP OWNED BY " + role + "; DROP ROLE " + role);
  CHECK(insert_error == "");
  CHECK(read_error.find("permission denied for schema ledgerd")
        != std::string::npos);
  CHECK(db.query_value("SELECT op FROM ledgerd.outbox") == "insert");
}
