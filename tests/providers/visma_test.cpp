#include "adapters/provider/registry.hpp"
#include "adapters/visma/adapter.hpp"
#include "state/canonical.hpp"
#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono;
using namespace std::chrono_literals;
using namespace ledgerd;
using nlohmann::json;
using provider::entity;
using namespace ledgerd::test; // fixture, response, ok, failed

namespace {

visma::adapter make() {
  return visma::adapter{"https://eaccountingapi.vismaonline.com", "v2"};
}

// Shaped after the Swagger's CustomerApi (no recorded Visma payload exists).
json customer_json() {
  return {{"Id", "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"},
          {"CustomerNumber", "1001"},
          {"Name", "Bj\u00f6rk & S\u00e4ll AB"},
          {"CorporateIdentityNumber", "556677-8899"},
          {"VatNumber", "SE556677889901"},
          {"EmailAddress", "info@example.se"},
          {"Telephone", "08-123 45"},
          {"InvoiceAddress1", "Storgatan 1"},
          {"InvoiceAddress2", nullptr},
          {"InvoicePostalCode", "111 22"},
          {"InvoiceCity", "Stockholm"},
          {"InvoiceCountryCode", "se"},
          {"CurrencyCode", "SEK"},
          {"TermsOfPaymentId", "8f9e0d1c-0000-4000-8000-000000000030"},
          {"TermsOfPayment", {{"Name", "30 dagar"}, {"NumberOfDays", 30}}},
          {"IsPrivatePerson", false},
          {"IsActive", true},
          {"Note", "local-c-1"},
          {"WwwAddress", "https://example.se"},
          {"ChangedUtc", "2024-03-01T10:11:12Z"},
          {"LastInvoiceDate", "2024-02-01T00:00:00"},
          {"CustomerLabels", json::array()}};
}

json invoice_json() {
  return {{"Id", "b1c2d3e4-0000-4000-8000-000000000001"},
          {"InvoiceNumber", 17},
          {"CustomerId", "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"},
          {"CustomerNumber", "1001"},
          {"InvoiceDate", "2024-03-01T00:00:00"},
          {"DueDate", "2024-03-31T00:00:00"},
          {"CurrencyCode", "EUR"},
          {"CurrencyRate", 11.2},
          {"TotalAmount", 14000.0},
          {"TotalVatAmount", 2800.0},
          {"TotalAmountInvoiceCurrency", 1250.5},
          {"TotalVatAmountInvoiceCurrency", 250.1},
          {"RemainingAmountInvoiceCurrency", 1250.5},
          {"IsCreditInvoice", false},
          {"EuThirdParty", false},
          {"RotReducedInvoicingType", 0},
          {"YourReference", "Kalle"},
          {"OurReference", nullptr},
          {"ElectronicReference", "local-i-1"},
          {"ModifiedUtc", "2024-03-02T08:00:00Z"},
          {"Rows",
           {{{"LineNumber", 0},
             {"ArticleNumber", "A1"},
             {"ArticleId", "c0ffee00-0000-4000-8000-000000000001"},
             {"Text", "Konsult"},
             {"Quantity", 1.5},
             {"UnitPrice", 800.25},
             {"UnitAbbreviation", "h"},
             {"PercentVat", 0.25},
             {"IsTextRow", false}},
            {{"LineNumber", 1},
             {"Text", "Tack f\u00f6r ordern"},
             {"IsTextRow", true},
             {"Quantity", nullptr},
             {"UnitPrice", nullptr},
             {"PercentVat", 0}}}}};
}

json envelope(json data, int page = 1, int pages = 1) {
  return {{"Meta",
           {{"CurrentPage", page},
            {"PageSize", 500},
            {"TotalNumberOfPages", pages},
            {"TotalNumberOfResults", data.size()},
            {"ServerTimeUtc", "2024-03-05T12:00:00Z"}}},
          {"Data", std::move(data)}};
}

} // namespace

TEST_CASE("Visma list requests") {
  auto a = make();
  provider::list_query q;
  q.kind = entity::customer;
  CHECK(a.list(q).url
        == "https://eaccountingapi.vismaonline.com/v2/customers"
           "?$page=1&$pagesize=500");
  q.page = 2;
  q.since = sys_days{2024y / 3 / 1} + 10h + 5min;
  CHECK(a.list(q).url
        == "https://eaccountingapi.vismaonline.com/v2/customers"
           "?$page=2&$pagesize=500"
           "&$filter=ChangedUtc%20gt%202024-03-01T10%3A05%3A00Z");
  q.kind = entity::invoice;
  auto req = a.list(q);
  CHECK(req.method == "GET");
  CHECK(req.url
        == "https://eaccountingapi.vismaonline.com/v2/customerinvoices"
           "?$page=2&$pagesize=500&modifiedSinceUtc=2024-03-01T10%3A05%3A00Z");
  CHECK(a.endpoint(entity::invoice) == "customerinvoices");
  CHECK(a.endpoint(entity::customer) == "customers");
  auto caps = a.caps();
  CHECK(caps.server_time);
  CHECK(caps.complete_list_items);
  CHECK(caps.delete_customer);
  CHECK(caps.cancel_invoice);
  CHECK_FALSE(caps.event_stream);
}

TEST_CASE("Visma get, remove and lookup requests") {
  auto a = make();
  auto id = "b1c2d3e4-0000-4000-8000-000000000001";
  CHECK(a.get(entity::invoice, id).url
        == std::string{"https://eaccountingapi.vismaonline.com/v2/"
                       "customerinvoices/"}
             + id);
  auto del = ok(a.remove(entity::customer, "abc"));
  CHECK(del.method == "DELETE");
  CHECK(del.url == "https://eaccountingapi.vismaonline.com/v2/customers/abc");
  auto v = ok(a.remove(entity::invoice, "abc"));
  CHECK(v.method == "POST");
  CHECK(v.url
        == "https://eaccountingapi.vismaonline.com/v2/customerinvoices/abc/"
           "void");
  CHECK(
    a.find_by_external_ref({entity::invoice, "o'k", std::nullopt, 1, ""}).url
    == "https://eaccountingapi.vismaonline.com/v2/customerinvoices"
       "?$page=1&$pagesize=500"
       "&$filter=ElectronicReference%20eq%20%27o%27%27k%27");
  CHECK(a.find_by_external_ref({entity::customer, "x", std::nullopt, 3, ""})
          .url.find("$page=3&$pagesize=500&$filter=Note%20eq%20%27x%27")
        != std::string::npos);
  auto reg = provider::make_adapter("visma", "http://127.0.0.1:1/v", "v2");
  REQUIRE(reg != nullptr);
  CHECK(reg->name() == "visma");
  CHECK(reg->get(entity::customer, "1").url
        == "http://127.0.0.1:1/v/v2/customers/1");
}

TEST_CASE("Visma customer decoding") {
  auto a = make();
  auto page = ok(a.decode_list(
    entity::customer, response(200, envelope({customer_json()}).dump())));
  CHECK(page.server_time == "2024-03-05T12:00:00Z");
  CHECK(page.total_records == 1);
  CHECK(page.last());
  REQUIRE(page.records.size() == 1);
  auto rec = page.records[0];
  CHECK(rec.remote_id == "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
  CHECK(rec.version == "2024-03-01T10:11:12Z");
  CHECK(rec.canonical["customer_number"] == "1001");
  CHECK(rec.canonical["name"] == "Bj\xC3\xB6rk & S\xC3\xA4ll AB");
  CHECK(rec.canonical["org_number"] == "556677-8899");
  CHECK(rec.canonical["phone"] == "08-123 45");
  CHECK(rec.canonical["postal_code"] == "111 22");
  CHECK(rec.canonical["country_code"] == "SE");
  CHECK(rec.canonical["address2"].is_null());
  CHECK(rec.canonical["external_ref"] == "local-c-1");
  // ChangedUtc null (never changed): the canonical hash.
  auto c = customer_json();
  c["ChangedUtc"] = nullptr;
  auto one = ok(a.decode_one(entity::customer, response(200, c.dump())));
  CHECK(one.version.size() == 16);
  CHECK(one.version.find('-') == std::string::npos);
}

TEST_CASE("Visma invoice decoding") {
  auto a = make();
  auto rec
    = ok(a.decode_one(entity::invoice, response(200, invoice_json().dump())));
  CHECK(rec.version == "2024-03-02T08:00:00Z");
  const auto& j = rec.canonical;
  CHECK(j["invoice_number"] == "17");
  CHECK(j["customer_remote_id"] == "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
  CHECK(j["invoice_date"] == "2024-03-01");
  CHECK(j["due_date"] == "2024-03-31");
  CHECK(j["currency"] == "EUR");
  // Invoice-currency totals, not the SEK ones.
  CHECK(j["total"] == 125050);
  CHECK(j["vat"] == 25010);
  CHECK(j["status"] == "booked");
  CHECK(j["external_ref"] == "local-i-1");
  CHECK(j["our_reference"].is_null());
  REQUIRE(j["rows"].size() == 2);
  CHECK(j["rows"][0]["line_no"] == 1);
  CHECK(j["rows"][0]["article"] == "A1");
  CHECK(j["rows"][0]["quantity"] == "1.5");
  CHECK(j["rows"][0]["unit_price"] == 80025);
  CHECK(j["rows"][0]["unit"] == "h");
  CHECK(j["rows"][0]["vat_percent"] == "25");
  CHECK(j["rows"][1]["description"] == "Tack f\xC3\xB6r ordern");
  CHECK(j["rows"][1]["quantity"] == "0");
  auto x = invoice_json();
  x["Rows"][0]["PercentVat"] = 12;
  x["RemainingAmountInvoiceCurrency"] = 0;
  auto paid = ok(a.decode_one(entity::invoice, response(200, x.dump())));
  CHECK(paid.canonical["rows"][0]["vat_percent"] == "12");
  CHECK(paid.canonical["status"] == "paid");
  x["IsCreditInvoice"] = true;
  CHECK(ok(a.decode_one(entity::invoice, response(200, x.dump())))
          .canonical["status"]
        == "credited");
}

TEST_CASE("Visma renamed field and bad list items") {
  auto a = make();
  auto c = customer_json();
  c["CustomerName"] = c["Name"];
  c.erase("Name");
  auto err = failed(a.decode_one(entity::customer, response(200, c.dump())));
  CHECK(err.malformed);
  CHECK(err.message.find("Name") == 0);
  auto bad_row = invoice_json();
  bad_row["Rows"][0].erase("Quantity");
  auto no_id = invoice_json();
  no_id.erase("Id");
  auto page = ok(a.decode_list(
    entity::invoice,
    response(200, envelope({bad_row, invoice_json(), no_id}, 1, 2).dump())));
  CHECK(page.records.size() == 1);
  REQUIRE(page.rejected.size() == 2);
  CHECK(page.rejected[0].remote_id == "b1c2d3e4-0000-4000-8000-000000000001");
  CHECK(page.rejected[0].reason.find("Rows[0].Quantity") != std::string::npos);
  CHECK(page.rejected[1].remote_id == "");
  CHECK(page.rejected[1].reason.find("Id") == 0);
  CHECK_FALSE(page.last());
  CHECK(failed(a.decode_list(entity::invoice, response(200, "[]"))).malformed);
}

TEST_CASE("Visma list items without every mapped key are fetched, not read "
          "as cleared") {
  auto a = make();
  auto summary = customer_json();
  summary.erase("EmailAddress");
  summary.erase("Note");
  auto no_rows = invoice_json();
  no_rows.erase("Rows");
  auto nulls = customer_json();
  nulls["EmailAddress"] = nullptr;
  auto customers = ok(a.decode_list(
    entity::customer, response(200, envelope({summary, nulls}, 1, 1).dump())));
  REQUIRE(customers.records.size() == 2);
  const auto& partial = customers.records[0];
  CHECK(partial.partial);
  CHECK(partial.remote_id == "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
  CHECK(partial.version == "2024-03-01T10:11:12Z");
  CHECK(partial.canonical.is_null());
  // A key present as null is carried: the field is empty, not unknown.
  CHECK_FALSE(customers.records[1].partial);
  CHECK(customers.records[1].canonical["email"].is_null());
  auto invoices = ok(a.decode_list(
    entity::invoice, response(200, envelope({no_rows}, 1, 1).dump())));
  REQUIRE(invoices.records.size() == 1);
  CHECK(invoices.rejected.empty());
  CHECK(invoices.records[0].partial);
  // The fallback key stands in for its field.
  auto plain_total = invoice_json();
  plain_total.erase("TotalAmountInvoiceCurrency");
  auto fallback = ok(a.decode_list(
    entity::invoice, response(200, envelope({plain_total}, 1, 1).dump())));
  REQUIRE(fallback.records.size() == 1);
  CHECK_FALSE(fallback.records[0].partial);
  // A detail without a key reads it as empty, as before.
  auto one = ok(a.decode_one(entity::customer, response(200, summary.dump())));
  CHECK_FALSE(one.partial);
  CHECK(one.canonical["email"].is_null());
}

TEST_CASE("Visma error classes") {
  auto a = make();
  auto res = response(429, fixture("visma/rate_limit_429.json"));
  auto err = a.classify(res);
  CHECK(err.kind == http::failure::rate_limited);
  CHECK(err.code == "4010");
  CHECK(err.retry_after == 55s);
  CHECK(err.message.find("Try again in 55 seconds") != std::string::npos);
  res.retry_after = 7s;
  CHECK(a.classify(res).retry_after == 7s);
  err = a.classify(response(
    400, R"({"ErrorCode":2000,"DeveloperErrorMessage":"Validation failed",
    "ErrorId":"e1","Errors":[{"Field":"TermsOfPaymentId","ErrorCode":"2000",
    "Message":"Required","Key":"k"}]})"));
  CHECK(err.kind == http::failure::validation);
  CHECK(err.code == "2000");
  CHECK(err.message == "Validation failed");
  REQUIRE(err.fields.size() == 1);
  CHECK(err.fields[0] == "TermsOfPaymentId: Required");
  err = a.classify(
    response(400, R"({"ErrorCode":3000,"DeveloperErrorMessage":"Not found"})"));
  CHECK(err.kind == http::failure::not_found);
  auto empty = response(404, "");
  empty.message = "Not Found";
  err = a.classify(empty);
  CHECK(err.kind == http::failure::not_found);
  CHECK(err.message == "Not Found");
  CHECK(a.classify(response(401, "")).kind == http::failure::auth);
  CHECK(a.classify(response(502, "<html>")).kind == http::failure::transient);
  http::client_result reset;
  reset.error = http::failure::network;
  reset.message = "connection reset";
  CHECK(a.classify(reset).kind == http::failure::network);
  CHECK(a.classify(reset).retryable());
}

TEST_CASE("Visma create bodies and round trip") {
  auto a = make();
  std::string error;
  auto c = *state::customer_from_json(
    ok(a.decode_one(entity::customer, response(200, customer_json().dump())))
      .canonical,
    error);
  c.remote_id.reset();
  auto req = ok(a.create(entity::customer, state::to_json(c), nullptr));
  CHECK(req.method == "POST");
  CHECK(req.url == "https://eaccountingapi.vismaonline.com/v2/customers");
  auto body = json::parse(req.body);
  CHECK(body["IsPrivatePerson"] == false);
  CHECK(body["IsActive"] == true);
  CHECK(body["Note"] == "local-c-1");
  CHECK(body["InvoiceCity"] == "Stockholm");
  CHECK_FALSE(body.contains("InvoiceAddress2"));
  CHECK_FALSE(body.contains("TermsOfPaymentId")); // no defaults given
  // The connection's create defaults fill what the model does not carry;
  // mapped fields win over them.
  auto with_defaults = json::parse(
    ok(a.create(entity::customer, state::to_json(c),
                {{"TermsOfPaymentId", "8f9a"}, {"Name", "not this"}}))
      .body);
  CHECK(with_defaults["TermsOfPaymentId"] == "8f9a");
  CHECK(with_defaults["Name"] == body["Name"]);
  auto echo = body;
  echo["Id"] = "new-id";
  auto back = ok(a.decode_one(entity::customer, response(201, echo.dump())));
  c.remote_id = "new-id";
  CHECK(back.canonical == state::to_json(c));

  state::invoice inv;
  inv.customer_remote_id = "cust-1";
  inv.invoice_date = "2024-03-01";
  inv.external_ref = "local-i-9";
  inv.rows.push_back(
    {1, std::nullopt, "Konsult", 15000, std::nullopt, 80025, 2500});
  auto ireq = ok(a.create(entity::invoice, state::to_json(inv), nullptr));
  auto ib = json::parse(ireq.body);
  CHECK(ib["EuThirdParty"] == false);
  CHECK(ib["RotReducedInvoicingType"] == 0);
  CHECK(ib["CustomerId"] == "cust-1");
  CHECK(ib["ElectronicReference"] == "local-i-9");
  CHECK(ib["Rows"][0]["Quantity"].dump() == "1.5");
  CHECK(ib["Rows"][0]["UnitPrice"].dump() == "800.25");
  CHECK(ib["Rows"][0]["PercentVat"].dump() == "0.25");
  CHECK(ib["Rows"][0]["IsVatFree"] == false);
  CHECK_FALSE(ib.contains("CurrencyCode"));
  // Every rate is sent as Visma's fraction; 0 % is VAT-free.
  for (auto [e2, fraction] : std::vector<std::pair<int32_t, std::string>>{
         {1200, "0.12"}, {600, "0.06"}, {0, "0"}, {2550, "0.255"}}) {
    auto other = inv;
    other.rows[0].vat_percent_e2 = e2;
    auto rb = json::parse(
      ok(a.create(entity::invoice, state::to_json(other), nullptr)).body);
    INFO(e2);
    CHECK(rb["Rows"][0]["PercentVat"].dump() == fraction);
    CHECK(rb["Rows"][0]["IsVatFree"] == (e2 == 0));
  }
  // Visma echoes the invoice with its own fields (id, totals, VAT rate).
  ib["Id"] = "inv-1";
  ib["CurrencyCode"] = "SEK";
  ib["TotalAmount"] = 1500.39;
  ib["TotalVatAmount"] = 300.08;
  ib["Rows"][0]["PercentVat"] = 0.25;
  auto iback = ok(a.decode_one(entity::invoice, response(201, ib.dump())));
  inv.remote_id = "inv-1";
  inv.total = 150039;
  inv.vat = 30008;
  inv.status = "booked";
  CHECK(iback.canonical == state::to_json(inv));
}

TEST_CASE("Visma customer update keeps unknown raw fields") {
  auto a = make();
  auto raw = customer_json();
  std::string error;
  auto c = *state::customer_from_json(
    ok(a.decode_one(entity::customer, response(200, raw.dump()))).canonical,
    error);
  c.email.reset();
  c.city = "G\xC3\xB6teborg";
  auto req
    = ok(a.update(entity::customer, *c.remote_id, state::to_json(c), raw));
  CHECK(req.method == "PUT");
  auto body = json::parse(req.body);
  CHECK(body["InvoiceCity"] == "G\xC3\xB6teborg");
  CHECK(body["EmailAddress"].is_null());
  CHECK(body["WwwAddress"] == "https://example.se");
  CHECK(body["TermsOfPaymentId"] == raw["TermsOfPaymentId"]);
  CHECK(body["CustomerLabels"] == json::array());
  CHECK_FALSE(body.contains("ChangedUtc"));
  CHECK_FALSE(body.contains("TermsOfPayment"));
  CHECK_FALSE(body.contains("LastInvoiceDate"));
  for (auto i = body.begin(); i != body.end(); ++i)
    if (i.key() != "InvoiceCity" && i.key() != "EmailAddress"
        && i.key() != "InvoiceCountryCode")
      CHECK(i.value() == raw[i.key()]);
  // Customer invoices have no update in Visma.
  auto err = failed(a.update(
    entity::invoice, "x",
    ok(a.decode_one(entity::invoice, response(200, invoice_json().dump())))
      .canonical,
    invoice_json()));
  CHECK(err.kind == http::failure::validation);
}

TEST_CASE("Visma drafts: created, read, updated and converted at their path") {
  auto a = make();
  auto inv = invoice_json();
  auto canonical
    = ok(a.decode_one(entity::invoice, response(200, inv.dump()))).canonical;
  canonical["status"] = "draft";
  auto create = ok(a.create(entity::invoice, canonical, nullptr));
  CHECK(create.url
        == "https://eaccountingapi.vismaonline.com/v2/customerinvoicedrafts");
  provider::remote_record rec
    = ok(a.decode_one(entity::invoice, response(201, inv.dump())));
  auto guid = rec.remote_id;
  a.annotate(create, rec);
  CHECK(rec.remote_id == "draft:" + guid);
  CHECK(rec.canonical.at("status") == "draft");
  CHECK(a.get(entity::invoice, rec.remote_id).url
        == "https://eaccountingapi.vismaonline.com/v2/customerinvoicedrafts/"
             + guid);
  auto put = ok(a.update(entity::invoice, rec.remote_id, canonical, inv));
  CHECK(put.method == "PUT");
  CHECK(put.url
        == "https://eaccountingapi.vismaonline.com/v2/customerinvoicedrafts/"
             + guid);
  auto convert = ok(a.transition(entity::invoice, rec.remote_id,
                                 state::invoice_status::draft,
                                 state::invoice_status::booked));
  CHECK(convert.method == "POST");
  CHECK(convert.url.ends_with("/customerinvoicedrafts/" + guid + "/convert"));
  // The convert answers the customer invoice: its own id, no prefix.
  auto converted = ok(a.decode_one(entity::invoice, response(200, inv.dump())));
  a.annotate(convert, converted);
  CHECK(converted.remote_id == guid);
}

TEST_CASE("Visma refuses edits of converted invoices and moves it lacks") {
  auto a = make();
  auto inv = invoice_json();
  auto canonical
    = ok(a.decode_one(entity::invoice, response(200, inv.dump()))).canonical;
  auto id = inv.at("Id").get<std::string>();
  CHECK(failed(a.update(entity::invoice, id, canonical, inv)).kind
        == http::failure::validation);
  CHECK(ok(a.create(entity::invoice, canonical, nullptr))
          .url.ends_with("/v2/customerinvoices"));
  auto credit
    = failed(a.transition(entity::invoice, id, state::invoice_status::booked,
                          state::invoice_status::credited));
  CHECK(credit.kind == http::failure::validation);
  CHECK_FALSE(credit.message.empty());
  CHECK(failed(a.transition(entity::invoice, "draft:" + id,
                            state::invoice_status::draft,
                            state::invoice_status::cancelled))
          .kind
        == http::failure::validation);
}

TEST_CASE("Visma looks up a draft's create among the drafts") {
  auto a = make();
  CHECK(
    a.find_by_external_ref({entity::invoice, "l-1", std::nullopt, 1, "draft"})
      .url.starts_with("https://eaccountingapi.vismaonline.com/v2/"
                       "customerinvoicedrafts?"));
  CHECK(
    a.find_by_external_ref({entity::invoice, "l-1", std::nullopt, 1, "booked"})
      .url.starts_with("https://eaccountingapi.vismaonline.com/v2/"
                       "customerinvoices?"));
}

// -- API versions ------------------------------------------------------------

namespace {

visma::adapter make_v3() {
  return visma::adapter{"https://eaccountingapi.vismaonline.com", "v3"};
}

// customer_json() as v3 answers it: Email renamed, ExternalReference added
// (the local id), Note a person's own text.
json customer_json_v3() {
  auto x = customer_json();
  x.erase("EmailAddress");
  x["Email"] = "info@example.se";
  x["Note"] = "ring före leverans";
  x["ExternalReference"] = "local-c-1";
  return x;
}

} // namespace

TEST_CASE("Visma v3 reads and writes its renamed and added fields") {
  auto v2 = make();
  auto v3 = make_v3();
  auto c3 = ok(
    v3.decode_one(entity::customer, response(200, customer_json_v3().dump())));
  auto c2 = ok(
    v2.decode_one(entity::customer, response(200, customer_json().dump())));
  // The same customer, whichever version carried it.
  CHECK(c3.canonical == c2.canonical);
  CHECK(c3.canonical["email"] == "info@example.se");
  CHECK(c3.canonical["external_ref"] == "local-c-1");
  // v2's names mean nothing to v3 (and v3's nothing to v2).
  auto only_v2_names = customer_json();
  CHECK(ok(v3.decode_one(entity::customer, response(200, only_v2_names.dump())))
          .canonical["email"]
          .is_null());
  CHECK(ok(v2.decode_one(entity::customer,
                         response(200, customer_json_v3().dump())))
          .canonical["external_ref"]
        == "ring före leverans");

  std::string error;
  auto c = *state::customer_from_json(c3.canonical, error);
  c.remote_id.reset();
  auto body = json::parse(
    ok(v3.create(entity::customer, state::to_json(c), nullptr)).body);
  CHECK(body["Email"] == "info@example.se");
  CHECK(body["ExternalReference"] == "local-c-1");
  CHECK_FALSE(body.contains("EmailAddress"));
  CHECK_FALSE(body.contains("Note"));
  // An update keeps the person's Note: v3 does not map it.
  auto update = json::parse(
    ok(v3.update(entity::customer, "x", state::to_json(c), customer_json_v3()))
      .body);
  CHECK(update["Note"] == "ring före leverans");
  CHECK(update["ExternalReference"] == "local-c-1");

  auto inv3 = invoice_json();
  inv3["BuyerReference"] = inv3["YourReference"];
  inv3.erase("YourReference");
  auto i3 = ok(v3.decode_one(entity::invoice, response(200, inv3.dump())));
  auto i2
    = ok(v2.decode_one(entity::invoice, response(200, invoice_json().dump())));
  CHECK(i3.canonical == i2.canonical);
  auto inv = *state::invoice_from_json(i3.canonical, error);
  auto ib = json::parse(
    ok(v3.create(entity::invoice, state::to_json(inv), nullptr)).body);
  CHECK(ib["BuyerReference"] == invoice_json()["YourReference"]);
  CHECK_FALSE(ib.contains("YourReference"));
}

TEST_CASE("Visma v3 looks up the external reference in its own field") {
  auto q
    = provider::ref_query{entity::customer, "local-c-1", std::nullopt, 1, ""};
  auto v2 = make().find_by_external_ref(q).url;
  auto v3 = make_v3().find_by_external_ref(q).url;
  CHECK(v2.find("/v2/customers?") != std::string::npos);
  CHECK(v2.find("$filter=Note%20eq") != std::string::npos);
  CHECK(v3.find("/v3/customers?") != std::string::npos);
  CHECK(v3.find("$filter=ExternalReference%20eq") != std::string::npos);
}

TEST_CASE("Visma versions: the registry maps the known ones, no others") {
  CHECK(provider::make_adapter("visma", "http://x", "v2") != nullptr);
  CHECK(provider::make_adapter("visma", "http://x", "v3") != nullptr);
  CHECK(provider::make_adapter("visma", "http://x", "v9") == nullptr);
  CHECK(provider::make_adapter("fortnox", "http://x", "v2") == nullptr);
  CHECK_THROWS_AS((visma::adapter{"http://x", "v9"}), std::invalid_argument);
  auto versions = provider::known_versions("visma");
  CHECK(versions == std::vector<std::string_view>{"v2", "v3"});
  CHECK(provider::known_versions("nope").empty());
}

TEST_CASE("Visma requests count under the endpoint their path names") {
  // Visma limits 600 a minute per client and endpoint: a draft is an
  // invoice to ledgerd but its requests go to customerinvoicedrafts, and
  // counting them under customerinvoices let that bucket learn a limit
  // above what either endpoint allows (scripts/soak 30: 429s).
  auto a = make();
  auto id = std::string{"b1c2d3e4-0000-4000-8000-000000000001"};
  auto draft = std::string{visma::draft_prefix} + id;
  auto at = [&](const http::client_request& r, entity kind) {
    return a.endpoint_of(r, kind);
  };
  CHECK(at(a.get(entity::invoice, id), entity::invoice) == "customerinvoices");
  CHECK(at(a.get(entity::invoice, draft), entity::invoice)
        == "customerinvoicedrafts");
  CHECK(at(ok(a.transition(entity::invoice, draft, state::invoice_status::draft,
                           state::invoice_status::booked)),
           entity::invoice)
        == "customerinvoicedrafts");
  CHECK(at(a.list({entity::customer, std::nullopt, 2}), entity::customer)
        == "customers");
  CHECK(at(ok(a.remove(entity::invoice, id)), entity::invoice)
        == "customerinvoices");
  // A path outside the API counts under the record's endpoint.
  http::client_request other;
  other.url = "https://elsewhere.example/v2/x";
  CHECK(at(other, entity::customer) == "customers");
}
