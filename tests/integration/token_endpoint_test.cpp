// A token endpoint that throttles (ledgerd-sim quirk oauth.token_limit,
// unknown for both providers): a refresh answered 429 rotates nothing, so
// the grant stands and the connection's jobs wait for a token without
// spending their tries; once the endpoint answers again they go on. With
// tries spent, every job of the connection would fail for good within the
// first seconds of the outage.
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd;
using namespace ledgerd::test;
using namespace std::chrono_literals;

TEST_CASE_METHOD(sync_fixture,
                 "a throttled token endpoint: jobs wait for a token, none "
                 "fails, the grant survives",
                 "[sync][oauth]") {
  seed("fortnox", "acme", 20, 30);
  // One token request a minute: the first token takes it.
  admin("POST", "/sim/quirks", {{"oauth.token_limit", "1"}});
  pull("acme", "fortnox", "customer");
  settle();
  REQUIRE(sql("SELECT count(*) FROM ledger.customers") == "20");
  admin("POST", "/sim/faults", {{"expire_tokens", true}});
  pull("acme", "fortnox", "invoice");
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (stats().value("token_throttled", 0) == 0
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  REQUIRE(stats().value("token_throttled", 0) >= 1);
  // Longer than the test's whole retry budget (8 tries, 20-200 ms apart).
  std::this_thread::sleep_for(3s);
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(std::stoi(sql("SELECT coalesce(max(attempt), 0) FROM ledgerd.jobs "
                      "WHERE state <> 'completed'"))
        <= 1);
  CHECK(sql("SELECT needs_reauth::text FROM ledgerd.credentials WHERE "
            "tenant = 'acme'")
        == "false");
  // The endpoint answers again.
  admin("POST", "/sim/quirks", {{"oauth.token_limit", "0"}});
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.invoices") == "30");
  CHECK(sql("SELECT needs_reauth::text FROM ledgerd.credentials WHERE "
            "tenant = 'acme'")
        == "false");
}
