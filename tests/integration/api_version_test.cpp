// API versions (issue 15): the connection's api_version selects the
// adapter's mapping. A Visma connection on v2 and one on v3 (the
// simulator's stand-in for a future version: EmailAddress is Email,
// YourReference is BuyerReference, customers carry ExternalReference) both
// pull and push customers and invoices with every value in place. The
// simulator's admin API shows its store, which keeps v2's names.
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd;
using namespace ledgerd::test;

namespace {

fixture_options on_version(const std::string& version) {
  fixture_options o;
  o.visma_api_version = version;
  return o;
}

std::string local_of(sync_fixture& f, const std::string& column,
                     const std::string& table, const std::string& entity,
                     const std::string& remote_id) {
  return f.sql("SELECT coalesce(" + column + ", '<null>') FROM " + table
               + " WHERE id::text = '" + local_id_of(f, entity, remote_id)
               + "'");
}

} // namespace

TEST_CASE("a Visma connection syncs both ways on API v2 and on v3",
          "[sync][api_version]") {
  auto version = GENERATE(as<std::string>{}, "v2", "v3");
  INFO("api_version " << version);
  sync_fixture f{on_version(version)};
  f.seed("visma", "nordvik", 4, 3);
  auto invoices = f.remote("visma", "nordvik", "invoices");
  REQUIRE(invoices.size() == 3);
  auto invoice_id = invoices.at(0).at("id").get<std::string>();
  f.admin("PUT", "/sim/tenants/visma/nordvik/invoices/" + invoice_id,
          {{"YourReference", "Anna Andersson"}});

  // Pull: every value arrives under the version's names.
  f.pull("nordvik", "visma", "customer");
  f.settle();
  f.pull("nordvik", "visma", "invoice");
  f.settle();
  INFO(f.jobs_summary());
  CHECK(f.count("failed") == 0);
  CHECK(f.sql("SELECT count(*) FROM ledger.invoices") == "3");
  auto customers = f.remote("visma", "nordvik", "customers");
  REQUIRE(customers.size() == 4);
  for (const auto& c : customers) {
    auto id = c.at("id").get<std::string>();
    REQUIRE(c.at("data").at("EmailAddress").is_string());
    CHECK(local_of(f, "email", "ledger.customers", "customer", id)
          == c.at("data").at("EmailAddress").get<std::string>());
  }
  CHECK(local_of(f, "your_reference", "ledger.invoices", "invoice", invoice_id)
        == "Anna Andersson");

  // Push: a local customer and invoice arrive with the same values, the
  // local id in the version's external reference field.
  auto customer = insert_customer(f, "nordvik", "Ny Kund AB", "ny@kund.se");
  auto invoice = insert_invoice(f, "nordvik", customer);
  f.sql("UPDATE ledger.invoices SET your_reference = 'Bertil' WHERE id = '"
        + invoice + "' RETURNING id");
  f.settle();
  CHECK(f.count("failed") == 0);
  nlohmann::json pushed;
  for (const auto& c : f.remote("visma", "nordvik", "customers"))
    if (c.at("data").at("Name") == "Ny Kund AB")
      pushed = c.at("data");
  REQUIRE(pushed.is_object());
  CHECK(pushed.at("EmailAddress") == "ny@kund.se");
  auto ref_field = version == "v3" ? "ExternalReference" : "Note";
  auto other_field = version == "v3" ? "Note" : "ExternalReference";
  CHECK(pushed.at(ref_field) == customer);
  CHECK(pushed.at(other_field).is_null());
  auto remote_invoice_id = f.sql(
    "SELECT remote_id FROM ledgerd.links WHERE local_id = '" + invoice + "'");
  auto stored = f.remote_invoice("visma", "nordvik", remote_invoice_id);
  CHECK(stored.at("YourReference") == "Bertil");
  CHECK(stored.at("ElectronicReference") == invoice);
  CHECK(stored.at("CustomerId") == pushed.at("Id"));

  // Quiet afterwards: pulling both again finds both sides equal.
  f.pull("nordvik", "visma", "customer");
  f.pull("nordvik", "visma", "invoice");
  f.settle();
  CHECK(f.count("failed") == 0);
  CHECK(f.sql("SELECT count(*) FROM ledgerd.conflicts") == "0");
  CHECK(
    f.sql("SELECT email FROM ledger.customers WHERE id = '" + customer + "'")
    == "ny@kund.se");
}
