#include "adapters/fortnox/adapter.hpp"
#include "adapters/fortnox/stockholm_time.hpp"
#include "adapters/provider/registry.hpp"
#include "config/node_config.hpp"
#include "state/canonical.hpp"
#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace std::chrono;
using namespace std::chrono_literals;
using namespace ledgerd;
using nlohmann::json;
using provider::entity;
using namespace ledgerd::test; // fixture, response, ok, failed

namespace {

fortnox::adapter make() {
  return fortnox::adapter{"https://api.fortnox.se", "3"};
}

sys_seconds utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm}
         + seconds{ss};
}

std::string header(const http::client_request& req, std::string_view name) {
  for (const auto& [k, v] : req.headers)
    if (k == name)
      return v;
  return "";
}

} // namespace

TEST_CASE("Stockholm wall time across both DST periods") {
  using fortnox::stockholm_wall_time;
  // Winter: UTC+1.
  CHECK(stockholm_wall_time(utc(2024, 1, 15, 12, 0, 5))
        == "2024-01-15 13:00:05");
  // Summer: UTC+2.
  CHECK(stockholm_wall_time(utc(2024, 7, 1, 22, 30, 0))
        == "2024-07-02 00:30:00");
  // 2024: summer time from 31 March 01:00 UTC to 27 October 01:00 UTC.
  CHECK(stockholm_wall_time(utc(2024, 3, 31, 0, 59, 59))
        == "2024-03-31 01:59:59");
  CHECK(stockholm_wall_time(utc(2024, 3, 31, 1, 0, 0))
        == "2024-03-31 03:00:00");
  CHECK(stockholm_wall_time(utc(2024, 10, 27, 0, 59, 59))
        == "2024-10-27 02:59:59");
  CHECK(stockholm_wall_time(utc(2024, 10, 27, 1, 0, 0))
        == "2024-10-27 02:00:00");
  // 2025: 30 March and 26 October.
  CHECK(fortnox::stockholm_offset(utc(2025, 3, 30, 1, 0, 0)) == 2h);
  CHECK(fortnox::stockholm_offset(utc(2025, 3, 29, 1, 0, 0)) == 1h);
  CHECK(fortnox::stockholm_offset(utc(2025, 10, 26, 0, 59, 59)) == 2h);
  CHECK(fortnox::stockholm_offset(utc(2025, 10, 26, 1, 0, 0)) == 1h);
  // New Year's Eve crosses the date line in local time.
  CHECK(stockholm_wall_time(utc(2024, 12, 31, 23, 30, 0))
        == "2025-01-01 00:30:00");
}

TEST_CASE("a lastmodified bound in the autumn fold is read at or before its "
          "instant either way") {
  using fortnox::stockholm_lower_bound;
  // 27 Oct 2024: 02:00-02:59 is summer time from 00:00 UTC, then again
  // winter time from 01:00 UTC. A summer-time bound moves back an hour, so
  // the winter reading of its wall time (an hour later) cannot skip.
  CHECK(stockholm_lower_bound(utc(2024, 10, 27, 0, 30, 0))
        == "2024-10-27 01:30:00");
  CHECK(stockholm_lower_bound(utc(2024, 10, 26, 23, 59, 59))
        == "2024-10-27 01:59:59");
  // The winter instant of the repeated hour: the other reading is earlier.
  CHECK(stockholm_lower_bound(utc(2024, 10, 27, 1, 30, 0))
        == "2024-10-27 02:30:00");
  // Outside the fold the bound is the wall time itself.
  CHECK(stockholm_lower_bound(utc(2024, 7, 1, 12, 0, 0))
        == "2024-07-01 14:00:00");
  CHECK(stockholm_lower_bound(utc(2024, 3, 31, 1, 0, 0))
        == "2024-03-31 03:00:00");
}

TEST_CASE("Fortnox list requests") {
  auto a = make();
  provider::list_query q;
  q.kind = entity::customer;
  auto req = a.list(q);
  CHECK(req.method == "GET");
  CHECK(req.url
        == "https://api.fortnox.se/3/customers?limit=500&page=1"
           "&sortby=customernumber");
  CHECK(header(req, "Accept") == "application/json");
  CHECK(req.body.empty());
  q.kind = entity::invoice;
  q.page = 3;
  q.since = utc(2024, 7, 1, 10, 0, 0);
  CHECK(a.list(q).url
        == "https://api.fortnox.se/3/invoices?limit=500&page=3"
           "&lastmodified=2024-07-01%2012%3A00%3A00&sortby=documentnumber");
  q.since = utc(2024, 1, 1, 10, 0, 0);
  CHECK(a.list(q).url.find("lastmodified=2024-01-01%2011%3A00%3A00")
        != std::string::npos);
  CHECK(a.endpoint(entity::customer) == "customers");
  CHECK(a.endpoint(entity::invoice) == "invoices");
}

TEST_CASE("Fortnox get, remove and lookup requests") {
  auto a = make();
  CHECK(a.get(entity::invoice, "39").url
        == "https://api.fortnox.se/3/invoices/39");
  CHECK(a.get(entity::customer, "A 1/2").url
        == "https://api.fortnox.se/3/customers/A%201%2F2");
  auto del = ok(a.remove(entity::customer, "6"));
  CHECK(del.method == "DELETE");
  CHECK(del.url == "https://api.fortnox.se/3/customers/6");
  auto cancel = ok(a.remove(entity::invoice, "39"));
  CHECK(cancel.method == "PUT");
  CHECK(cancel.url == "https://api.fortnox.se/3/invoices/39/cancel");
  CHECK(
    a.find_by_external_ref({entity::invoice, "abc-1", std::nullopt, 2, ""}).url
    == "https://api.fortnox.se/3/invoices?externalinvoicereference1=abc-1"
       "&limit=500&page=2&sortby=documentnumber");
  // Customers: every customer modified since the write less 75 minutes
  // (12:00 UTC in winter is 13:00 in Stockholm).
  auto sent = std::chrono::sys_days{std::chrono::year{2026} / 1 / 15}
              + std::chrono::hours{12};
  CHECK(a.find_by_external_ref(
           {entity::customer, "abc-1",
            std::chrono::time_point_cast<std::chrono::seconds>(sent), 1, ""})
          .url
        == "https://api.fortnox.se/3/"
           "customers?lastmodified=2026-01-15%2011%3A45%3A00"
           "&limit=500&page=1&sortby=customernumber");
  auto caps = a.caps();
  CHECK(caps.event_stream);
  CHECK(caps.delete_customer);
  CHECK_FALSE(caps.delete_invoice);
  CHECK(caps.cancel_invoice);
  CHECK_FALSE(caps.complete_list_items);
  CHECK(caps.server_time);
}

TEST_CASE("Fortnox customer list fixture") {
  auto a = make();
  auto page = ok(
    a.decode_list(entity::customer,
                  response(200, fixture("fortnox/customers_list_200.json"))));
  CHECK(page.current == 1);
  CHECK(page.total_pages == 1);
  CHECK(page.total_records == 7);
  CHECK(page.last());
  CHECK(page.rejected.empty());
  REQUIRE(page.records.size() == 7);
  const auto& first = page.records[0];
  CHECK(first.remote_id == "1");
  CHECK(first.kind == entity::customer);
  CHECK(first.canonical["name"] == "Updated name");
  CHECK(first.canonical["city"] == "New York");
  CHECK(first.canonical["postal_code"] == "10001");
  // "" reads as absent.
  CHECK(first.canonical["email"].is_null());
  CHECK(first.canonical["phone"].is_null());
  CHECK(first.raw["@url"] == "https://api.fortnox.se/3/customers/1");
  CHECK(first.version.size() == 16);
  CHECK(page.records[2].canonical["name"]
        == "Customer with Swedish country code");
  // Same content, same version; different content, different version.
  CHECK(page.records[1].version != page.records[6].version);
}

TEST_CASE("Fortnox customer detail and create fixtures") {
  auto a = make();
  auto detail = ok(
    a.decode_one(entity::customer,
                 response(200, fixture("fortnox/customer_detail_200.json"))));
  CHECK(detail.remote_id == "1");
  CHECK(detail.canonical["customer_number"] == "1");
  CHECK(detail.canonical["currency"] == "SEK");
  CHECK(detail.canonical["active"] == true);
  CHECK(detail.canonical["external_ref"].is_null());
  CHECK(detail.canonical["country_code"].is_null());
  CHECK(detail.canonical["postal_code"] == "10001");
  CHECK(detail.raw["PriceList"] == "A");
  std::string error;
  CHECK(state::customer_from_json(detail.canonical, error).has_value());
  auto created = ok(
    a.decode_one(entity::customer,
                 response(201, fixture("fortnox/customer_create_201.json"))));
  CHECK(created.remote_id == "6");
  CHECK(created.canonical["name"] == "A value");
  CHECK(created.canonical["city"].is_null());
}

TEST_CASE("a Fortnox list tells the server's clock by its Date header") {
  auto a = make();
  auto res = response(200, fixture("fortnox/invoices_list_200.json"));
  // The header as the real answer sent it (invoices_list_200.headers.txt).
  res.headers["date"] = "Tue, 31 Jan 2023 11:39:51 GMT";
  CHECK(ok(a.decode_list(entity::invoice, res)).server_time
        == "2023-01-31T11:39:51Z");
  // Without a readable Date the scan falls back to the engine's clock.
  res.headers["date"] = "yesterday";
  CHECK(ok(a.decode_list(entity::invoice, res)).server_time.empty());
}

TEST_CASE("Fortnox invoice list fixture with string quirks") {
  auto a = make();
  auto page = ok(a.decode_list(
    entity::invoice, response(200, fixture("fortnox/invoices_list_200.json"))));
  CHECK(page.total_records == 34);
  REQUIRE(page.records.size() == 34);
  CHECK(page.rejected.empty());
  const auto& first = page.records[0];
  CHECK(first.remote_id == "1");
  CHECK(first.canonical["customer_remote_id"] == "1");
  CHECK(first.canonical["invoice_date"] == "2023-01-27");
  CHECK(first.canonical["due_date"] == "2023-02-26");
  CHECK(first.canonical["status"] == "draft");
  CHECK(first.canonical["total"] == 0);
  CHECK(first.canonical["rows"].empty());
  // CurrencyRate is the string "1" here: kept verbatim in raw.
  CHECK(first.raw["CurrencyRate"] == "1");
  CHECK_FALSE(first.deleted);
  // 32 is booked with a FinalPayDate and balance 0: paid.
  CHECK(page.records[31].remote_id == "32");
  CHECK(page.records[31].canonical["status"] == "paid");
  CHECK(page.records[32].canonical["customer_remote_id"] == "5");
}

TEST_CASE("Fortnox invoice detail and create fixtures") {
  auto a = make();
  auto detail = ok(
    a.decode_one(entity::invoice,
                 response(200, fixture("fortnox/invoice_detail_200.json"))));
  CHECK(detail.remote_id == "1");
  CHECK(detail.raw["CurrencyRate"] == 1);
  CHECK(detail.raw["Credit"] == "false");
  CHECK(detail.canonical["status"] == "draft");
  CHECK(detail.canonical["rows"].empty());
  auto created = ok(a.decode_one(
    entity::invoice,
    response(201, fixture("fortnox/invoice_create_with_row_201.json"))));
  CHECK(created.remote_id == "39");
  CHECK(created.canonical["invoice_number"] == "39");
  CHECK(created.canonical["due_date"] == "2025-01-01");
  REQUIRE(created.canonical["rows"].size() == 1);
  auto row = created.canonical["rows"][0];
  CHECK(row["line_no"] == 1);
  CHECK(row["article"] == "101");
  CHECK(row["description"] == "Test");
  // DeliveredQuantity is the string "0"; Price the number 1.12.
  CHECK(row["quantity"] == "0");
  CHECK(row["unit_price"] == 112);
  CHECK(row["vat_percent"] == "0");
  CHECK(row["unit"].is_null());
  // ContractReference "0" (2024) vs 0 (2023): both stay in raw untouched.
  CHECK(created.raw["ContractReference"] == "0");
  CHECK(detail.raw["ContractReference"] == 0);
}

TEST_CASE("Fortnox invoice status and money quirks") {
  auto a = make();
  auto one = [&](json inv) {
    return ok(a.decode_one(entity::invoice,
                           response(200, json{{"Invoice", inv}}.dump())));
  };
  json base = {{"DocumentNumber", "7"},
               {"CustomerNumber", "1"},
               {"InvoiceDate", "2024-05-01"},
               {"Total", "1 250,50"},
               {"TotalVAT", 250.1},
               {"Currency", "sek"},
               {"Credit", "false"},
               {"Booked", "true"},
               {"Balance", "100"},
               {"FinalPayDate", nullptr},
               {"ExternalInvoiceReference1", "local-7"},
               {"YourReference", "K\u00e4ll"}};
  auto rec = one(base);
  CHECK(rec.canonical["total"] == 125050);
  CHECK(rec.canonical["vat"] == 25010);
  CHECK(rec.canonical["currency"] == "SEK");
  CHECK(rec.canonical["status"] == "booked");
  CHECK(rec.canonical["external_ref"] == "local-7");
  CHECK(rec.canonical["your_reference"] == "K\xC3\xA4ll");
  base["Credit"] = "true";
  CHECK(one(base).canonical["status"] == "credited");
  base["Credit"] = false;
  base["CreditInvoiceReference"] = "12";
  CHECK(one(base).canonical["status"] == "credited");
  base["CreditInvoiceReference"] = "0";
  base["Cancelled"] = true;
  auto cancelled = one(base);
  // A cancelled invoice is an accounting record: kept, with its status.
  CHECK(cancelled.canonical["status"] == "cancelled");
  CHECK_FALSE(cancelled.deleted);
  base["Cancelled"] = false;
  base["Booked"] = false;
  base["Sent"] = true;
  CHECK(one(base).canonical["status"] == "sent");
  // Zero-decimal currency: Total in whole yen.
  base["Currency"] = "JPY";
  base["Total"] = 1500;
  CHECK(one(base).canonical["total"] == 1500);
  // VAT-included prices: the row price excluding VAT is used.
  base["Currency"] = "SEK";
  base["VATIncluded"] = true;
  base["InvoiceRows"] = json::array(
    {{{"Price", 125}, {"PriceExcludingVAT", 100}, {"DeliveredQuantity", "2"}}});
  auto vat_included = one(base);
  CHECK(vat_included.canonical["rows"][0]["unit_price"] == 10000);
  CHECK(vat_included.canonical["rows"][0]["quantity"] == "2");
}

TEST_CASE("Fortnox renamed required field is a malformed error") {
  auto a = make();
  auto body = json::parse(fixture("fortnox/customer_detail_200.json"));
  SECTION("customer Name renamed") {
    auto name = body["Customer"]["Name"];
    body["Customer"].erase("Name");
    body["Customer"]["CustomerName"] = name;
    auto err
      = failed(a.decode_one(entity::customer, response(200, body.dump())));
    CHECK(err.malformed);
    CHECK(err.message.find("Customer.Name") != std::string::npos);
    CHECK_FALSE(err.retryable());
  }
  SECTION("invoice DocumentNumber renamed") {
    auto inv = json::parse(fixture("fortnox/invoice_detail_200.json"));
    inv["Invoice"]["DocNumber"] = inv["Invoice"]["DocumentNumber"];
    inv["Invoice"].erase("DocumentNumber");
    auto err = failed(a.decode_one(entity::invoice, response(200, inv.dump())));
    CHECK(err.malformed);
    CHECK(err.message.find("Invoice.DocumentNumber") != std::string::npos);
  }
  SECTION("row price not a number") {
    auto inv = json::parse(fixture("fortnox/invoice_create_with_row_201.json"));
    inv["Invoice"]["InvoiceRows"][0]["Price"] = "n/a";
    auto err = failed(a.decode_one(entity::invoice, response(201, inv.dump())));
    CHECK(err.message.find("Invoice.InvoiceRows[0].Price")
          != std::string::npos);
  }
  SECTION("wrapper missing or body not JSON") {
    auto err
      = failed(a.decode_one(entity::invoice, response(200, body.dump())));
    CHECK(err.malformed);
    CHECK(err.message.find("Invoice") != std::string::npos);
    CHECK(failed(a.decode_one(entity::customer, response(200, "<html>")))
            .malformed);
    CHECK(
      failed(a.decode_list(entity::customer, response(200, "{}"))).malformed);
  }
}

TEST_CASE("Fortnox list page with one bad item keeps the others") {
  auto a = make();
  auto body = json::parse(fixture("fortnox/invoices_list_200.json"));
  body["Invoices"][4].erase("InvoiceDate");
  body["Invoices"][9]["Total"] = "lots";
  body["MetaInformation"]["@TotalPages"] = "3";
  body["MetaInformation"]["@CurrentPage"] = "2";
  auto page = ok(a.decode_list(entity::invoice, response(200, body.dump())));
  CHECK(page.records.size() == 32);
  REQUIRE(page.rejected.size() == 2);
  CHECK(page.rejected[0].remote_id == "5");
  CHECK(page.rejected[0].reason.find("InvoiceDate") != std::string::npos);
  CHECK(page.rejected[1].remote_id == "10");
  CHECK(page.rejected[1].reason.find("Total") != std::string::npos);
  CHECK(page.current == 2);
  CHECK(page.total_pages == 3);
  CHECK_FALSE(page.last());
}

TEST_CASE("Fortnox error classes") {
  auto a = make();
  auto err = a.classify(
    response(404, fixture("fortnox/error_404_invoice_not_found.json")));
  CHECK(err.kind == http::failure::not_found);
  CHECK(err.code == "2000434");
  CHECK(err.message == "Kan inte hitta fakturan.");
  CHECK(err.status == 404);
  err = a.classify(
    response(404, fixture("fortnox/error_404_customer_not_found.json")));
  CHECK(err.kind == http::failure::not_found);
  CHECK(err.code == "2000433");
  err = a.classify(
    response(400, fixture("fortnox/error_400_invalid_filter.json")));
  CHECK(err.kind == http::failure::validation);
  CHECK(err.code == "2000587");
  CHECK(err.message == "Ett ogiltigt filter har anv\xC3\xA4nts.");
  err = a.classify(
    response(401, fixture("fortnox/error_401_expired_access_token.json")));
  CHECK(err.kind == http::failure::auth);
  CHECK(err.message == "unauthorized");
  err = a.classify(
    response(400, fixture("fortnox/oauth_refresh_400_invalid_grant.json")));
  CHECK(err.kind == http::failure::auth);
  CHECK(err.code == "invalid_grant");
  CHECK(err.message == "Invalid refresh token");
  err = a.classify(
    response(401, fixture("fortnox/oauth_refresh_401_invalid_client.json")));
  CHECK(err.kind == http::failure::auth);
  CHECK(err.message == "The client credentials are invalid");
  // Codes as strings, and auth codes on a 400.
  err = a.classify(response(
    400, R"({"ErrorInformation":{"error":1,"message":"x","code":"2000311"}})"));
  CHECK(err.kind == http::failure::auth);
  err = a.classify(response(
    400, R"({"errorinformation":{"Error":1,"Message":"Sys","Code":1000003}})"));
  CHECK(err.kind == http::failure::transient);
  CHECK(err.retryable());
  err = a.classify(response(503, ""));
  CHECK(err.kind == http::failure::transient);
  auto limited = response(429, "");
  limited.retry_after = 2s;
  err = a.classify(limited);
  CHECK(err.kind == http::failure::rate_limited);
  CHECK(err.retry_after == 2s);
  CHECK(err.retryable());
  err = a.classify(response(422, "not json"));
  CHECK(err.kind == http::failure::validation);
  CHECK(err.message == "not json");
  http::client_result timeout;
  timeout.error = http::failure::timeout;
  timeout.message = "read deadline";
  timeout.maybe_sent = true;
  err = a.classify(timeout);
  CHECK(err.kind == http::failure::timeout);
  CHECK(err.message == "read deadline");
  CHECK(err.status == 0);
  // decode_* hand failed results to classify.
  auto nf = failed(a.decode_one(
    entity::invoice,
    response(404, fixture("fortnox/error_404_invoice_not_found.json"))));
  CHECK(nf.kind == http::failure::not_found);
}

TEST_CASE("Fortnox create bodies and round trip") {
  auto a = make();
  state::invoice inv;
  inv.customer_remote_id = "1";
  inv.invoice_date = "2024-12-02";
  inv.due_date = "2025-01-01";
  inv.your_reference = "Sv\xC3\xA4rd";
  inv.external_ref = "3d4c1f6e-local";
  inv.rows.push_back({1, "101", "Test", 15000, "h", 125050, 2500});
  inv.rows.push_back({2, std::nullopt, "Text only", 0, std::nullopt, 0, 0});
  auto req = ok(a.create(entity::invoice, state::to_json(inv), nullptr));
  CHECK(req.method == "POST");
  CHECK(req.url == "https://api.fortnox.se/3/invoices");
  CHECK(header(req, "Content-Type") == "application/json");
  auto body = json::parse(req.body);
  auto& x = body["Invoice"];
  CHECK(x["CustomerNumber"] == "1");
  CHECK(x["ExternalInvoiceReference1"] == "3d4c1f6e-local");
  CHECK_FALSE(x.contains("OurReference"));
  CHECK_FALSE(x.contains("DocumentNumber"));
  CHECK_FALSE(x.contains("Total"));
  CHECK(x["InvoiceRows"][0]["DeliveredQuantity"] == "1.5");
  CHECK(x["InvoiceRows"][0]["Price"].dump() == "1250.5");
  CHECK(x["InvoiceRows"][0]["VAT"].dump() == "25");
  CHECK_FALSE(x["InvoiceRows"][1].contains("ArticleNumber"));
  // Echo: Fortnox answers with the same fields plus its own.
  auto echo = body;
  echo["Invoice"]["DocumentNumber"] = "40";
  echo["Invoice"]["Total"] = 2345.94;
  echo["Invoice"]["TotalVAT"] = 469.19;
  auto rec = ok(a.decode_one(entity::invoice, response(201, echo.dump())));
  auto expected = inv;
  expected.remote_id = "40";
  expected.invoice_number = "40";
  expected.total = 234594;
  expected.vat = 46919;
  CHECK(rec.canonical == state::to_json(expected));

  state::customer c;
  c.name = "Kund \xC3\xA4";
  c.email = "a@b.se";
  c.country_code = "SE";
  c.external_ref = "c-local-1";
  auto creq = ok(a.create(entity::customer, state::to_json(c), nullptr));
  auto cbody = json::parse(creq.body);
  CHECK(cbody["Customer"]["Name"] == "Kund \xC3\xA4");
  CHECK(cbody["Customer"]["ExternalReference"] == "c-local-1");
  CHECK_FALSE(cbody["Customer"].contains("CustomerNumber"));
  CHECK_FALSE(cbody["Customer"].contains("Phone1"));
  cbody["Customer"]["CustomerNumber"] = "8";
  auto crec = ok(a.decode_one(entity::customer, response(201, cbody.dump())));
  c.remote_id = "8";
  c.customer_number = "8";
  CHECK(crec.canonical == state::to_json(c));
  // Invalid canonical input is a validation error naming the field.
  auto bad = state::to_json(c);
  bad.erase("name");
  auto err = failed(a.create(entity::customer, bad, nullptr));
  CHECK(err.kind == http::failure::validation);
  CHECK(err.message.find("name") != std::string::npos);
}

TEST_CASE("Fortnox update names only the fields that differ from the record "
          "as read") {
  auto a = make();
  auto detail = ok(a.decode_one(
    entity::invoice,
    response(201, fixture("fortnox/invoice_create_with_row_201.json"))));
  std::string error;
  auto inv = *state::invoice_from_json(detail.canonical, error);
  inv.your_reference = "Ny ref";
  inv.rows[0].quantity_e4 = 20000;
  inv.rows.push_back({2, "102", "Extra", 10000, "st", 5000, 1200});
  auto req
    = ok(a.update(entity::invoice, "39", state::to_json(inv), detail.raw));
  CHECK(req.method == "PUT");
  CHECK(req.url == "https://api.fortnox.se/3/invoices/39");
  auto x = json::parse(req.body)["Invoice"];
  CHECK(x["YourReference"] == "Ny ref");
  // Fortnox keeps what a PUT does not name: unchanged and unknown fields
  // are left out, so a change made there since the read is not undone.
  CHECK_FALSE(x.contains("PriceList"));
  CHECK_FALSE(x.contains("EmailInformation"));
  CHECK_FALSE(x.contains("CustomerNumber"));
  CHECK_FALSE(x.contains("Currency"));
  // Fortnox-owned fields are not sent back.
  CHECK_FALSE(x.contains("@url"));
  CHECK_FALSE(x.contains("DocumentNumber"));
  CHECK_FALSE(x.contains("Total"));
  CHECK_FALSE(x.contains("Booked"));
  CHECK_FALSE(x.contains("Credit"));
  REQUIRE(x["InvoiceRows"].size() == 2);
  auto row = x["InvoiceRows"][0];
  CHECK(row["AccountNumber"] == 3001);
  CHECK(row["RowId"] == 27);
  CHECK(row["DeliveredQuantity"] == "2");
  CHECK(row["Price"].dump() == "1.12");
  CHECK_FALSE(row.contains("Total"));
  CHECK_FALSE(row.contains("PriceExcludingVAT"));
  CHECK_FALSE(x["InvoiceRows"][1].contains("RowId"));
  // Only the changed fields.
  std::set<std::string> keys;
  for (auto i = x.begin(); i != x.end(); ++i)
    keys.insert(i.key());
  CHECK(keys == std::set<std::string>{"InvoiceRows", "YourReference"});

  auto cdetail = ok(
    a.decode_one(entity::customer,
                 response(200, fixture("fortnox/customer_detail_200.json"))));
  auto c = *state::customer_from_json(cdetail.canonical, error);
  c.city = std::nullopt;
  c.phone = "08-123";
  auto creq
    = ok(a.update(entity::customer, "1", state::to_json(c), cdetail.raw));
  auto cx = json::parse(creq.body)["Customer"];
  CHECK(cx["City"] == "");
  CHECK(cx["Phone1"] == "08-123");
  // Empty at Fortnox (null) and empty here ("") are the same.
  CHECK(cx.size() == 2);
  CHECK_FALSE(cx.contains("DefaultTemplates"));
  CHECK_FALSE(cx.contains("Name"));
  CHECK_FALSE(cx.contains("CustomerNumber"));
  CHECK_FALSE(cx.contains("@url"));
}

TEST_CASE("Provider registry") {
  auto f = provider::make_adapter("fortnox", "http://127.0.0.1:9000/fx", "3");
  REQUIRE(f != nullptr);
  CHECK(f->name() == "fortnox");
  CHECK(f->get(entity::customer, "1").url
        == "http://127.0.0.1:9000/fx/3/customers/1");
  CHECK(provider::make_adapter("nope", "x", "1") == nullptr);
  auto names = provider::known_providers();
  CHECK(std::find(names.begin(), names.end(), "fortnox") != names.end());
  // The config loader's version lists are the adapters' (so the loader
  // needs no adapter code and still refuses what no adapter maps).
  for (auto kind :
       {config::provider_kind::fortnox, config::provider_kind::visma}) {
    auto from_config = config::known_api_versions(kind);
    INFO(config::to_string(kind));
    CHECK(
      provider::known_versions(config::to_string(kind))
      == std::vector<std::string_view>(from_config.begin(), from_config.end()));
    CHECK(std::find(from_config.begin(), from_config.end(),
                    config::default_api_version(kind))
          != from_config.end());
  }
  CHECK(provider::to_string(entity::customer) == "customer");
  CHECK(provider::to_string(entity::invoice) == "invoice");
}

TEST_CASE("Fortnox create body covers the recorded create request") {
  auto a = make();
  auto recorded
    = json::parse(fixture("fortnox/invoice_create_request_with_row.json"));
  const auto& rec_inv = recorded["Invoice"];
  state::invoice inv;
  inv.customer_remote_id = rec_inv["CustomerNumber"];
  inv.invoice_date = "2024-12-02";
  inv.rows.push_back({1, rec_inv["InvoiceRows"][0]["ArticleNumber"],
                      rec_inv["InvoiceRows"][0]["Description"], 10000,
                      std::nullopt, 0, 2500});
  auto body = json::parse(
    ok(a.create(entity::invoice, state::to_json(inv), nullptr)).body);
  // Same wrapper, same keys and values as the request Fortnox accepted.
  for (auto i = rec_inv.begin(); i != rec_inv.end(); ++i)
    if (i.key() != "InvoiceRows")
      CHECK(body["Invoice"][i.key()] == i.value());
  auto row = body["Invoice"]["InvoiceRows"][0];
  for (auto i = rec_inv["InvoiceRows"][0].begin();
       i != rec_inv["InvoiceRows"][0].end(); ++i)
    CHECK(row[i.key()] == i.value());
}

TEST_CASE("Fortnox escaped Swedish text and list Phone") {
  auto a = make();
  auto rec = ok(
    a.decode_list(entity::customer,
                  response(200, R"({"MetaInformation":{"@TotalResources":"1",
      "@TotalPages":"1","@CurrentPage":"1"},
      "Customers":[{"CustomerNumber":"9","Name":"R\u00e4ksm\u00f6rg\u00e5s AB",
      "Phone":"08-1","City":"G\u00e4vle"}]})")));
  REQUIRE(rec.records.size() == 1);
  CHECK(rec.total_records == 1);
  CHECK(rec.records[0].canonical["name"]
        == "R\xC3\xA4ksm\xC3\xB6rg\xC3\xA5s AB");
  CHECK(rec.records[0].canonical["city"] == "G\xC3\xA4vle");
  CHECK(rec.records[0].canonical["phone"] == "08-1");
}

TEST_CASE("Fortnox status moves are its invoice actions") {
  auto a = make();
  using state::invoice_status;
  auto action = [&](invoice_status from, invoice_status to) {
    return ok(a.transition(entity::invoice, "17", from, to));
  };
  CHECK(action(invoice_status::draft, invoice_status::booked)
          .url.ends_with("/3/invoices/17/bookkeep"));
  CHECK(action(invoice_status::draft, invoice_status::booked).method == "PUT");
  CHECK(action(invoice_status::sent, invoice_status::cancelled)
          .url.ends_with("/3/invoices/17/cancel"));
  CHECK(action(invoice_status::booked, invoice_status::credited)
          .url.ends_with("/3/invoices/17/credit"));
  CHECK(action(invoice_status::draft, invoice_status::sent)
          .url.ends_with("/3/invoices/17/externalprint"));
  auto refused = failed(a.transition(
    entity::invoice, "17", invoice_status::booked, invoice_status::cancelled));
  CHECK(refused.kind == http::failure::validation);
  CHECK(refused.message.find("credit") != std::string::npos);
  CHECK(failed(a.transition(entity::invoice, "17", invoice_status::cancelled,
                            invoice_status::draft))
          .kind
        == http::failure::validation);
}
