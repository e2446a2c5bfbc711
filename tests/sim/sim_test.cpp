// ledgerd-sim in-process: shapes, pagination, deltas, limits, OAuth
// rotation, WebSocket replay and faults.

#include "tests/sim/sim_client.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <thread>

#include "sim/civil_time.hpp"
#include "sim/fortnox_model.hpp"
#include "sim/simulator.hpp"

using namespace ledgerd::sim;
using ledgerd::sim::testing::client;
using ledgerd::sim::testing::topics_client;
using json = nlohmann::json;

namespace {

/// A running simulator, a client and one seeded tenant.
struct fixture {
  explicit fixture(double time_scale = 1.0)
    : fixture(options(time_scale)) {}

  explicit fixture(sim_options opts)
    : sim(opts) {
    sim.start();
    http.emplace(sim.port());
  }

  static sim_options options(double time_scale) {
    sim_options o;
    o.time_scale = time_scale;
    return o;
  }

  json tenant(const std::string& provider, const std::string& name,
              int customers, int invoices) {
    auto r = http->send("POST", "/sim/tenants",
                        {{"provider", provider},
                         {"tenant", name},
                         {"client_id", "cid"},
                         {"client_secret", "secret"},
                         {"customers", customers},
                         {"invoices", invoices},
                         {"seed", 7}});
    REQUIRE(r.status == 201);
    return r.json();
  }

  json stats() {
    return http->get("/sim/stats").json();
  }

  json bucket(const std::string& key) {
    auto all = stats();
    for (const auto& b : all["buckets"])
      if (b["key"] == key)
        return b;
    FAIL("no bucket " << key);
    return {};
  }

  simulator sim;
  std::optional<client> http;
};

std::string basic(const std::string& id, const std::string& secret) {
  // base64 of "cid:secret" and "cid:wrong", precomputed for the tests.
  if (id == "cid" && secret == "secret")
    return "Basic Y2lkOnNlY3JldA==";
  return "Basic Y2lkOndyb25n";
}

/// Creates a Fortnox invoice for customer 1: 2 x 100 and 3 x 33.33 at 12 %
/// VAT, with `reference` as ExternalInvoiceReference1.
json fortnox_invoice(fixture& f, const std::string& token,
                     const std::string& reference) {
  auto r = f.http->send(
    "POST", "/fortnox/3/invoices",
    {{"Invoice",
      {{"CustomerNumber", "1"},
       {"ExternalInvoiceReference1", reference},
       {"InvoiceRows",
        {{{"Description", "Timme"}, {"Price", 100}, {"DeliveredQuantity", "2"}},
         {{"Description", "Bok"},
          {"Price", 33.33},
          {"DeliveredQuantity", "3"},
          {"VAT", 12}}}}}}},
    token);
  REQUIRE(r.status == 201);
  return r.json()["Invoice"];
}

json put_action(fixture& f, const std::string& token, const std::string& number,
                const std::string& action, int status) {
  auto r = f.http->send("PUT", "/fortnox/3/invoices/" + number + "/" + action,
                        json::object(), token);
  REQUIRE(r.status == status);
  return r.json();
}

/// The first customer's Id of a Visma tenant.
std::string visma_customer(fixture& f, const std::string& token) {
  return f.http->get("/visma/v2/customers", token)
    .json()["Data"][0]["Id"]
    .get<std::string>();
}

/// A draft body: 2 x 100 with 25 % VAT and 1 x 50 free of VAT.
json draft_body(const std::string& customer, const std::string& reference) {
  return {{"CustomerId", customer},
          {"ElectronicReference", reference},
          {"Rows",
           {{{"Text", "Tjänst"}, {"UnitPrice", 100}, {"Quantity", 2}},
            {{"Text", "Porto"},
             {"UnitPrice", 50},
             {"Quantity", 1},
             {"IsVatFree", true}}}}};
}

json visma_draft(fixture& f, const std::string& token,
                 const std::string& reference) {
  auto r = f.http->send("POST", "/visma/v2/customerinvoicedrafts",
                        draft_body(visma_customer(f, token), reference), token);
  REQUIRE(r.status == 201);
  return r.json();
}

std::string url_encode_space(std::string s) {
  for (auto& c : s)
    if (c == ' ')
      c = '+';
  return s;
}

} // namespace

TEST_CASE("Fortnox pagination over 1200 invoices with limit 500") {
  fixture f;
  auto token = f.tenant("fortnox", "acme", 20, 1200)["access_token"];
  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    auto r = f.http->get(
      "/fortnox/3/invoices?limit=500&page=" + std::to_string(page), token);
    REQUIRE(r.status == 200);
    auto j = r.json();
    CHECK(j["MetaInformation"]["@TotalResources"] == 1200);
    CHECK(j["MetaInformation"]["@TotalPages"] == 3);
    CHECK(j["MetaInformation"]["@CurrentPage"] == page);
    CHECK(j["Invoices"].size() == (page < 3 ? 500u : 200u));
    const auto& first = j["Invoices"][0];
    CHECK_FALSE(first.contains("InvoiceRows"));
    CHECK(first["CurrencyRate"] == "1");
    for (const auto& inv : j["Invoices"])
      seen.insert(inv["DocumentNumber"].get<std::string>());
  }
  CHECK(seen.size() == 1200);
  auto dflt = f.http->get("/fortnox/3/invoices", token).json();
  CHECK(dflt["Invoices"].size() == 100);
  CHECK(dflt["MetaInformation"]["@TotalPages"] == 12);
  CHECK(f.http->get("/fortnox/3/invoices?limit=501", token).status == 400);
}

TEST_CASE(
  "Fortnox invoice detail has rows whose totals add up with 25 percent VAT") {
  fixture f;
  auto token = f.tenant("fortnox", "acme", 5, 10)["access_token"];
  auto inv = f.http->get("/fortnox/3/invoices/3", token).json()["Invoice"];
  REQUIRE(inv["InvoiceRows"].size() >= 1);
  CHECK(inv["InvoiceRows"].size() <= 5);
  double net = 0;
  for (const auto& row : inv["InvoiceRows"])
    net += row["Total"].get<double>();
  CHECK(inv["Net"].get<double>() == Approx(net));
  CHECK(inv["TotalVAT"].get<double>() == Approx(net * 0.25).margin(0.05));
  CHECK(inv["Credit"] == "false");
  CHECK(inv["CurrencyRate"] == 1);
}

TEST_CASE("Visma pagination with pagesize 500 and the default of 50") {
  fixture f;
  auto token = f.tenant("visma", "nordic", 20, 1200)["access_token"];
  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    auto r = f.http->get("/visma/v2/customerinvoices?$pagesize=500&$page="
                           + std::to_string(page),
                         token);
    REQUIRE(r.status == 200);
    auto j = r.json();
    CHECK(j["Meta"]["TotalNumberOfResults"] == 1200);
    CHECK(j["Meta"]["TotalNumberOfPages"] == 3);
    CHECK(j["Meta"]["CurrentPage"] == page);
    CHECK(j["Meta"]["PageSize"] == 500);
    CHECK(j["Meta"].contains("ServerTimeUtc"));
    CHECK(j["Data"].size() == (page < 3 ? 500u : 200u));
    for (const auto& inv : j["Data"])
      seen.insert(inv["Id"].get<std::string>());
  }
  CHECK(seen.size() == 1200);
  auto dflt = f.http->get("/visma/v2/customers", token).json();
  CHECK(dflt["Data"].size() == 20);
  CHECK(dflt["Meta"]["PageSize"] == 50);
}

TEST_CASE(
  "Fortnox lastmodified sees only a record changed through the admin API") {
  fixture f;
  auto token = f.tenant("fortnox", "acme", 10, 30)["access_token"];
  auto cutoff = url_encode_space(format_stockholm_wall(utc_now()));
  auto before
    = f.http->get("/fortnox/3/invoices?lastmodified=" + cutoff, token);
  REQUIRE(before.status == 200);
  CHECK(before.json()["Invoices"].empty());
  auto put = f.http->send("PUT", "/sim/tenants/fortnox/acme/invoices/7",
                          {{"Comments", "changed behind your back"}});
  REQUIRE(put.status == 200);
  auto after
    = f.http->get("/fortnox/3/invoices?lastmodified=" + cutoff, token).json();
  REQUIRE(after["Invoices"].size() == 1);
  CHECK(after["Invoices"][0]["DocumentNumber"] == "7");
  CHECK(after["MetaInformation"]["@TotalResources"] == 1);
  CHECK(
    f.http->get("/fortnox/3/invoices/7", token).json()["Invoice"]["Comments"]
    == "changed behind your back");
}

TEST_CASE("Visma modifiedSinceUtc and ChangedUtc filter see admin changes") {
  fixture f;
  auto token = f.tenant("visma", "nordic", 10, 30)["access_token"];
  auto first = f.http->get("/visma/v2/customerinvoices", token).json();
  std::string since = first["Meta"]["ServerTimeUtc"];
  auto invoice_id = first["Data"][4]["Id"].get<std::string>();
  auto customer_id = f.http->get("/visma/v2/customers", token)
                       .json()["Data"][2]["Id"]
                       .get<std::string>();
  CHECK(
    f.http->get("/visma/v2/customerinvoices?modifiedSinceUtc=" + since, token)
      .json()["Data"]
      .empty());
  REQUIRE(f.http
            ->send("PUT", "/sim/tenants/visma/nordic/invoices/" + invoice_id,
                   {{"YourReference", "Kalle"}})
            .status
          == 200);
  REQUIRE(f.http
            ->send("PUT", "/sim/tenants/visma/nordic/customers/" + customer_id,
                   {{"Note", "x"}})
            .status
          == 200);
  auto inv
    = f.http->get("/visma/v2/customerinvoices?modifiedSinceUtc=" + since, token)
        .json();
  REQUIRE(inv["Data"].size() == 1);
  CHECK(inv["Data"][0]["Id"] == invoice_id);
  auto cust
    = f.http->get("/visma/v2/customers?$filter=ChangedUtc+gt+" + since, token)
        .json();
  REQUIRE(cust["Data"].size() == 1);
  CHECK(cust["Data"][0]["Id"] == customer_id);
}

TEST_CASE("Fortnox creates answer 201 with the full object") {
  fixture f;
  auto token = f.tenant("fortnox", "acme", 3, 0)["access_token"];
  auto c = f.http->send(
    "POST", "/fortnox/3/customers",
    {{"Customer", {{"Name", "Ny Kund AB"}, {"ExternalReference", "pg-1"}}}},
    token);
  REQUIRE(c.status == 201);
  auto customer = c.json()["Customer"];
  CHECK(customer["CustomerNumber"] == "4");
  CHECK(customer["ExternalReference"] == "pg-1");
  CHECK(customer["DefaultDeliveryTypes"]["Invoice"] == "PRINT");
  auto i = f.http->send("POST", "/fortnox/3/invoices",
                        {{"Invoice",
                          {{"CustomerNumber", "4"},
                           {"ExternalInvoiceReference1", "order-17"},
                           {"InvoiceRows",
                            {{{"ArticleNumber", "101"},
                              {"Description", "Konsulttimme"},
                              {"Price", 100},
                              {"DeliveredQuantity", "2"}}}}}}},
                        token);
  REQUIRE(i.status == 201);
  auto invoice = i.json()["Invoice"];
  CHECK(invoice["DocumentNumber"] == "1");
  CHECK(invoice["Total"] == 250);
  CHECK(invoice["TotalVAT"] == 50);
  CHECK(invoice["InvoiceRows"][0]["DeliveredQuantity"] == "2");
  CHECK(invoice["CustomerName"] == "Ny Kund AB");
  auto found
    = f.http->get("/fortnox/3/invoices?externalinvoicereference1=der-1", token)
        .json();
  CHECK(found["Invoices"].size() == 1);
  auto unknown
    = f.http->send("POST", "/fortnox/3/customers",
                   {{"Customer", {{"Name", "X"}, {"Bogus", 1}}}}, token);
  CHECK(unknown.status == 400);
}

TEST_CASE("Fortnox error shapes for 404, booked invoices and bad tokens") {
  fixture f;
  auto token = f.tenant("fortnox", "acme", 2, 2)["access_token"];
  auto c = f.http->get("/fortnox/3/customers/999", token);
  CHECK(c.status == 404);
  CHECK(c.json() == json::parse(R"({"ErrorInformation":{"Error":1,
    "Message":"Kan inte hitta kunden.","Code":2000433}})"));
  auto i = f.http->get("/fortnox/3/invoices/999", token);
  CHECK(i.status == 404);
  CHECK(i.json()["ErrorInformation"]["Code"] == 2000434);
  REQUIRE(
    f.http->send("PUT", "/fortnox/3/invoices/1/bookkeep", json::object(), token)
      .status
    == 200);
  auto locked = f.http->send("PUT", "/fortnox/3/invoices/1",
                             {{"Invoice", {{"Comments", "x"}}}}, token);
  CHECK(locked.status == 400);
  CHECK(locked.json()["ErrorInformation"].contains("code"));
  auto filter = f.http->get("/fortnox/3/invoices?filter=doesntexist", token);
  CHECK(filter.status == 400);
  CHECK(filter.json()["ErrorInformation"]["code"] == 2000587);
  auto bad = f.http->get("/fortnox/3/invoices", "nope");
  CHECK(bad.status == 401);
  CHECK(bad.json() == json{{"message", "unauthorized"}});
}

TEST_CASE("Visma v3 serves the renamed and added fields, v2 does not") {
  fixture f;
  auto token = f.tenant("visma", "nordic", 3, 0)["access_token"];
  auto v2 = f.http->get("/visma/v2/customers", token).json()["Data"][0];
  auto id = v2["Id"].get<std::string>();
  auto v3 = f.http->get("/visma/v3/customers/" + id, token).json();
  CHECK(v3["Email"] == v2["EmailAddress"]);
  CHECK_FALSE(v3.contains("EmailAddress"));
  CHECK(v3.contains("ExternalReference"));
  CHECK_FALSE(v2.contains("ExternalReference"));
  CHECK_FALSE(v2.contains("Email"));
  // A v3 body writes v3 names; the v2 names in it are ignored.
  auto put = f.http->send("PUT", "/visma/v3/customers/" + id,
                          {{"Email", "ny@example.se"},
                           {"EmailAddress", "old@example.se"},
                           {"ExternalReference", "local-1"}},
                          token);
  REQUIRE(put.status == 200);
  CHECK(put.json()["Email"] == "ny@example.se");
  auto now_v2 = f.http->get("/visma/v2/customers/" + id, token).json();
  CHECK(now_v2["EmailAddress"] == "ny@example.se");
  CHECK_FALSE(now_v2.contains("ExternalReference"));
  // A v2 body cannot write what only v3 has.
  f.http->send("PUT", "/visma/v2/customers/" + id,
               {{"ExternalReference", "from-v2"}}, token);
  CHECK(
    f.http->get("/visma/v3/customers/" + id, token).json()["ExternalReference"]
    == "local-1");
  // The v3 field is searchable in v3.
  auto found = f.http->get(
    "/visma/v3/customers?$filter=ExternalReference%20eq%20%27local-1%27",
    token);
  REQUIRE(found.json()["Data"].size() == 1);
  CHECK(found.json()["Data"][0]["Id"] == id);
  auto i = f.http->send(
    "POST", "/visma/v3/customerinvoices",
    {{"CustomerId", id},
     {"BuyerReference", "Anna"},
     {"Rows", {{{"Text", "Tjänst"}, {"UnitPrice", 100}, {"Quantity", 2}}}}},
    token);
  REQUIRE(i.status == 201);
  CHECK(i.json()["BuyerReference"] == "Anna");
  CHECK_FALSE(i.json().contains("YourReference"));
  auto iv2 = f.http->get(
    "/visma/v2/customerinvoices/" + i.json()["Id"].get<std::string>(), token);
  CHECK(iv2.json()["YourReference"] == "Anna");
  CHECK(f.http->get("/visma/v4/customers", token).status == 404);
}

TEST_CASE("Visma creates, validation and not-found envelopes") {
  fixture f;
  auto token = f.tenant("visma", "nordic", 1, 0)["access_token"];
  auto missing = f.http->send("POST", "/visma/v2/customers",
                              {{"InvoiceCity", "Umeå"}}, token);
  CHECK(missing.status == 400);
  auto err = missing.json();
  CHECK(err["ErrorCode"] == 2000);
  CHECK(err["Errors"][0]["Field"] == "Name");
  CHECK(err["ErrorId"].get<std::string>().size() == 36);
  auto no_terms
    = f.http->send("POST", "/visma/v2/customers",
                   {{"Name", "Ny Kund AB"}, {"InvoiceCity", "Umeå"}}, token);
  CHECK(no_terms.status == 400);
  CHECK(no_terms.json()["Errors"][0]["Field"] == "TermsOfPaymentId");
  auto c = f.http->send(
    "POST", "/visma/v2/customers",
    {{"Name", "Ny Kund AB"},
     {"InvoiceCity", "Umeå"},
     {"TermsOfPaymentId", "8f9a8f7b-5ea9-44c6-9725-9b8a1addb036"}},
    token);
  REQUIRE(c.status == 201);
  auto id = c.json()["Id"].get<std::string>();
  auto i = f.http->send(
    "POST", "/visma/v2/customerinvoices",
    {{"CustomerId", id},
     {"Rows", {{{"Text", "Tjänst"}, {"UnitPrice", 100}, {"Quantity", 2}}}}},
    token);
  REQUIRE(i.status == 201);
  CHECK(i.json()["TotalAmount"] == 250.0);
  CHECK(i.json()["CreatedUtc"] == i.json()["ModifiedUtc"]);
  auto none = f.http->get(
    "/visma/v2/customers/00000000-0000-4000-8000-000000000000", token);
  CHECK(none.status == 404);
  CHECK(none.json()["ErrorCode"] == 3000);
}

TEST_CASE("Fortnox rate limit admits exactly 25 of a burst of 30") {
  fixture f; // time scale 1: the 5 s window outlasts the burst
  auto token = f.tenant("fortnox", "acme", 1, 1)["access_token"];
  int ok = 0;
  int throttled = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = f.http->get("/fortnox/3/customers", token);
    if (r.status == 200)
      ++ok;
    if (r.status == 429) {
      ++throttled;
      CHECK(r.json() == json{{"message", "rate limit exceeded"}});
      CHECK(r.headers.count("Retry-After") == 0);
    }
  }
  CHECK(ok == 25);
  CHECK(throttled == 5);
  auto b = f.bucket("fortnox/cid/acme");
  CHECK(b["max_in_window"] == 25);
  CHECK(b["throttled"] == 5);
  CHECK(b["requests"] == 30);
  CHECK(f.stats()["throttled_total"] == 5);
}

TEST_CASE("Visma rate limit answers 4010 with a retry hint per endpoint") {
  fixture f;
  auto token = f.tenant("visma", "nordic", 1, 1)["access_token"];
  for (int i = 0; i < 600; ++i)
    REQUIRE(f.http->get("/visma/v2/customers?$pagesize=1", token).status
            == 200);
  auto r = f.http->get("/visma/v2/customers", token);
  REQUIRE(r.status == 429);
  auto body = r.json();
  CHECK(body["ErrorCode"] == 4010);
  std::smatch m;
  std::string msg = body["DeveloperErrorMessage"];
  REQUIRE(std::regex_match(
    msg, m,
    std::regex{"API calls quota exceeded! maximum admitted 600 per Minute\\. "
               "Try again in ([0-9]+) seconds\\."}));
  auto n = std::stoi(m[1]);
  CHECK(n >= 1);
  CHECK(n <= 60);
  // Another endpoint has its own budget.
  CHECK(f.http->get("/visma/v2/customerinvoices", token).status == 200);
  CHECK(f.bucket("visma/cid/customers")["max_in_window"] == 600);
}

TEST_CASE("Refresh tokens are single use and rotate") {
  fixture f;
  auto tokens = f.tenant("fortnox", "acme", 1, 1);
  std::string r1 = tokens["refresh_token"];
  auto refresh = [&](const std::string& token, const std::string& secret) {
    return f.http->request("POST", "/fortnox/oauth-v1/token",
                           "grant_type=refresh_token&refresh_token=" + token,
                           basic("cid", secret),
                           "application/x-www-form-urlencoded");
  };
  auto first = refresh(r1, "secret");
  REQUIRE(first.status == 200);
  std::string r2 = first.json()["refresh_token"];
  CHECK(r2 != r1);
  CHECK(first.json()["expires_in"] == 3600);
  auto reused = refresh(r1, "secret");
  CHECK(reused.status == 400);
  CHECK(reused.json()
        == json{{"error", "invalid_grant"},
                {"error_description", "Invalid refresh token"}});
  CHECK(refresh(r2, "wrong").status == 401);
  CHECK(refresh(r2, "wrong").json()["error"] == "invalid_client");
  auto second = refresh(r2, "secret");
  REQUIRE(second.status == 200);
  CHECK(f.stats()["refreshes"]["fortnox/acme"] == 2);
  // Expired tokens answer 401 until the client refreshes.
  std::string access = second.json()["access_token"];
  f.http->send("POST", "/sim/faults", {{"expire_tokens", true}});
  CHECK(f.http->get("/fortnox/3/customers", access).status == 401);
  auto third = refresh(second.json()["refresh_token"], "secret");
  CHECK(f.http->get("/fortnox/3/customers", third.json()["access_token"]).status
        == 200);
}

TEST_CASE("Fortnox client credentials need the TenantId header") {
  fixture f;
  auto tokens = f.tenant("fortnox", "acme", 1, 1);
  auto r = f.http->request(
    "POST", "/fortnox/oauth-v1/token", "grant_type=client_credentials",
    basic("cid", "secret"), "application/x-www-form-urlencoded");
  CHECK(r.status == 400);
}

TEST_CASE("WebSocket delivers each change once and replays after an offset") {
  fixture f;
  auto tokens = f.tenant("fortnox", "acme", 3, 3);
  std::string token = tokens["access_token"];
  int64_t tenant_id = tokens["tenant_id"];
  auto subscribe = [&](topics_client& ws, json topics) {
    auto added = ws.call({{"command", "add-tenants-v1"},
                          {"clientSecret", "secret"},
                          {"accessTokens", json::array({token, "bogus"})}});
    CHECK(added["result"] == "ok");
    CHECK(added["tenantIds"][token] == tenant_id);
    CHECK(added["invalidTokens"] == json::array({"bogus"}));
    auto topics_reply
      = ws.call({{"command", "add-topics-v1"}, {"topics", topics}});
    CHECK(topics_reply["invalidTopics"].empty());
    CHECK(ws.call({{"command", "subscribe-v1"}})
          == json{{"response", "subscribe-v1"}, {"result", "ok"}});
  };
  auto change = [&](const std::string& kind, const std::string& id) {
    REQUIRE(f.http
              ->send("PUT", "/sim/tenants/fortnox/acme/" + kind + "/" + id,
                     {{"Comments", "x"}})
              .status
            == 200);
  };
  std::string offset;
  {
    topics_client ws{f.sim.port()};
    subscribe(ws, {{{"topic", "invoices"}}, {{"topic", "customers"}}});
    change("invoices", "1");
    auto ev = ws.next();
    CHECK(ev["topic"] == "invoices");
    CHECK(ev["type"] == "invoice-updated-v1");
    CHECK(ev["entityId"] == "1");
    CHECK(ev["tenantId"] == tenant_id);
    offset = ev["offset"];
    // The next message is the next change: the first came exactly once.
    change("customers", "2");
    auto next = ws.next();
    CHECK(next["topic"] == "customers");
    CHECK(next["type"] == "customer-updated-v2");
  }
  change("invoices", "2");
  change("invoices", "3");
  topics_client ws{f.sim.port()};
  subscribe(ws, {{{"topic", "invoices"}, {"offset", offset}}});
  auto e2 = ws.next();
  CHECK(e2["entityId"] == "2");
  CHECK(e2["offset"].get<std::string>() > offset);
  CHECK(ws.next()["entityId"] == "3");
  auto created = f.http->send(
    "POST", "/fortnox/3/invoices",
    {{"Invoice", {{"CustomerNumber", "1"}, {"InvoiceRows", json::array()}}}},
    token);
  REQUIRE(created.status == 201);
  auto live = ws.next();
  CHECK(live["type"] == "invoice-created-v1");
  CHECK(live["entityId"] == "4");
}

TEST_CASE("Fault drop_response_after_create creates but never answers") {
  fixture f;
  auto token = f.tenant("fortnox", "acme", 2, 0)["access_token"];
  REQUIRE(f.http
            ->send("POST", "/sim/faults",
                   {{"drop_response_after_create", {{"count", 1}}}})
            .status
          == 200);
  auto r
    = f.http->try_request("POST", "/fortnox/3/customers",
                          json{{"Customer", {{"Name", "Okänd AB"}}}}.dump(),
                          "Bearer " + token.get<std::string>());
  CHECK_FALSE(r.has_value());
  auto all = f.http->get("/sim/tenants/fortnox/acme/customers").json();
  REQUIRE(all.size() == 3);
  CHECK(all[2]["data"]["Name"] == "Okänd AB");
  // The count is used up: the next create answers.
  CHECK(f.http
          ->send("POST", "/fortnox/3/customers",
                 {{"Customer", {{"Name", "B"}}}}, token)
          .status
        == 201);
}

TEST_CASE("Fault truncate cuts the body and error_burst answers 503") {
  fixture f;
  auto token = f.tenant("fortnox", "acme", 2, 2)["access_token"];
  f.http->send("POST", "/sim/faults",
               {{"truncate", {{"count", 1}}},
                {"error_burst", {{"status", 503}, {"count", 2}}}});
  CHECK(f.http->get("/fortnox/3/invoices/1", token).status == 503);
  CHECK(f.http->get("/fortnox/3/invoices/1", token).status == 503);
  CHECK_FALSE(f.http
                ->try_request("GET", "/fortnox/3/invoices/1", {},
                              "Bearer " + token.get<std::string>())
                .has_value());
  CHECK(f.http->get("/fortnox/3/invoices/1", token).status == 200);
  // The admin API is never faulted.
  f.http->send("POST", "/sim/faults", {{"reset", {{"count", 1}}}});
  CHECK(f.http->get("/sim/stats").status == 200);
}

TEST_CASE("Fault rename_field renames a key in Fortnox responses") {
  fixture f;
  auto token = f.tenant("fortnox", "acme", 2, 2)["access_token"];
  f.http->send("POST", "/sim/faults",
               {{"rename_field",
                 {{"provider", "fortnox"},
                  {"from", "CustomerName"},
                  {"to", "CustomerNameX"}}}});
  auto inv = f.http->get("/fortnox/3/invoices/1", token).json()["Invoice"];
  CHECK(inv.contains("CustomerNameX"));
  CHECK_FALSE(inv.contains("CustomerName"));
  f.http->send("POST", "/sim/faults", json::object());
  inv = f.http->get("/fortnox/3/invoices/1", token).json()["Invoice"];
  CHECK(inv.contains("CustomerName"));
}

TEST_CASE("Stockholm wall time follows EU summer time") {
  using namespace std::chrono;
  auto winter = parse_utc("2024-01-15T12:00:00Z");
  auto summer = parse_utc("2024-07-15T12:00:00Z");
  REQUIRE(winter);
  REQUIRE(summer);
  CHECK(format_stockholm_wall(*winter) == "2024-01-15 13:00:00");
  CHECK(format_http_date(*winter) == "Mon, 15 Jan 2024 12:00:00 GMT");
  CHECK(format_http_date(*parse_utc("2023-01-31T11:39:51.999Z"))
        == "Tue, 31 Jan 2023 11:39:51 GMT");
  CHECK(format_stockholm_wall(*summer) == "2024-07-15 14:00:00");
  CHECK(parse_stockholm_wall("2024-07-15 14:00:00") == summer);
  CHECK(parse_stockholm_wall("2024-01-15 13:00") == winter);
  // The autumn fold: 02:30 on 27 Oct 2024 is 00:30 and again 01:30 UTC.
  CHECK(parse_stockholm_wall("2024-10-27 02:30:00")
        == parse_utc("2024-10-27T00:30:00Z"));
  CHECK(parse_stockholm_wall("2024-10-27 02:30:00", true)
        == parse_utc("2024-10-27T01:30:00Z"));
  CHECK(parse_stockholm_wall("2024-10-27 03:00:00", true)
        == parse_utc("2024-10-27T02:00:00Z"));
  CHECK(parse_stockholm_wall("2024-07-15 14:00:00", true) == summer);
  CHECK(parse_stockholm_wall("2024-01-15 13:00", true) == winter);
  // Switches at 01:00 UTC on the last Sundays of March and October.
  CHECK_FALSE(stockholm_dst(*parse_utc("2024-03-31T00:59:59Z")));
  CHECK(stockholm_dst(*parse_utc("2024-03-31T01:00:00Z")));
  CHECK(stockholm_dst(*parse_utc("2024-10-27T00:59:59Z")));
  CHECK_FALSE(stockholm_dst(*parse_utc("2024-10-27T01:00:00Z")));
  CHECK(format_stockholm_iso(*parse_utc("2017-12-28T13:59:16.500Z"))
        == "2017-12-28T14:59:16.500+01:00");
}

TEST_CASE("Fault websocket_disconnect drops subscribers") {
  fixture f;
  auto tokens = f.tenant("fortnox", "acme", 1, 1);
  topics_client ws{f.sim.port()};
  ws.call({{"command", "add-tenants-v1"},
           {"clientSecret", "secret"},
           {"accessTokens", json::array({tokens["access_token"]})}});
  ws.call({{"command", "subscribe-v1"}});
  f.http->send("POST", "/sim/faults", {{"websocket_disconnect", true}});
  CHECK_THROWS(ws.next());
}

TEST_CASE("Fault latency delays API responses") {
  fixture f;
  auto token = f.tenant("fortnox", "acme", 1, 1)["access_token"];
  f.http->send("POST", "/sim/faults",
               {{"latency_ms", {{"min", 50}, {"max", 60}}}});
  auto start = std::chrono::steady_clock::now();
  CHECK(f.http->get("/fortnox/3/customers", token).status == 200);
  CHECK(std::chrono::steady_clock::now() - start
        >= std::chrono::milliseconds{50});
}

TEST_CASE("Visma $filter eq on a text field finds records by reference") {
  fixture f;
  auto token = f.tenant("visma", "nordic", 0, 0)["access_token"];
  auto c = f.http->send(
    "POST", "/visma/v2/customers",
    {{"Name", "Ref AB"},
     {"Note", "local-it's-7"},
     {"TermsOfPaymentId", "8f9a8f7b-5ea9-44c6-9725-9b8a1addb036"}},
    token);
  REQUIRE(c.status == 201);
  auto hit = f.http->get("/visma/v2/customers?$filter=Note%20eq%20"
                         "'local-it''s-7'",
                         token);
  REQUIRE(hit.status == 200);
  CHECK(hit.json()["Data"].size() == 1);
  auto miss = f.http->get(
    "/visma/v2/customers?$filter=Note%20eq%20'local-it''s-8'", token);
  REQUIRE(miss.status == 200);
  CHECK(miss.json()["Data"].empty());
}

TEST_CASE("a body with wrong JSON types gets the provider's 400") {
  fixture f;
  auto token = f.tenant("visma", "nordic", 1, 0)["access_token"];
  auto bad = f.http->send("POST", "/visma/v2/customerinvoices",
                          {{"CustomerId", 5}, {"Rows", json::array()}}, token);
  CHECK(bad.status == 400);
  CHECK(bad.json()["ErrorCode"] == 2000);
  // The simulator is still serving.
  CHECK(f.http->get("/visma/v2/customers", token).status == 200);
}

TEST_CASE("Fortnox credit refuses unbooked, cancelled and credited invoices") {
  fixture f;
  std::string token = f.tenant("fortnox", "acme", 2, 0)["access_token"];
  auto inv = fortnox_invoice(f, token, "order-9");
  CHECK(inv["Credit"] == "false");
  CHECK(inv["CreditInvoiceReference"] == "0");
  auto unbooked = put_action(f, token, "1", "credit", 400);
  CHECK(
    unbooked
    == fortnox::error(
      2000066, "Fakturan måste vara bokförd för att kunna krediteras.", false));
  fortnox_invoice(f, token, "order-10");
  put_action(f, token, "2", "cancel", 200);
  CHECK(put_action(f, token, "2", "credit", 400)["ErrorInformation"]["code"]
        == 2000065);
  put_action(f, token, "1", "bookkeep", 200);
  put_action(f, token, "1", "credit", 200);
  auto again = put_action(f, token, "1", "credit", 400);
  CHECK(again
        == fortnox::error(2000067, "Fakturan är redan krediterad.", false));
  CHECK(f.http->get("/fortnox/3/invoices/1/credit", token).status == 405);
  // No credit invoice came of the refusals: 1, 2 and the one credit.
  CHECK(f.http->get("/fortnox/3/invoices", token)
          .json()["MetaInformation"]["@TotalResources"]
        == 3);
}

TEST_CASE("Fortnox credit of a booked invoice negates its rows and totals") {
  fixture f;
  auto tokens = f.tenant("fortnox", "acme", 2, 0);
  std::string token = tokens["access_token"];
  auto original = fortnox_invoice(f, token, "order-9");
  put_action(f, token, "1", "bookkeep", 200);
  topics_client ws{f.sim.port()};
  ws.call({{"command", "add-tenants-v1"},
           {"clientSecret", "secret"},
           {"accessTokens", json::array({token})}});
  ws.call(
    {{"command", "add-topics-v1"}, {"topics", {{{"topic", "invoices"}}}}});
  ws.call({{"command", "subscribe-v1"}});
  auto before = utc_now();
  auto answer = put_action(f, token, "1", "credit", 200)["Invoice"];
  // The answer is the original, now referring to its credit.
  CHECK(answer["DocumentNumber"] == "1");
  CHECK(answer["CreditInvoiceReference"] == "2");
  CHECK(answer["Booked"] == true);
  CHECK(answer["Credit"] == "false");
  CHECK(answer["@url"].get<std::string>().ends_with("/fortnox/3/invoices/1"));
  auto created = ws.next();
  CHECK(created["type"] == "invoice-created-v1");
  CHECK(created["entityId"] == "2");
  auto updated = ws.next();
  CHECK(updated["type"] == "invoice-updated-v1");
  CHECK(updated["entityId"] == "1");
  auto credit = f.http->get("/fortnox/3/invoices/2", token).json()["Invoice"];
  CHECK(credit["Credit"] == "true");
  CHECK(credit["InvoiceReference"] == "1");
  CHECK(credit["CreditInvoiceReference"] == "0");
  CHECK(credit["Booked"] == false);
  CHECK(credit["Cancelled"] == false);
  CHECK(credit["ExternalInvoiceReference1"] == "order-9");
  CHECK(credit["CustomerNumber"] == original["CustomerNumber"]);
  REQUIRE(credit["InvoiceRows"].size() == 2);
  CHECK(credit["InvoiceRows"][0]["DeliveredQuantity"] == "-2");
  CHECK(credit["InvoiceRows"][1]["DeliveredQuantity"] == "-3");
  CHECK(credit["InvoiceRows"][1]["Description"] == "Bok");
  CHECK(credit["InvoiceRows"][0]["RowId"]
        != original["InvoiceRows"][0]["RowId"]);
  for (const char* k : {"Net", "TotalVAT", "Total", "Balance"})
    CHECK(credit[k].get<double>() == Approx(-original[k].get<double>()));
  // 2 x 100 at 25 % and 3 x 33.33 at 12 %: 299.99 + 62 VAT.
  CHECK(credit["Total"].get<double>() == Approx(-361.99));
  // Both records count as modified, and creates number after the credit.
  for (const char* n : {"1", "2"}) {
    auto rec
      = f.http->get(std::string{"/sim/tenants/fortnox/acme/invoices/"} + n)
          .json();
    CHECK(*parse_utc(rec["modified_utc"].get<std::string>()) >= before);
  }
  CHECK(fortnox_invoice(f, token, "order-11")["DocumentNumber"] == "3");
}

TEST_CASE("Fortnox switch credit_copies_reference leaves the reference out") {
  fixture f;
  std::string token = f.tenant("fortnox", "acme", 1, 0)["access_token"];
  auto set
    = f.http->send("POST", "/sim/faults", {{"credit_copies_reference", false}});
  REQUIRE(set.status == 200);
  CHECK(set.json() == json{{"credit_copies_reference", false}});
  fortnox_invoice(f, token, "order-9");
  put_action(f, token, "1", "bookkeep", 200);
  put_action(f, token, "1", "credit", 200);
  auto credit = f.http->get("/fortnox/3/invoices/2", token).json()["Invoice"];
  CHECK(credit["ExternalInvoiceReference1"] == "");
  CHECK(credit["InvoiceReference"] == "1");
  // An empty fault set restores the default: the credit copies it.
  CHECK(f.http->send("POST", "/sim/faults", json::object()).json()
        == json::object());
  fortnox_invoice(f, token, "order-10");
  put_action(f, token, "3", "bookkeep", 200);
  put_action(f, token, "3", "credit", 200);
  CHECK(f.http->get("/fortnox/3/invoices/4", token)
          .json()["Invoice"]["ExternalInvoiceReference1"]
        == "order-10");
  CHECK(
    f.http->send("POST", "/sim/faults", {{"credit_copies_reference", 3}}).status
    == 400);
}

TEST_CASE("Fortnox credit_copies_reference from the start options stays") {
  sim_options opts;
  // --credit-copies-reference false
  REQUIRE(opts.quirks.set("fortnox.credit_copies_reference", "false").empty());
  fixture f{opts};
  std::string token = f.tenant("fortnox", "acme", 1, 0)["access_token"];
  CHECK(f.http->get("/sim/faults").json()
        == json{{"credit_copies_reference", false}});
  // Another fault set does not bring the default back.
  f.http->send("POST", "/sim/faults", {{"round_totals", true}});
  fortnox_invoice(f, token, "order-9");
  put_action(f, token, "1", "bookkeep", 200);
  put_action(f, token, "1", "credit", 200);
  auto credit = f.http->get("/fortnox/3/invoices/2", token).json()["Invoice"];
  CHECK(credit["ExternalInvoiceReference1"] == "");
  // Rounded like the original: 361.99 to 362, so they cancel out exactly.
  CHECK(credit["Total"] == -362);
  CHECK(f.http->get("/fortnox/3/invoices/1", token).json()["Invoice"]["Total"]
        == 362);
}

TEST_CASE("Fortnox externalprint marks booked and unbooked invoices sent") {
  fixture f;
  std::string token = f.tenant("fortnox", "acme", 1, 0)["access_token"];
  fortnox_invoice(f, token, "a");
  fortnox_invoice(f, token, "b");
  fortnox_invoice(f, token, "c");
  CHECK(put_action(f, token, "1", "externalprint", 200)["Invoice"]["Sent"]
        == true);
  put_action(f, token, "2", "bookkeep", 200);
  CHECK(put_action(f, token, "2", "externalprint", 200)["Invoice"]["Sent"]
        == true);
  put_action(f, token, "3", "cancel", 200);
  CHECK(
    put_action(f, token, "3", "externalprint", 400)["ErrorInformation"]["code"]
    == 2000065);
  auto list = f.http->get("/fortnox/3/invoices", token).json()["Invoices"];
  REQUIRE(list.size() == 3);
  CHECK(list[0]["Sent"] == true);
  CHECK(list[1]["Sent"] == true);
  CHECK(list[2]["Sent"] == false);
  CHECK(f.http
          ->send("POST", "/fortnox/3/invoices/1/externalprint", json::object(),
                 token)
          .status
        == 405);
}

TEST_CASE("Visma drafts are created, read, listed, updated and deleted") {
  fixture f;
  std::string token = f.tenant("visma", "nordic", 2, 0)["access_token"];
  auto customer = visma_customer(f, token);
  const std::string drafts = "/visma/v2/customerinvoicedrafts";
  auto no_customer
    = f.http->send("POST", drafts, {{"Rows", json::array()}}, token);
  CHECK(no_customer.status == 400);
  CHECK(no_customer.json()["Errors"][0]["Field"] == "CustomerId");
  auto no_rows
    = f.http->send("POST", drafts, {{"CustomerId", customer}}, token);
  CHECK(no_rows.status == 400);
  CHECK(no_rows.json()["Errors"][0]["Field"] == "Rows");
  auto draft = visma_draft(f, token, "local-1");
  std::string id = draft["Id"];
  CHECK(id.size() == 36);
  CHECK_FALSE(draft.contains("InvoiceNumber"));
  CHECK(draft["TotalAmount"] == 300.0);
  CHECK(draft["TotalVatAmount"] == 50.0);
  CHECK(draft["CreatedUtc"] == draft["ModifiedUtc"]);
  CHECK(draft["Rows"][1]["LineNumber"] == 2);
  CHECK(f.http->get(drafts + "/" + id, token).json() == draft);
  auto all = f.http->get(drafts + "?$pagesize=10", token).json();
  CHECK(all["Meta"]["TotalNumberOfResults"] == 1);
  CHECK(all["Meta"]["PageSize"] == 10);
  CHECK(all["Data"][0]["Id"] == id);
  // Drafts are no customer invoices.
  CHECK(
    f.http->get("/visma/v2/customerinvoices", token).json()["Data"].empty());
  auto before = format_utc(utc_now(), true);
  auto body = draft_body(customer, "local-1");
  body["Rows"] = {{{"Text", "Tjänst"}, {"UnitPrice", 100}, {"Quantity", 4}}};
  body["YourReference"] = "Kalle";
  body["InvoiceNumber"] = 99;
  auto put = f.http->send("PUT", drafts + "/" + id, body, token);
  REQUIRE(put.status == 200);
  CHECK(put.json()["TotalAmount"] == 500.0);
  CHECK(put.json()["YourReference"] == "Kalle");
  CHECK(put.json()["Rows"].size() == 1);
  CHECK_FALSE(put.json().contains("InvoiceNumber"));
  CHECK(put.json()["CreatedUtc"] == draft["CreatedUtc"]);
  CHECK(put.json()["ModifiedUtc"].get<std::string>() >= before);
  auto since
    = f.http->get(drafts + "?$filter=ModifiedUtc%20ge%20" + before, token);
  CHECK(since.json()["Data"].size() == 1);
  CHECK(f.http->send("PUT", drafts + "/" + id, {{"Rows", "x"}}, token).status
        == 400);
  CHECK(f.http->send("PATCH", drafts + "/" + id, body, token).status == 405);
  auto del
    = f.http->request("DELETE", drafts + "/" + id, {}, "Bearer " + token);
  CHECK(del.status == 204);
  CHECK(del.body.empty());
  auto gone = f.http->get(drafts + "/" + id, token);
  CHECK(gone.status == 404);
  CHECK(gone.json()["ErrorCode"] == 3000);
  CHECK(
    f.http->request("DELETE", drafts + "/" + id, {}, "Bearer " + token).status
    == 404);
}

TEST_CASE("Visma draft searches filter by reference, loosely under the fault") {
  fixture f;
  std::string token = f.tenant("visma", "nordic", 1, 0)["access_token"];
  visma_draft(f, token, "local-17");
  const std::string q
    = "/visma/v2/customerinvoicedrafts?$filter=ElectronicReference%20eq%20";
  CHECK(f.http->get(q + "'local-17'", token).json()["Data"].size() == 1);
  CHECK(f.http->get(q + "'LOCAL-1'", token).json()["Data"].empty());
  f.http->send("POST", "/sim/faults", {{"loose_search", true}});
  CHECK(f.http->get(q + "'LOCAL-1'", token).json()["Data"].size() == 1);
  f.http->send("POST", "/sim/faults", {{"search_lag_ms", 60000}});
  CHECK(f.http->get(q + "'local-17'", token).json()["Data"].empty());
  CHECK(
    f.http->get("/visma/v2/customerinvoicedrafts", token).json()["Data"].size()
    == 1);
}

TEST_CASE("Visma draft convert makes a customer invoice and drops the draft") {
  fixture f;
  std::string token = f.tenant("visma", "nordic", 1, 3)["access_token"];
  auto draft = visma_draft(f, token, "local-1");
  std::string id = draft["Id"];
  const std::string path = "/visma/v2/customerinvoicedrafts/" + id;
  CHECK(f.http->get(path + "/convert", token).status == 405);
  auto r = f.http->send("POST", path + "/convert", json::object(), token);
  REQUIRE(r.status == 200);
  auto inv = r.json();
  CHECK(inv["Id"] != id);
  CHECK(inv["InvoiceNumber"] == 4); // after the three seeded invoices
  CHECK(inv["ElectronicReference"] == "local-1");
  CHECK(inv["TotalAmount"] == 300.0);
  CHECK(inv["TotalVatAmount"] == 50.0);
  CHECK(inv["RemainingAmount"] == 300.0);
  CHECK(inv["Rows"] == draft["Rows"]);
  CHECK(inv["CustomerId"] == draft["CustomerId"]);
  CHECK(inv["CreatedUtc"] == inv["ModifiedUtc"]);
  CHECK(inv["CreatedUtc"].get<std::string>()
        >= draft["CreatedUtc"].get<std::string>());
  CHECK(f.http->get(path, token).status == 404);
  CHECK(f.http->send("POST", path + "/convert", json::object(), token).status
        == 404);
  auto got = f.http->get(
    "/visma/v2/customerinvoices/" + inv["Id"].get<std::string>(), token);
  CHECK(got.json() == inv);
  // Real Visma has no update of a customer invoice.
  CHECK(f.http
          ->send("PUT",
                 "/visma/v2/customerinvoices/" + inv["Id"].get<std::string>(),
                 inv, token)
          .status
        == 405);
}

TEST_CASE("Visma drafts get the round_totals fault and keep it on convert") {
  fixture f;
  std::string token = f.tenant("visma", "nordic", 1, 0)["access_token"];
  f.http->send("POST", "/sim/faults", {{"round_totals", true}});
  auto r = f.http->send(
    "POST", "/visma/v2/customerinvoicedrafts",
    {{"CustomerId", visma_customer(f, token)},
     {"Rows", {{{"Text", "Bok"}, {"UnitPrice", 33.33}, {"Quantity", 1}}}}},
    token);
  REQUIRE(r.status == 201);
  CHECK(r.json()["TotalAmount"] == 42.0); // 41.66 rounded
  CHECK(r.json()["TotalRoundings"].get<double>() == Approx(0.34));
  CHECK(r.json()["TotalVatAmount"].get<double>() == Approx(8.33));
  CHECK_FALSE(r.json().contains("RemainingAmount"));
  auto inv = f.http
               ->send("POST",
                      "/visma/v2/customerinvoicedrafts/"
                        + r.json()["Id"].get<std::string>() + "/convert",
                      json::object(), token)
               .json();
  CHECK(inv["TotalAmount"] == 42.0);
  CHECK(inv["RemainingAmount"] == 42.0);
}

TEST_CASE("Faults and rate limits apply to Visma draft routes") {
  fixture f;
  std::string token = f.tenant("visma", "nordic", 1, 0)["access_token"];
  auto bearer = "Bearer " + token;
  auto customer = visma_customer(f, token);
  const std::string drafts = "/visma/v2/customerinvoicedrafts";
  auto admin_drafts = [&] {
    return f.http->get("/sim/tenants/visma/nordic/drafts").json();
  };
  // A create whose answer is lost, then two drafts made in the UI.
  f.http->send(
    "POST", "/sim/faults",
    {{"drop_response_after_create", {{"count", 1}, {"foreign_creates", 2}}}});
  CHECK_FALSE(f.http
                ->try_request("POST", drafts,
                              draft_body(customer, "local-5").dump(), bearer)
                .has_value());
  auto all = admin_drafts();
  REQUIRE(all.size() == 3);
  CHECK(all[0]["data"]["ElectronicReference"] == "local-5");
  CHECK(all[2]["data"]["ElectronicReference"] == "local-5 (kopia)");
  std::string id = all[0]["id"];
  // A write whose answer is lost still happened: update, then convert.
  f.http->send("POST", "/sim/faults",
               {{"drop_response_after_write", {{"count", 2}}}});
  auto body = draft_body(customer, "local-5");
  body["YourReference"] = "Kalle";
  CHECK_FALSE(f.http->try_request("PUT", drafts + "/" + id, body.dump(), bearer)
                .has_value());
  CHECK(f.http->get(drafts + "/" + id, token).json()["YourReference"]
        == "Kalle");
  CHECK_FALSE(
    f.http->try_request("POST", drafts + "/" + id + "/convert", "{}", bearer)
      .has_value());
  CHECK(f.http->get(drafts + "/" + id, token).status == 404);
  auto invoices = f.http->get("/visma/v2/customerinvoices", token).json();
  REQUIRE(invoices["Data"].size() == 1);
  CHECK(invoices["Data"][0]["YourReference"] == "Kalle");
  // Faults narrowed to a method hit draft requests of that method.
  f.http->send("POST", "/sim/faults",
               {{"reset", {{"count", 1}, {"method", "POST"}}},
                {"error_burst", {{"count", 1}, {"method", "DELETE"}}}});
  CHECK(f.http->get(drafts, token).status == 200);
  CHECK_FALSE(f.http
                ->try_request("POST", drafts,
                              draft_body(customer, "local-6").dump(), bearer)
                .has_value());
  CHECK(admin_drafts().size() == 2);
  std::string other = admin_drafts()[0]["id"];
  CHECK(f.http->request("DELETE", drafts + "/" + other, {}, bearer).status
        == 503);
  CHECK(f.http->get(drafts + "/" + other, token).status == 200);
  // Drafts have their own rate-limit bucket.
  auto drafts_bucket = f.bucket("visma/cid/customerinvoicedrafts");
  auto invoices_bucket = f.bucket("visma/cid/customerinvoices");
  CHECK(drafts_bucket["requests"] == 9);
  CHECK(invoices_bucket["requests"] == 1);
}

TEST_CASE("Admin API lists, patches and deletes Visma drafts") {
  fixture f;
  std::string token = f.tenant("visma", "nordic", 1, 2)["access_token"];
  f.tenant("fortnox", "acme", 1, 1);
  auto draft = visma_draft(f, token, "local-1");
  std::string id = draft["Id"];
  const std::string admin = "/sim/tenants/visma/nordic/drafts";
  auto summary = [&] {
    for (const auto& t : f.http->get("/sim/tenants").json())
      if (t["provider"] == "visma")
        return t;
    FAIL("no Visma tenant");
    return json{};
  };
  CHECK(summary()["drafts"] == 1);
  CHECK(summary()["invoices"] == 2);
  auto list = f.http->get(admin).json();
  REQUIRE(list.size() == 1);
  CHECK(list[0]["id"] == id);
  CHECK(list[0]["data"] == draft);
  CHECK(f.http->get(admin + "/" + id).json()["data"]["TotalAmount"] == 300.0);
  for (const char* method : {"PATCH", "PUT"}) {
    auto r = f.http->send(method, admin + "/" + id,
                          {{"YourReference", method},
                           {"Rows", {{{"UnitPrice", 10}, {"Quantity", 1}}}}});
    REQUIRE(r.status == 200);
    CHECK(r.json()["data"]["TotalAmount"] == 12.5);
    CHECK(r.json()["data"]["ModifiedUtc"] == r.json()["modified_utc"]);
    CHECK_FALSE(r.json()["data"].contains("RemainingAmount"));
    CHECK(f.http->get("/visma/v2/customerinvoicedrafts/" + id, token)
            .json()["YourReference"]
          == method);
  }
  CHECK(f.http->request("DELETE", admin + "/" + id).status == 204);
  CHECK(f.http->get(admin + "/" + id).status == 404);
  CHECK(summary()["drafts"] == 0);
  CHECK(f.http->get("/sim/tenants/fortnox/acme/drafts").status == 404);
}

// -- quirks: the behaviours provider-facts.md does not know ------------------

namespace {

fixture quirky(std::initializer_list<std::string_view> assignments) {
  sim_options opts;
  for (auto a : assignments)
    REQUIRE(opts.quirks.set(a).empty());
  return fixture{opts};
}

} // namespace

TEST_CASE("quirk: Fortnox clamps a limit above its maximum or refuses it") {
  auto f = quirky({"fortnox.max_limit=100", "fortnox.over_limit=clamp"});
  auto token = f.tenant("fortnox", "acme", 150, 0)["access_token"];
  auto page = f.http->get("/fortnox/3/customers?limit=500", token).json();
  CHECK(page["Customers"].size() == 100);
  CHECK(page["MetaInformation"]["@TotalPages"] == 2);
  auto g = quirky({"fortnox.over_limit=refuse"}); // the default
  token = g.tenant("fortnox", "acme", 150, 0)["access_token"];
  CHECK(g.http->get("/fortnox/3/customers?limit=500", token)
          .json()["Customers"]
          .size()
        == 150);
  CHECK(g.http->get("/fortnox/3/customers?limit=501", token).status == 400);
}

TEST_CASE("quirk: a Fortnox page past the end is empty or 404") {
  fixture f;
  auto token = f.tenant("fortnox", "acme", 5, 0)["access_token"];
  auto empty = f.http->get("/fortnox/3/customers?page=2", token);
  CHECK(empty.status == 200);
  CHECK(empty.json()["Customers"].empty());
  auto g = quirky({"fortnox.page_past_end=404"});
  token = g.tenant("fortnox", "acme", 5, 0)["access_token"];
  CHECK(g.http->get("/fortnox/3/customers?page=1", token).status == 200);
  CHECK(g.http->get("/fortnox/3/customers?page=2", token).status == 404);
}

TEST_CASE("quirk: the Fortnox lastmodified boundary and its seconds") {
  for (auto boundary : {"inclusive", "exclusive"})
    for (auto seconds : {"honoured", "ignored"}) {
      auto f = quirky({std::string{"fortnox.lastmodified_boundary="} + boundary,
                       std::string{"fortnox.lastmodified_seconds="} + seconds});
      auto token = f.tenant("fortnox", "acme", 3, 0)["access_token"];
      auto put = f.http->send("PUT", "/sim/tenants/fortnox/acme/customers/2",
                              {{"City", "Lund"}});
      REQUIRE(put.status == 200);
      // The record's own second, and the last second of its minute.
      std::string at = put.json()["modified_stockholm"];
      REQUIRE(at.size() == 19);
      auto last = at.substr(0, 17) + "59";
      auto listed = [&](const std::string& since) {
        return f.http
          ->get("/fortnox/3/customers?lastmodified=" + url_encode_space(since),
                token)
          .json()["Customers"]
          .size();
      };
      INFO(boundary << " " << seconds << " at " << at);
      bool inclusive = std::string{boundary} == "inclusive";
      bool honoured = std::string{seconds} == "honoured";
      // Ignored seconds start the filter at the minute: a record of the
      // minute's first second is then exactly at the boundary.
      bool first_second = at.substr(17) == "00";
      bool in_minute = inclusive || !first_second;
      CHECK(listed(at) == (inclusive || (!honoured && in_minute) ? 1u : 0u));
      if (at != last)
        CHECK(listed(last) == (!honoured && in_minute ? 1u : 0u));
    }
}

TEST_CASE("quirk: latency delays the provider's count of a request or only "
          "its answer") {
  // The provider counts a request against its limit when it arrives: with
  // latency on the way there, that is after the client sent it.
  for (auto side : {"answer", "request"}) {
    auto f = quirky({std::string{"latency_side="} + side});
    auto token = f.tenant("fortnox", "acme", 3, 0)["access_token"];
    REQUIRE(f.http
              ->send("POST", "/sim/faults",
                     {{"latency_ms", {{"min", 800}, {"max", 800}}}})
              .status
            == 200);
    std::thread slow{[&f, token] {
      client c{f.sim.port()};
      CHECK(c.get("/fortnox/3/customers", token).status == 200);
    }};
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    auto counted_early = f.stats()["requests_total"].get<int>();
    slow.join();
    INFO(side);
    CHECK(counted_early == (std::string{side} == "answer" ? 1 : 0));
    CHECK(f.stats()["requests_total"] == 1);
  }
  // Split: a share of each, the whole latency in all.
  auto f = quirky({"latency_side=split"});
  auto token = f.tenant("fortnox", "acme", 3, 0)["access_token"];
  f.http->send("POST", "/sim/faults",
               {{"latency_ms", {{"min", 100}, {"max", 100}}}});
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    CHECK(f.http->get("/fortnox/3/customers", token).status == 200);
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took >= std::chrono::milliseconds{100});
  }
}

TEST_CASE("quirk: Visma clamps $pagesize to its maximum") {
  auto f = quirky({"visma.max_pagesize=100"});
  auto token = f.tenant("visma", "nordic", 250, 0)["access_token"];
  auto page = f.http->get("/visma/v2/customers?$pagesize=500", token).json();
  CHECK(page["Data"].size() == 100);
  CHECK(page["Meta"]["PageSize"] == 100);
  CHECK(page["Meta"]["TotalNumberOfPages"] == 3);
}

TEST_CASE("quirk: a Visma 429 without the retry hint") {
  auto f = quirky({"visma.throttle_body=bare"});
  auto token = f.tenant("visma", "nordic", 1, 1)["access_token"];
  for (int i = 0; i < 600; ++i)
    REQUIRE(f.http->get("/visma/v2/customers?$pagesize=1", token).status
            == 200);
  auto r = f.http->get("/visma/v2/customers", token);
  REQUIRE(r.status == 429);
  CHECK(r.json()["ErrorCode"] == 4010);
  CHECK(r.json()["DeveloperErrorMessage"].get<std::string>().find("Try again")
        == std::string::npos);
}

TEST_CASE("quirk: Visma eq filters match substrings, and searches lag") {
  auto f = quirky({"visma.filter_match=substring", "search_lag_ms=60000"});
  auto token = f.tenant("visma", "nordic", 0, 0)["access_token"];
  auto made = f.http->send(
    "POST", "/visma/v2/customers",
    {{"Name", "Kvarn AB"},
     {"Note", "local-12"},
     {"IsPrivatePerson", false},
     {"InvoiceCity", "Lund"},
     {"InvoicePostalCode", "22100"},
     {"TermsOfPaymentId", "8f9a8f7b-5ea9-44c6-9725-9b8a1addb036"}},
    token);
  REQUIRE(made.status == 201);
  auto filter = url_encode_space("Note eq 'local-1'");
  // Created just now: the lagging search does not show it yet.
  CHECK(f.http->get("/visma/v2/customers?$filter=" + filter, token)
          .json()["Data"]
          .empty());
  REQUIRE(f.http->send("POST", "/sim/quirks", {{"search_lag_ms", "0"}}).status
          == 200);
  CHECK(f.http->get("/visma/v2/customers?$filter=" + filter, token)
          .json()["Data"]
          .size()
        == 1);
  REQUIRE(f.http->send("POST", "/sim/quirks", {{"visma.filter_match", "exact"}})
            .status
          == 200);
  CHECK(f.http->get("/visma/v2/customers?$filter=" + filter, token)
          .json()["Data"]
          .empty());
}

TEST_CASE("quirks: profiles, run-time changes and clear errors") {
  fixture f;
  auto q = f.http->get("/sim/quirks").json();
  CHECK(q["fortnox.page_past_end"] == "empty");
  auto set = f.http->send("POST", "/sim/quirks", {{"profile", "adversarial"}});
  REQUIRE(set.status == 200);
  for (const auto& d : quirk_defs())
    CHECK(set.json()[std::string{d.name}] == std::string{d.adversarial});
  auto bad = f.http->send("POST", "/sim/quirks", {{"fortnox.max_limt", "1"}});
  CHECK(bad.status == 400);
  CHECK(bad.body.find("fortnox.max_limit") != std::string::npos);
  auto value
    = f.http->send("POST", "/sim/quirks", {{"fortnox.max_limit", "7"}});
  CHECK(value.status == 400);
  CHECK(value.body.find("500, 100") != std::string::npos);
  // Nothing changed by the refused ones.
  CHECK(f.http->get("/sim/quirks").json()["fortnox.max_limit"] == "100");
  CHECK_FALSE(quirk_set::profile("hostile"));
}

TEST_CASE("quirk: the provider's clock runs off true time") {
  using namespace std::chrono;
  auto f = quirky({"clock_offset_s=-300"});
  auto near = [](sys_ms a, sys_ms b) {
    return a - b < 3s && b - a < 3s;
  };
  auto provider_now = utc_now() - 300s;
  SECTION("Fortnox: Date, record times and lastmodified") {
    auto token = f.tenant("fortnox", "acme", 3, 0)["access_token"];
    auto r = f.http->get("/fortnox/3/customers", token);
    REQUIRE(r.status == 200);
    bool date_matches = false;
    for (auto d = -2; d <= 2; ++d)
      date_matches
        = date_matches
          || r.headers["Date"] == format_http_date(provider_now + seconds{d});
    INFO(r.headers["Date"]);
    CHECK(date_matches);
    auto put = f.http->send("PUT", "/sim/tenants/fortnox/acme/customers/2",
                            {{"City", "Lund"}});
    REQUIRE(put.status == 200);
    auto modified = parse_utc(put.json()["modified_utc"].get<std::string>());
    REQUIRE(modified);
    CHECK(near(*modified, provider_now));
    // A bound a minute back in true time is in the provider's future.
    auto listed = [&](sys_ms since) {
      auto wall = format_stockholm_wall(since);
      return f.http
        ->get("/fortnox/3/customers?lastmodified=" + url_encode_space(wall),
              token)
        .json()["Customers"]
        .size();
    };
    CHECK(listed(utc_now() - 60s) == 0);
    CHECK(listed(provider_now - 60s) == 1);
  }
  SECTION("Visma: Meta.ServerTimeUtc and ChangedUtc") {
    auto token = f.tenant("visma", "nordic", 2, 0)["access_token"];
    auto page = f.http->get("/visma/v2/customers", token).json();
    auto server = parse_utc(page["Meta"]["ServerTimeUtc"].get<std::string>());
    REQUIRE(server);
    CHECK(near(*server, provider_now));
    std::string id = page["Data"][0]["Id"];
    REQUIRE(f.http
              ->send("PUT", "/sim/tenants/visma/nordic/customers/" + id,
                     {{"InvoiceCity", "Lund"}})
              .status
            == 200);
    auto one = f.http->get("/visma/v2/customers/" + id, token).json();
    auto changed = parse_utc(one["ChangedUtc"].get<std::string>());
    REQUIRE(changed);
    CHECK(near(*changed, provider_now));
  }
}

TEST_CASE("quirk: a token endpoint that limits token requests per client") {
  // 60 x time: the minute is a second.
  auto opts = fixture::options(60.0);
  REQUIRE(opts.quirks.set("oauth.token_limit=5").empty());
  fixture f{opts};
  auto tokens = f.tenant("fortnox", "acme", 1, 1);
  std::string token = tokens["refresh_token"];
  auto refresh = [&](const std::string& t) {
    return f.http->request("POST", "/fortnox/oauth-v1/token",
                           "grant_type=refresh_token&refresh_token=" + t,
                           basic("cid", "secret"),
                           "application/x-www-form-urlencoded");
  };
  for (int i = 0; i < 5; ++i) {
    auto r = refresh(token);
    REQUIRE(r.status == 200);
    token = r.json()["refresh_token"];
  }
  auto throttled = refresh(token);
  CHECK(throttled.status == 429);
  CHECK(throttled.body == "Too Many Requests");
  CHECK(throttled.headers.count("Retry-After") == 0);
  CHECK(f.stats()["token_throttled"] == 1);
  // Nothing rotated: the same refresh token works once the minute passed.
  std::this_thread::sleep_for(std::chrono::milliseconds{1100});
  CHECK(refresh(token).status == 200);
}
