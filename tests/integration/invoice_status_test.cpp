// The invoice lifecycle from the provider's side (SYNC-PROPERTIES.md §5):
// cancelled, booked, credited and paid are statuses of a record that is
// kept, never deletes.
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace ledgerd;
using namespace ledgerd::test;
using nlohmann::json;
using namespace std::chrono_literals;

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

namespace {

std::string link_of(sync_fixture& f, const std::string& local_id) {
  return f.sql("SELECT remote_id FROM ledgerd.links WHERE entity = 'invoice'"
               " AND local_id = '"
               + local_id + "'");
}

std::string read_only_of(sync_fixture& f, const std::string& local_id) {
  return f.sql("SELECT coalesce(read_only_reason, '') FROM ledgerd.links"
               " WHERE entity = 'invoice' AND local_id = '"
               + local_id + "'");
}

std::string local_status(sync_fixture& f, const std::string& local_id) {
  return f.sql("SELECT status FROM ledger.invoices WHERE id = '" + local_id
               + "'");
}

void set_local(sync_fixture& f, const std::string& local_id,
               const std::string& assignment) {
  f.sql("UPDATE ledger.invoices SET " + assignment + " WHERE id = '" + local_id
        + "' RETURNING id");
}

/// Pushes what the app changed, then pulls: a status the provider did not
/// take would come back from the pull.
void push_then_pull(sync_fixture& f, const std::string& tenant,
                    const std::string& provider) {
  f.settle();
  f.pull(tenant, provider, "invoice");
  f.settle();
}

} // namespace

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox: a local status change becomes bookkeep, cancel or "
                 "credit, and a pull does not revert it",
                 "[sync][lifecycle]") {
  seed("fortnox", "acme", 20, 40);
  auto customer = insert_customer(*this, "acme", "Livscykel AB", "l@c.se");
  auto booked = insert_invoice(*this, "acme", customer);
  auto cancelled = insert_invoice(*this, "acme", customer);
  settle();
  INFO(jobs_summary());
  REQUIRE(count("failed") == 0);
  auto number = link_of(*this, booked);
  CHECK_FALSE(remote_invoice("fortnox", "acme", number).value("Booked", true));

  set_local(*this, booked, "status = 'booked'");
  set_local(*this, cancelled, "status = 'cancelled'");
  push_then_pull(*this, "acme", "fortnox");
  CHECK(count("failed") == 0);
  CHECK(remote_invoice("fortnox", "acme", number).value("Booked", false));
  CHECK(remote_invoice("fortnox", "acme", link_of(*this, cancelled))
          .value("Cancelled", false));
  CHECK(local_status(*this, booked) == "booked");
  CHECK(local_status(*this, cancelled) == "cancelled");
  CHECK(read_only_of(*this, booked).empty());

  // An edit Fortnox no longer takes: visible on the record, no failed job.
  set_local(*this, booked, "your_reference = 'Efter bokföring'");
  push_then_pull(*this, "acme", "fortnox");
  CHECK(count("failed") == 0);
  CHECK_FALSE(read_only_of(*this, booked).empty());
  CHECK(remote_invoice("fortnox", "acme", number).value("YourReference", "")
        != "Efter bokföring");
  CHECK(sql("SELECT your_reference FROM ledger.invoices WHERE id = '" + booked
            + "'")
        == "Efter bokföring");

  // The edit taken back: the sides agree, the state clears; then a credit.
  set_local(*this, booked, "your_reference = NULL");
  push_then_pull(*this, "acme", "fortnox");
  CHECK(read_only_of(*this, booked).empty());
  set_local(*this, booked, "status = 'credited'");
  push_then_pull(*this, "acme", "fortnox");
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  auto credited = remote_invoice("fortnox", "acme", number);
  CHECK(credited.value("CreditInvoiceReference", "0") != "0");
  CHECK(local_status(*this, booked) == "credited");
  CHECK(link_of(*this, booked) == number);

  // A move Fortnox does not offer: booked -> cancelled is refused, shown.
  set_local(*this, cancelled, "status = 'draft'");
  push_then_pull(*this, "acme", "fortnox");
  CHECK(count("failed") == 0);
  CHECK_FALSE(read_only_of(*this, cancelled).empty());
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma: a local draft is a draft there, editable, and "
                 "converted when it leaves draft",
                 "[sync][lifecycle]") {
  seed("visma", "nordvik", 20, 40);
  auto customer = insert_customer(*this, "nordvik", "Utkast AB", "u@k.se");
  auto invoice = insert_invoice(*this, "nordvik", customer);
  settle();
  INFO(jobs_summary());
  REQUIRE(count("failed") == 0);
  auto draft = link_of(*this, invoice);
  REQUIRE(draft.starts_with("draft:"));
  CHECK(remote("visma", "nordvik", "drafts").size() == 1);
  CHECK(remote("visma", "nordvik", "invoices").size() == 40);

  set_local(*this, invoice, "your_reference = 'Ändrat utkast'");
  push_then_pull(*this, "nordvik", "visma");
  CHECK(count("failed") == 0);
  CHECK(remote_invoice("visma", "nordvik", draft).value("YourReference", "")
        == "Ändrat utkast");

  set_local(*this, invoice, "status = 'booked'");
  push_then_pull(*this, "nordvik", "visma");
  CHECK(count("failed") == 0);
  auto converted = link_of(*this, invoice);
  CHECK_FALSE(converted.starts_with("draft:"));
  CHECK(remote("visma", "nordvik", "drafts").size() == 0);
  CHECK(remote_invoice("visma", "nordvik", converted)
          .value("ElectronicReference", "")
        == invoice);
  CHECK(local_status(*this, invoice) == "booked");

  // A converted invoice takes no edit: the record shows it, no job fails.
  set_local(*this, invoice, "your_reference = 'För sent'");
  push_then_pull(*this, "nordvik", "visma");
  CHECK(count("failed") == 0);
  CHECK_FALSE(read_only_of(*this, invoice).empty());
  CHECK(remote_invoice("visma", "nordvik", converted).value("YourReference", "")
        == "Ändrat utkast");
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma: a draft converted or deleted in the Visma UI moves "
                 "or ends the link, whichever side is seen first",
                 "[sync][lifecycle]") {
  seed("visma", "nordvik", 20, 40);
  auto customer = insert_customer(*this, "nordvik", "Utkast AB", "u@k.se");
  auto listed_first = insert_invoice(*this, "nordvik", customer);
  auto gone_first = insert_invoice(*this, "nordvik", customer);
  auto deleted = insert_invoice(*this, "nordvik", customer);
  settle();
  INFO(jobs_summary());
  REQUIRE(count("failed") == 0);
  std::map<std::string, std::string> drafts;
  for (const auto& id : {listed_first, gone_first, deleted}) {
    drafts[id] = link_of(*this, id);
    REQUIRE(drafts[id].starts_with("draft:"));
  }
  auto convert_in_ui = [&](const std::string& local_id) {
    admin("POST", "/sim/tenants/visma/nordvik/drafts/"
                    + drafts[local_id].substr(6) + "/convert");
  };
  auto local_invoices = [&] {
    return sql("SELECT count(*) FROM ledger.invoices WHERE tenant = "
               "'nordvik' AND deleted_at IS NULL");
  };
  pull("nordvik", "visma", "customer");
  settle();
  pull("nordvik", "visma", "invoice");
  settle();
  auto before = local_invoices();
  REQUIRE(before == "43");

  // The delta pull lists the new invoice while the draft's link stands
  // (after a lagging search index shows it: the search_lag_ms quirk).
  convert_in_ui(listed_first);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    pull("nordvik", "visma", "invoice");
    settle();
  } while (link_of(*this, listed_first).starts_with("draft:")
           && std::chrono::steady_clock::now() < deadline);
  CHECK(count("failed") == 0);
  auto converted = link_of(*this, listed_first);
  CHECK_FALSE(converted.starts_with("draft:"));
  CHECK(remote_invoice("visma", "nordvik", converted)
          .value("ElectronicReference", "")
        == listed_first);
  CHECK(local_status(*this, listed_first) == "booked");
  CHECK(local_invoices() == before);

  // The draft's 404 comes first (a reconcile's named pull).
  convert_in_ui(gone_first);
  enqueue("nordvik", "visma", "pull",
          {{"entity", "invoice"}, {"remote_ids", {drafts[gone_first]}}});
  settle();
  CHECK(count("failed") == 0);
  converted = link_of(*this, gone_first);
  CHECK_FALSE(converted.starts_with("draft:"));
  CHECK(local_status(*this, gone_first) == "booked");
  CHECK(local_invoices() == before);
  pull("nordvik", "visma", "invoice");
  settle();
  CHECK(local_invoices() == before);

  // Deleted, not converted: no successor, the local invoice goes too.
  admin("DELETE",
        "/sim/tenants/visma/nordvik/drafts/" + drafts[deleted].substr(6));
  enqueue("nordvik", "visma", "pull",
          {{"entity", "invoice"}, {"remote_ids", {drafts[deleted]}}});
  settle();
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT (deleted_at IS NOT NULL)::text FROM ledger.invoices "
            "WHERE id = '"
            + deleted + "'")
        == "true");
  CHECK(sql("SELECT count(*) FROM ledgerd.links WHERE entity = 'invoice' AND "
            "status = 'linked' AND remote_id LIKE 'draft:%'")
        == "0");
  for (const auto& id : {listed_first, gone_first})
    CHECK(sql("SELECT count(*) FROM ledgerd.links WHERE entity = 'invoice' "
              "AND local_id = '"
              + id + "' AND status = 'linked'")
          == "1");
}
