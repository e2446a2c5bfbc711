// A sync job whose lease was lost stops writing (adapters/pg/job_fence.hpp):
// a push whose job was taken over while its create was on the wire must not
// link the answer; the job's new holder resolves it (SYNC-PROPERTIES.md §5).
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace ledgerd;
using namespace ledgerd::test;
using nlohmann::json;

TEST_CASE_METHOD(sync_fixture,
                 "a push that lost its lease while its create was on the wire "
                 "writes nothing more",
                 "[sync][lease]") {
  seed("fortnox", "acme", 20, 0);
  admin("POST", "/sim/faults",
        {{"latency_ms", {{"min", 1500}, {"max", 1500}}}});
  auto customer = insert_customer(*this, "acme", "Inhägnad AB", "f@i.se");
  relay_outbox_once(*env, 500);
  auto in_doubt = "SELECT count(*) FROM ledgerd.links WHERE local_id = '"
                  + customer + "' AND status = 'in_doubt'";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  while (sql(in_doubt) != "1" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  REQUIRE(sql(in_doubt) == "1");
  // Another node takes the job over while the create is on its way.
  sql("UPDATE ledgerd.jobs SET lease_owner = 'node-b' WHERE kind = 'push' "
      "AND state = 'processing' RETURNING id");
  std::this_thread::sleep_for(std::chrono::milliseconds{3000});
  INFO(jobs_summary());
  // The create happened; its answer came back to a run that no longer
  // owns the job: no link, no local write.
  CHECK(remote("fortnox", "acme", "customers").size() == 21);
  CHECK(sql(in_doubt) == "1");
  CHECK(sql("SELECT customer_number IS NULL FROM ledger.customers WHERE id = '"
            + customer + "'")
        == "t");
  CHECK(sql("SELECT lease_owner || ' ' || state FROM ledgerd.jobs WHERE kind "
            "= 'push'")
        == "node-b processing");
}
