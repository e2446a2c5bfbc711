// Provider drift (SYNC-PROPERTIES.md §5; issue: a renamed Total failed one
// job per record, for good, and the cursor moved past them): a field the
// mapping needs missing or renamed pauses that entity of that connection,
// once, with the cursor where it was; lifting the pause pulls everything
// from the cursor, nothing lost. A Deprecation or Sunset header pauses the
// same way (below).
#include "adapters/pg/cursor_table.hpp"
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace ledgerd;
using namespace ledgerd::test;
using namespace std::chrono_literals;

namespace {

std::string paused_reason(sync_fixture& f, const std::string& entity,
                          const std::string& tenant = "acme") {
  return f.sql("SELECT coalesce(max(paused_reason), '') FROM ledgerd.cursors "
               "WHERE tenant = '"
               + tenant + "' AND entity = '" + entity + "'");
}

} // namespace

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox: a renamed Total pauses invoice pulls once, and "
                 "resuming brings every invoice, none failed",
                 "[sync][drift]") {
  seed("fortnox", "acme", 20, 147);
  pull("acme", "fortnox", "customer");
  settle();
  admin("POST", "/sim/faults",
        {{"rename_field",
          {{"provider", "fortnox"}, {"from", "Total"}, {"to", "TotalSum"}}}});
  pull("acme", "fortnox", "invoice");
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (paused_reason(*this, "invoice").empty()
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  auto reason = paused_reason(*this, "invoice");
  INFO(jobs_summary());
  REQUIRE_FALSE(reason.empty());
  CHECK(reason.find("Total") != std::string::npos);
  std::this_thread::sleep_for(500ms); // nothing else happens meanwhile
  CHECK(count("failed") == 0);
  // One waiting pull, no job per record, the cursor where it was.
  CHECK(sql("SELECT count(*) FROM ledgerd.jobs WHERE kind = 'pull'") == "1");
  CHECK(sql("SELECT count(*) FROM ledger.invoices") == "0");
  CHECK(sql("SELECT count(*) FROM ledgerd.cursors WHERE entity = 'invoice' "
            "AND watermark IS NOT NULL")
        == "0");
  CHECK(paused_reason(*this, "customer").empty());

  // Another pull of the paused entity waits too (a poll, an event).
  enqueue("acme", "fortnox", "pull",
          {{"entity", "invoice"}, {"remote_ids", {"1"}}});
  std::this_thread::sleep_for(500ms);
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.invoices") == "0");

  // The provider is back to normal; an operator lifts the pause.
  admin("POST", "/sim/faults", nlohmann::json::object());
  pg::resume_result resumed;
  {
    auto conn = pool->acquire(5s);
    resumed = pg::resume_pulls(*conn, {"acme", "fortnox", "invoice"});
  }
  CHECK(resumed.resumed);
  CHECK(resumed.pulls_woken == 2);
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.invoices") == "147");
  CHECK(paused_reason(*this, "invoice").empty());
  CHECK(sql("SELECT count(*) FROM ledgerd.cursors WHERE entity = 'invoice' "
            "AND watermark IS NOT NULL")
        == "1");
}

// (Replaces "a renamed Visma field fails those records": the records of a
// renamed field no longer fail one by one.)
TEST_CASE_METHOD(sync_fixture,
                 "Visma: a renamed customer field pauses customer pulls; "
                 "resumed, every customer arrives",
                 "[sync][drift]") {
  seed("visma", "nordvik", 120, 0);
  admin("POST", "/sim/faults",
        {{"rename_field",
          {{"provider", "visma"}, {"from", "Name"}, {"to", "CompanyName"}}}});
  pull("nordvik", "visma", "customer");
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (paused_reason(*this, "customer", "nordvik").empty()
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  INFO(jobs_summary());
  REQUIRE_FALSE(paused_reason(*this, "customer", "nordvik").empty());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.customers") == "0");
  admin("POST", "/sim/faults", nlohmann::json::object());
  {
    auto conn = pool->acquire(5s);
    CHECK(pg::resume_pulls(*conn, {"nordvik", "visma", "customer"}).resumed);
  }
  settle();
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.customers") == "120");
}

// Deprecation (RFC 9745) and Sunset (RFC 8594): the provider announces that
// the API version we map is going away. Both pause the entity like drift,
// before anything of the answer is written, with the header named in the
// reason; once the header is gone, resuming pulls everything.
TEST_CASE_METHOD(sync_fixture,
                 "Visma: a Sunset header pauses customer pulls with its date; "
                 "resumed without it, every customer arrives",
                 "[sync][drift][sunset]") {
  seed("visma", "nordvik", 30, 0);
  admin("POST", "/sim/faults",
        {{"sunset_header", "Sat, 01 May 2027 00:00:00 GMT"}});
  pull("nordvik", "visma", "customer");
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (paused_reason(*this, "customer", "nordvik").empty()
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  INFO(jobs_summary());
  CHECK(paused_reason(*this, "customer", "nordvik")
        == "provider announced Sunset: Sat, 01 May 2027 00:00:00 GMT on "
           "/customers");
  std::this_thread::sleep_for(500ms); // nothing else happens meanwhile
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledgerd.jobs WHERE kind = 'pull'") == "1");
  CHECK(sql("SELECT count(*) FROM ledger.customers") == "0");
  CHECK(sql("SELECT count(*) FROM ledgerd.links") == "0");
  CHECK(sql("SELECT count(*) FROM ledgerd.cursors WHERE watermark IS NOT "
            "NULL")
        == "0");
  admin("POST", "/sim/faults", nlohmann::json::object());
  {
    auto conn = pool->acquire(5s);
    CHECK(pg::resume_pulls(*conn, {"nordvik", "visma", "customer"}).resumed);
  }
  settle();
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.customers") == "30");
  CHECK(paused_reason(*this, "customer", "nordvik").empty());
  CHECK(sql("SELECT count(*) FROM ledgerd.cursors WHERE watermark IS NOT "
            "NULL")
        == "1");
}

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox: a Deprecation header alone pauses customer pulls",
                 "[sync][drift][sunset]") {
  seed("fortnox", "acme", 5, 0);
  admin("POST", "/sim/faults", {{"deprecation_header", "@1777593600"}});
  pull("acme", "fortnox", "customer");
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (paused_reason(*this, "customer").empty()
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  INFO(jobs_summary());
  CHECK(paused_reason(*this, "customer")
        == "provider announced Deprecation: @1777593600 on /customers");
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.customers") == "0");
  admin("POST", "/sim/faults", nlohmann::json::object());
  {
    auto conn = pool->acquire(5s);
    CHECK(pg::resume_pulls(*conn, {"acme", "fortnox", "customer"}).resumed);
  }
  settle();
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.customers") == "5");
}
