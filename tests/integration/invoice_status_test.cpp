// The invoice lifecycle from the provider's side (SYNC-PROPERTIES.md §5):
// cancelled, booked, credited and paid are statuses of a record that is
// kept, never deletes.
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd;
using namespace ledgerd::test;
using nlohmann::json;

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox: cancelled invoices arrive as cancelled records, "
                 "none is deleted",
                 "[sync][lifecycle]") {
  seed("fortnox", "acme", 15, 60);
  auto invoices = remote("fortnox", "acme", "invoices");
  REQUIRE(invoices.size() == 60);
  for (size_t i = 0; i < invoices.size(); i += 7)
    admin("PUT",
          "/sim/tenants/fortnox/acme/invoices/"
            + invoices.at(i).at("id").get<std::string>(),
          {{"Cancelled", true}});
  pull("acme", "fortnox", "customer");
  settle();
  pull("acme", "fortnox", "invoice");
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.invoices WHERE tenant = 'acme' AND "
            "deleted_at IS NULL")
        == "60");
  CHECK(sql("SELECT count(*) FROM ledger.invoices WHERE status = 'cancelled'")
        == "9");
  CHECK(sql("SELECT count(*) FROM ledgerd.links WHERE entity = 'invoice' AND "
            "status = 'linked'")
        == "60");
  // Cancelled later, at the provider, after the invoice was here: the row
  // stays and takes the status.
  auto later = invoices.at(1).at("id").get<std::string>();
  admin("PUT", "/sim/tenants/fortnox/acme/invoices/" + later,
        {{"Cancelled", true}});
  pull("acme", "fortnox", "invoice");
  settle();
  CHECK(sql("SELECT status || ' ' || (deleted_at IS NULL) FROM "
            "ledger.invoices WHERE id::text = '"
            + local_id_of(*this, "invoice", later) + "'")
        == "cancelled true");
  CHECK(sql("SELECT count(*) FROM ledgerd.conflicts") == "0");
}
