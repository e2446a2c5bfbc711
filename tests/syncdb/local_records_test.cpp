// Tests of the local side as canonical JSON (adapters/pg/local_records.hpp):
// reading ledger.* with link remote ids, writing remote state without
// capturing it (echo suppression), row replacement and soft deletes.
#include "adapters/pg/local_records.hpp"
#include "adapters/pg/sync_sql.hpp"
#include "state/canonical.hpp"
#include "tests/syncdb/syncdb_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace ledgerd;
using pg::json;
using test::customers_fx;
using test::invoices_fx;

namespace {

/// A customer as an adapter maps it (canonical keys, every key present).
json remote_customer(const std::string& name) {
  return json{{"remote_id", "C9"},
              {"customer_number", "9"},
              {"name", name},
              {"org_number", nullptr},
              {"vat_number", nullptr},
              {"email", "billing@acme.se"},
              {"phone", nullptr},
              {"address1", nullptr},
              {"address2", nullptr},
              {"postal_code", nullptr},
              {"city", "Malmö"},
              {"country_code", "SE"},
              {"currency", "EUR"},
              {"active", false},
              {"external_ref", "ignored"}};
}

state::invoice_row row(int32_t line, int64_t quantity_e4, int64_t price) {
  state::invoice_row r;
  r.line_no = line;
  r.article = "A" + std::to_string(line);
  r.description = "Row " + std::to_string(line);
  r.quantity_e4 = quantity_e4;
  r.unit = "h";
  r.unit_price = price;
  r.vat_percent_e2 = 1200;
  return r;
}

json remote_invoice(const std::string& customer_remote_id,
                    std::vector<state::invoice_row> rows) {
  state::invoice x;
  x.remote_id = "I5";
  x.invoice_number = "1005";
  x.customer_remote_id = customer_remote_id;
  x.invoice_date = "2024-04-01";
  x.due_date = "2024-05-01";
  x.currency = "SEK";
  x.total = 11200;
  x.vat = 1200;
  x.status = "booked";
  x.our_reference = "Eva";
  x.rows = std::move(rows);
  return state::to_json(x);
}

/// `canonical` as read back: remote_id from the link, external_ref = id.
json as_stored(json canonical, const json& remote_id, const std::string& id) {
  canonical["remote_id"] = remote_id;
  canonical["external_ref"] = id;
  return canonical;
}

std::string write_in_tx(pg::connection& conn, const pg::link_key& key,
                        const json& canonical, const std::string& id = {},
                        bool undelete = false) {
  pg::transaction tx{conn};
  auto out = pg::write_local(conn, key, canonical, id, undelete);
  tx.commit();
  return out;
}

} // namespace

TEST_CASE("local records: read_local renders a customer as canonical JSON") {
  test::syncdb_fixture f;
  auto id
    = f.conn
        .exec("t", "INSERT INTO ledger.customers (tenant, customer_number,"
                   " name, org_number, email, postal_code, city,"
                   " country_code, currency, active, external_ref)"
                   " VALUES ('acme', '17', 'Acme AB', '556000-0000',"
                   " 'a@acme.se', '211 20', 'Malmö', 'SE', 'SEK', true,"
                   " 'APP-REF') RETURNING id::text")
        .get<std::string>(0, 0);
  f.link(customers_fx, id, "17");
  auto rec = pg::read_local(f.conn, customers_fx, id);
  REQUIRE(rec);
  state::customer expected;
  expected.remote_id = "17";
  expected.customer_number = "17";
  expected.name = "Acme AB";
  expected.org_number = "556000-0000";
  expected.email = "a@acme.se";
  expected.postal_code = "211 20";
  expected.city = "Malmö";
  expected.country_code = "SE";
  expected.external_ref = id; // the local id, not the app's APP-REF
  CHECK(rec->canonical == state::to_json(expected));
  CHECK(rec->canonical.dump() == state::to_json(expected).dump());
  CHECK(rec->local_id == id);
  CHECK_FALSE(rec->deleted);
  CHECK(rec->customer_local_id.empty());
  CHECK(pg::sync_sql::to_micros(rec->changed_at)
        == std::stoll(f.value("SELECT " + pg::sync_sql::micros("updated_at")
                              + " FROM ledger.customers")));

  // Another provider has no link for it: remote_id null.
  auto visma = pg::read_local(f.conn, {"acme", "visma", "customer"}, id);
  REQUIRE(visma);
  CHECK(visma->canonical["remote_id"].is_null());
  CHECK(visma->canonical["external_ref"] == id);
}

TEST_CASE("local records: read_local renders an invoice with its rows") {
  test::syncdb_fixture f;
  auto customer = f.app_customer("acme", "Acme AB");
  auto id = f.app_invoice("acme", customer);
  // Rows inserted out of order; decimals with trailing zeros in the column.
  f.conn.exec("t",
              "INSERT INTO ledger.invoice_rows (invoice_id, line_no,"
              " article, description, quantity, unit, unit_price,"
              " vat_percent) VALUES"
              " ($1::uuid, 2, NULL, 'Text only', 1, NULL, 0, 0),"
              " ($1::uuid, 1, 'A1', 'Consulting', 1.5, 'h', 95000, 12.5)",
              id);
  f.conn.exec("t", "UPDATE ledger.invoices SET total = 118750, vat = 13750,"
                   " due_date = '2024-03-31', your_reference = 'Bo'");

  SECTION("customer not linked: customer_remote_id empty") {
    auto rec = pg::read_local(f.conn, invoices_fx, id);
    REQUIRE(rec);
    auto& j = rec->canonical;
    CHECK(j["customer_remote_id"] == "");
    CHECK(rec->customer_local_id == customer);
    CHECK(j["remote_id"].is_null());
    CHECK(j["external_ref"] == id);
    CHECK(j["invoice_date"] == "2024-03-01");
    CHECK(j["due_date"] == "2024-03-31");
    CHECK(j["total"] == 118750);
    CHECK(j["your_reference"] == "Bo");
    REQUIRE(j["rows"].size() == 2);
    CHECK(j["rows"][0]
          == json{{"line_no", 1},
                  {"article", "A1"},
                  {"description", "Consulting"},
                  {"quantity", "1.5"},
                  {"unit", "h"},
                  {"unit_price", 95000},
                  {"vat_percent", "12.5"}});
    CHECK(j["rows"][1]["line_no"] == 2);
    CHECK(j["rows"][1]["quantity"] == "1");
    CHECK(j["rows"][1]["vat_percent"] == "0");
    CHECK(j["rows"][1]["article"].is_null());
    // Canonical text: parses back and renders identically.
    std::string error;
    auto parsed = state::invoice_from_json(j, error);
    REQUIRE(parsed);
    CHECK(state::to_json(*parsed).dump() == j.dump());
  }

  SECTION("customer and invoice linked") {
    f.link(customers_fx, customer, "C1");
    f.link(invoices_fx, id, "I1");
    auto rec = pg::read_local(f.conn, invoices_fx, id);
    REQUIRE(rec);
    CHECK(rec->canonical["customer_remote_id"] == "C1");
    CHECK(rec->canonical["remote_id"] == "I1");
    CHECK(rec->customer_local_id == customer);
  }

  SECTION("changed_at is the latest of the invoice and its rows") {
    f.conn.exec("t", "UPDATE ledger.invoices SET updated_at"
                     " = '2024-01-01T00:00:00Z'");
    f.conn.exec("t", "UPDATE ledger.invoice_rows SET updated_at"
                     " = '2024-02-01T00:00:00.000123Z' WHERE line_no = 2");
    f.conn.exec("t", "UPDATE ledger.invoice_rows SET updated_at"
                     " = '2023-12-01T00:00:00Z' WHERE line_no = 1");
    auto rec = pg::read_local(f.conn, invoices_fx, id);
    REQUIRE(rec);
    using namespace std::chrono;
    CHECK(rec->changed_at == sys_days{year{2024} / 2 / 1} + microseconds{123});
  }
}

TEST_CASE("local records: read_local of missing and soft-deleted records") {
  test::syncdb_fixture f;
  auto id = f.app_customer("acme", "Acme AB");
  CHECK_FALSE(pg::read_local(f.conn, customers_fx,
                             "00000000-0000-0000-0000-000000000000"));
  CHECK_FALSE(pg::read_local(f.conn, customers_fx, "not-a-uuid"));
  CHECK_FALSE(pg::read_local(f.conn, {"other", "fortnox", "customer"}, id));
  CHECK_FALSE(pg::read_local(f.conn, invoices_fx, id));
  f.conn.exec("t", "UPDATE ledger.customers SET deleted_at = now()");
  auto rec = pg::read_local(f.conn, customers_fx, id);
  REQUIRE(rec);
  CHECK(rec->deleted);
  CHECK(rec->canonical["name"] == "Acme AB");
}

TEST_CASE("local records: write_local writes mapped columns without capture") {
  test::syncdb_fixture f;
  auto id = write_in_tx(f.conn, customers_fx, remote_customer("Acme AB"));
  CHECK(f.outbox_rows() == 0);
  f.link(customers_fx, id, "C9");
  auto rec = pg::read_local(f.conn, customers_fx, id);
  REQUIRE(rec);
  CHECK(rec->canonical == as_stored(remote_customer("Acme AB"), "C9", id));
  // external_ref of the canonical record is not written to the column.
  CHECK(f.count("SELECT count(*) FROM ledger.customers"
                " WHERE external_ref IS NULL")
        == 1);

  // The app's own change is captured.
  f.conn.exec("t", "UPDATE ledger.customers SET external_ref = 'APP-1',"
                   " created_at = '2020-01-01T00:00:00Z'");
  CHECK(f.outbox_rows() == 1);

  // A remote update: mapped columns only, not captured.
  auto updated = remote_customer("Acme Sverige AB");
  updated["phone"] = "040-123";
  updated["country_code"] = nullptr;
  CHECK(write_in_tx(f.conn, customers_fx, updated, id) == id);
  CHECK(f.outbox_rows() == 1);
  rec = pg::read_local(f.conn, customers_fx, id);
  REQUIRE(rec);
  CHECK(rec->canonical == as_stored(updated, "C9", id));
  CHECK(f.value("SELECT external_ref FROM ledger.customers") == "APP-1");
  CHECK(f.value("SELECT created_at = '2020-01-01T00:00:00Z'"
                " FROM ledger.customers")
        == "t");

  // Writing the same state again changes nothing, not even updated_at.
  auto before = f.value("SELECT updated_at::text FROM ledger.customers");
  write_in_tx(f.conn, customers_fx, updated, id);
  CHECK(f.value("SELECT updated_at::text FROM ledger.customers") == before);

  // Outside a transaction it opens its own: still not captured.
  pg::write_local(f.conn, customers_fx, remote_customer("Acme 3"), id);
  CHECK(f.value("SELECT name FROM ledger.customers") == "Acme 3");
  CHECK(f.outbox_rows() == 1);

  // The flag ends with write_local: the caller's later app-side write in the
  // same transaction is captured.
  {
    pg::transaction tx{f.conn};
    pg::write_local(f.conn, customers_fx, remote_customer("Acme 4"), id);
    f.conn.exec("t", "UPDATE ledger.customers SET external_ref = 'APP-2'");
    tx.commit();
  }
  CHECK(f.outbox_rows() == 2);

  CHECK_THROWS_AS(write_in_tx(f.conn, customers_fx, remote_customer("X"),
                              "00000000-0000-0000-0000-000000000000"),
                  std::invalid_argument);
}

TEST_CASE("local records: write_local rejects invalid canonical input") {
  test::syncdb_fixture f;
  auto no_name = remote_customer("x");
  no_name.erase("name");
  try {
    write_in_tx(f.conn, customers_fx, no_name);
    FAIL("accepted a customer without name");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string{e.what()}.find("name") != std::string::npos);
  }
  auto bad_row = remote_invoice("C1", {row(1, 10000, 100)});
  bad_row["rows"][0]["quantity"] = "lots";
  try {
    write_in_tx(f.conn, invoices_fx, bad_row);
    FAIL("accepted a row with a bad quantity");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string{e.what()}.find("rows[0].quantity") != std::string::npos);
  }
  CHECK_THROWS_AS(
    write_in_tx(f.conn, {"acme", "fortnox", "order"}, remote_customer("x")),
    std::invalid_argument);
  CHECK(f.count("SELECT count(*) FROM ledger.customers") == 0);
}

TEST_CASE("local records: write_local of an invoice needs a linked customer") {
  test::syncdb_fixture f;
  try {
    write_in_tx(f.conn, invoices_fx, remote_invoice("C1", {row(1, 10000, 5)}));
    FAIL("wrote an invoice whose customer is not linked");
  } catch (const pg::unlinked_customer& e) {
    CHECK(e.remote_id == "C1");
  }
  // Linked for another provider only: still unlinked for fortnox.
  auto customer = f.app_customer("acme", "Acme AB");
  f.link({"acme", "visma", "customer"}, customer, "C1");
  CHECK_THROWS_AS(
    write_in_tx(f.conn, invoices_fx, remote_invoice("C1", {row(1, 10000, 5)})),
    pg::unlinked_customer);
  CHECK(f.count("SELECT count(*) FROM ledger.invoices") == 0);

  f.link(customers_fx, customer, "C1");
  auto id = write_in_tx(f.conn, invoices_fx,
                        remote_invoice("C1", {row(1, 10000, 5)}));
  CHECK(f.value("SELECT customer_id::text FROM ledger.invoices") == customer);
  CHECK(pg::read_local(f.conn, invoices_fx, id)->customer_local_id == customer);
}

TEST_CASE("local records: write_local replaces invoice rows only on change") {
  test::syncdb_fixture f;
  auto customer = f.app_customer("acme", "Acme AB");
  f.link(customers_fx, customer, "C1");
  auto before_outbox = f.outbox_rows();
  auto original
    = remote_invoice("C1", {row(2, 25000, 300), row(1, 15000, 100)});
  auto id = write_in_tx(f.conn, invoices_fx, original);
  f.link(invoices_fx, id, "I5");
  auto rec = pg::read_local(f.conn, invoices_fx, id);
  REQUIRE(rec);
  CHECK(rec->canonical["rows"][0]["line_no"] == 1);
  CHECK(rec->canonical["rows"][0]["quantity"] == "1.5");
  CHECK(rec->canonical["rows"][0]["vat_percent"] == "12");
  CHECK(rec->canonical["rows"][1]["quantity"] == "2.5");
  f.conn.exec("t", "UPDATE ledger.invoices SET external_ref = 'APP-INV'");
  before_outbox = f.outbox_rows();

  auto row_versions = [&] {
    return f.value("SELECT string_agg(xmin::text, ',' ORDER BY line_no)"
                   " FROM ledger.invoice_rows");
  };
  auto versions = row_versions();
  // Same rows (in another order): not rewritten.
  auto same = remote_invoice("C1", {row(1, 15000, 100), row(2, 25000, 300)});
  same["status"] = "paid";
  write_in_tx(f.conn, invoices_fx, same, id);
  CHECK(row_versions() == versions);
  CHECK(f.value("SELECT status FROM ledger.invoices") == "paid");

  // Different rows: replaced.
  auto changed = remote_invoice("C1", {row(1, 30000, 100)});
  write_in_tx(f.conn, invoices_fx, changed, id);
  CHECK(f.count("SELECT count(*) FROM ledger.invoice_rows") == 1);
  CHECK(f.value("SELECT quantity::text FROM ledger.invoice_rows") == "3.0000");
  CHECK(f.value("SELECT external_ref FROM ledger.invoices") == "APP-INV");
  CHECK(pg::read_local(f.conn, invoices_fx, id)->canonical
        == as_stored(changed, "I5", id));

  // No rows at all.
  write_in_tx(f.conn, invoices_fx, remote_invoice("C1", {}), id);
  CHECK(f.count("SELECT count(*) FROM ledger.invoice_rows") == 0);
  CHECK(f.outbox_rows() == before_outbox);
}

TEST_CASE("local records: soft delete by ledgerd is not captured") {
  test::syncdb_fixture f;
  auto id = f.app_customer("acme", "Acme AB");
  auto other = f.app_customer("acme", "Other AB");
  CHECK(f.outbox_rows() == 2);

  pg::soft_delete_local(f.conn, "acme", "customer", id);
  CHECK(f.count("SELECT count(*) FROM ledger.customers"
                " WHERE deleted_at IS NOT NULL")
        == 1);
  CHECK(f.outbox_rows() == 2);
  auto deleted_at = f.value("SELECT deleted_at::text FROM ledger.customers"
                            " WHERE id = '"
                            + id + "'");
  pg::soft_delete_local(f.conn, "acme", "customer", id); // no-op
  CHECK(f.value("SELECT deleted_at::text FROM ledger.customers WHERE id = '"
                + id + "'")
        == deleted_at);
  // Other tenant / missing ids: nothing happens.
  pg::soft_delete_local(f.conn, "other", "customer", other);
  pg::soft_delete_local(f.conn, "acme", "customer", "nope");
  CHECK(f.count("SELECT count(*) FROM ledger.customers"
                " WHERE deleted_at IS NOT NULL")
        == 1);

  // The app's soft delete is captured as delete.
  f.conn.exec("t",
              "UPDATE ledger.customers SET deleted_at = now()"
              " WHERE id = $1::uuid",
              other);
  CHECK(f.count("SELECT count(*) FROM ledgerd.outbox WHERE op = 'delete'")
        == 1);

  // A remote update keeps it deleted unless asked to undelete.
  write_in_tx(f.conn, customers_fx, remote_customer("Back AB"), id);
  CHECK(pg::read_local(f.conn, customers_fx, id)->deleted);
  write_in_tx(f.conn, customers_fx, remote_customer("Back AB"), id, true);
  CHECK_FALSE(pg::read_local(f.conn, customers_fx, id)->deleted);
  CHECK(f.outbox_rows() == 3);
}
