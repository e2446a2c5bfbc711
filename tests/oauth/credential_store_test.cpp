// The credentials table: single-flight refresh across threads (each with its
// own database session, as separate nodes would have), rotation stored
// before use, dead grants marked for re-authorization.
#include "adapters/pg/credential_store.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/quiet_log.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace ledgerd;
using namespace std::chrono_literals;

namespace {

const auto t0
  = pg::sys_time{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}};

struct creds_fixture {
  test::test_database db;
  std::shared_ptr<pg::pool> pool;
  pg::credential_store store;

  explicit creds_fixture(size_t connections = 4)
    : pool(test::migrated_pool(db, connections))
    , store(pool, 10s) {}
};

/// A token endpoint stand-in that rotates single-use refresh tokens and
/// counts exchanges.
struct rotating_endpoint {
  std::atomic<int> exchanges{0};
  std::atomic<int> reused{0};
  std::mutex mtx;
  std::string current = "r0";

  pg::token_grant operator()(const std::string& refresh) {
    ++exchanges;
    std::this_thread::sleep_for(20ms); // widen the race window
    std::lock_guard guard{mtx};
    pg::token_grant out;
    if (refresh != current) {
      ++reused;
      out.grant_dead = true;
      out.error = "invalid_grant: Invalid refresh token";
      return out;
    }
    auto n = std::to_string(exchanges.load());
    current = "r" + n;
    out.ok = true;
    out.access_token = "a" + n;
    out.refresh_token = current;
    out.expires_at = t0 + 1h;
    return out;
  }
};

} // namespace

TEST_CASE("twenty concurrent refreshers of one stale token refresh once") {
  test::quiet_log quiet;
  creds_fixture f{20};
  f.store.put("acme", "fortnox", "r0");
  rotating_endpoint endpoint;
  std::vector<std::thread> threads;
  std::vector<pg::refresh_outcome> outcomes(20);
  for (size_t i = 0; i < outcomes.size(); ++i)
    threads.emplace_back([&, i] {
      outcomes[i] = f.store.refresh("acme", "fortnox", 0, t0, 60s,
                                    [&](const std::string& r) {
                                      return endpoint(r);
                                    });
    });
  for (auto& t : threads)
    t.join();
  CHECK(endpoint.exchanges == 1);
  CHECK(endpoint.reused == 0);
  int refreshed = 0;
  for (const auto& o : outcomes) {
    REQUIRE(o.current);
    CHECK(o.current->access_token == "a1");
    refreshed += o.refreshed ? 1 : 0;
  }
  CHECK(refreshed == 1);
  auto stored = f.store.load("acme", "fortnox");
  REQUIRE(stored);
  CHECK(stored->refresh_token == "r1");
  CHECK(stored->access_token == "a1");
}

TEST_CASE("a stale version is refreshed, a newer valid one is returned") {
  creds_fixture f;
  f.store.put("acme", "visma", "r0", "a0", t0 + 1h);
  rotating_endpoint endpoint;
  endpoint.current = "r0";
  auto exchange = [&](const std::string& r) {
    return endpoint(r);
  };
  auto v = f.store.load("acme", "visma")->version;
  // A caller that never saw a token gets the stored valid one.
  auto first = f.store.refresh("acme", "visma", 0, t0, 60s, exchange);
  REQUIRE(first.current);
  CHECK_FALSE(first.refreshed);
  CHECK(first.current->access_token == "a0");
  // The caller whose token (this version) was rejected gets a new one.
  auto second = f.store.refresh("acme", "visma", v, t0, 60s, exchange);
  REQUIRE(second.current);
  CHECK(second.refreshed);
  CHECK(second.current->access_token == "a1");
  CHECK(second.current->version > v);
  // An expired token is refreshed whatever the version.
  auto third = f.store.refresh("acme", "visma", 0, t0 + 2h, 60s, exchange);
  REQUIRE(third.current);
  CHECK(third.refreshed);
  CHECK(endpoint.exchanges == 2);
}

TEST_CASE("a dead grant marks the connection and stops further exchanges") {
  creds_fixture f;
  f.store.put("acme", "fortnox", "r-revoked");
  rotating_endpoint endpoint;
  auto exchange = [&](const std::string& r) {
    return endpoint(r);
  };
  auto out = f.store.refresh("acme", "fortnox", 0, t0, 60s, exchange);
  CHECK_FALSE(out.current);
  CHECK(out.error == "needs_reauth");
  CHECK(out.message.find("invalid_grant") != std::string::npos);
  auto stored = f.store.load("acme", "fortnox");
  REQUIRE(stored);
  CHECK(stored->needs_reauth);
  // Not retried in a loop: the next call does not reach the endpoint.
  auto again = f.store.refresh("acme", "fortnox", 0, t0, 60s, exchange);
  CHECK(again.error == "needs_reauth");
  CHECK(endpoint.exchanges == 1);
  // A new authorization clears the flag.
  f.store.put("acme", "fortnox", "r0");
  CHECK_FALSE(f.store.load("acme", "fortnox")->needs_reauth);
  CHECK(f.store.refresh("acme", "fortnox", 0, t0, 60s, exchange).current);
}

TEST_CASE("a transient token endpoint failure keeps the stored tokens") {
  creds_fixture f;
  f.store.put("acme", "fortnox", "r0");
  auto out
    = f.store.refresh("acme", "fortnox", 0, t0, 60s, [](const std::string&) {
        pg::token_grant g;
        g.error = "transient: 503";
        return g;
      });
  CHECK(out.error == "transient");
  auto stored = f.store.load("acme", "fortnox");
  CHECK(stored->refresh_token == "r0");
  CHECK_FALSE(stored->needs_reauth);
}

TEST_CASE("missing credentials are reported, client credentials create them") {
  creds_fixture f;
  int calls = 0;
  auto exchange = [&](const std::string& refresh) {
    ++calls;
    CHECK(refresh.empty());
    pg::token_grant g;
    g.ok = true;
    g.access_token = "service";
    g.expires_at = t0 + 1h;
    return g;
  };
  auto none = f.store.refresh("acme", "fortnox", 0, t0, 60s, exchange);
  CHECK(none.error == "no_credentials");
  CHECK(calls == 0);
  auto service = f.store.refresh("acme", "fortnox", 0, t0, 60s, exchange, true);
  REQUIRE(service.current);
  CHECK(service.current->access_token == "service");
  CHECK(calls == 1);
}

namespace {

/// Ends every other session of the test database, as a PostgreSQL crash
/// ends the refresher's session between the exchange and the commit.
void end_other_sessions(pg::pool& pool) {
  auto conn = pool.acquire(10s);
  conn->exec("test.terminate",
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
             " WHERE datname = current_database() AND pid <> pg_backend_pid()");
}

} // namespace

TEST_CASE("tokens the provider rotated while the database went away are "
          "stored by the next refresh, not lost") {
  test::quiet_log quiet;
  creds_fixture f;
  f.store.put("acme", "fortnox", "r0");
  rotating_endpoint endpoint;
  auto exchange = [&](const std::string& r) {
    return endpoint(r);
  };
  auto crashing = [&](const std::string& r) {
    auto grant = endpoint(r);
    end_other_sessions(*f.pool);
    return grant;
  };
  // The provider spent r0 and issued r1; the commit never happened.
  CHECK_THROWS(f.store.refresh("acme", "fortnox", 0, t0, 60s, crashing));
  CHECK(f.store.load("acme", "fortnox")->refresh_token == "r0");

  SECTION("the next refresh stores r1 without spending r0 again") {
    auto out = f.store.refresh("acme", "fortnox", 0, t0, 60s, exchange);
    REQUIRE(out.current);
    CHECK(out.current->access_token == "a1");
    CHECK(endpoint.exchanges == 1);
    CHECK(endpoint.reused == 0);
    CHECK(f.store.load("acme", "fortnox")->refresh_token == "r1");
    // And the chain goes on from r1.
    auto next = f.store.refresh("acme", "fortnox", out.current->version, t0,
                                60s, exchange);
    REQUIRE(next.current);
    CHECK(next.current->access_token == "a2");
    CHECK(endpoint.reused == 0);
  }

  SECTION("another node that spent r0 meanwhile marked a dead grant: r1 "
          "repairs it") {
    pg::credential_store other{f.pool, 10s};
    auto dead = other.refresh("acme", "fortnox", 0, t0, 60s, exchange);
    CHECK(dead.error == "needs_reauth");
    auto out = f.store.refresh("acme", "fortnox", 0, t0, 60s, exchange);
    REQUIRE(out.current);
    CHECK(out.current->refresh_token == "r1");
    auto stored = f.store.load("acme", "fortnox");
    CHECK_FALSE(stored->needs_reauth);
    CHECK(stored->refresh_token == "r1");
  }

  SECTION("an operator's new grant stored meanwhile wins over r1") {
    endpoint.current = "r-new";
    f.store.put("acme", "fortnox", "r-new");
    auto out = f.store.refresh("acme", "fortnox", 0, t0, 60s, exchange);
    REQUIRE(out.current);
    CHECK(endpoint.reused == 0);
    CHECK(f.store.load("acme", "fortnox")->refresh_token != "r1");
  }
}
