// Tenant actors drive the sync on their own: poll timers, Fortnox events
// through the event stream and the router, and a paused connection.
#include "actors/sync_children.hpp"
#include "actors/tenant.hpp"
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd;
using namespace ledgerd::test;
using nlohmann::json;

namespace {

/// Waits up to a minute or two for `pred` (machines here are slow and
/// shared).
bool eventually(const std::function<bool()>& pred) {
  return actor_system_fixture::eventually(pred, std::chrono::seconds{60});
}

fixture_options polling_every(const std::string& interval) {
  fixture_options opts;
  opts.acme_toml = "[tenants.sync]\npoll_interval = \"" + interval + "\"\n";
  return opts;
}

/// A sync fixture that also runs `children` (tenant actors, event streams).
struct running_fixture : sync_fixture {
  std::vector<caf::actor> running;

  explicit running_fixture(fixture_options opts)
    : sync_fixture(opts) {}

  void start(std::vector<child_spec> children) {
    for (auto& c : children)
      running.push_back(c.start(sys));
  }

  ~running_fixture() {
    for (auto& hdl : running)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    for (auto& hdl : running)
      self->wait_for(hdl);
  }

  std::string email_of(const std::string& remote_id) {
    return sql("SELECT coalesce(c.email, '') FROM ledger.customers c JOIN "
               "ledgerd.links l ON l.local_id = c.id::text WHERE "
               "l.entity = 'customer' AND l.remote_id = '"
               + remote_id + "'");
  }
};

} // namespace

TEST_CASE("polling catches a change that nothing announced", "[sync]") {
  auto provider = GENERATE(as<std::string>{}, "fortnox", "visma");
  auto tenant = provider == "fortnox" ? "acme" : "nordvik";
  auto opts = polling_every("500ms");
  opts.nordvik_toml = opts.acme_toml;
  running_fixture f{opts};
  f.seed(provider, tenant, 3, 0);
  // Tenant actors only: no event stream announces anything.
  f.start(tenant_children(f.env));
  REQUIRE(eventually([&] {
    return f.sql("SELECT count(*) FROM ledger.customers") == "3";
  }));
  auto id = f.remote(provider, tenant, "customers").at(0).at("id");
  f.admin(
    "PUT",
    "/sim/tenants/" + provider + "/" + tenant + "/customers/"
      + id.get<std::string>(),
    {{provider == "fortnox" ? "Email" : "EmailAddress", "polled@example.se"}});
  CHECK(eventually([&] {
    return f.email_of(id) == "polled@example.se";
  }));
}

TEST_CASE("a Fortnox event leads to one pull of the record it names",
          "[sync]") {
  // Polling is slow here: only the event can bring the change in time.
  running_fixture f{polling_every("1h")};
  f.seed("fortnox", "acme", 3, 0, 111);
  f.start(sync_children(f.env, ""));
  REQUIRE(eventually([&] {
    return f.sql("SELECT count(*) FROM ledger.customers") == "3";
  }));
  // Let the stream subscribe before the change.
  REQUIRE(eventually([&] {
    return f.sql("SELECT count(*) FROM ledgerd.jobs WHERE tenant = 'acme' "
                 "AND state IN ('pending', 'processing')")
           == "0";
  }));
  std::this_thread::sleep_for(std::chrono::seconds{1});
  auto id = f.remote("fortnox", "acme", "customers").at(0).at("id");
  f.admin("PUT", "/sim/tenants/fortnox/acme/customers/" + id.get<std::string>(),
          {{"Email", "event@example.se"}});
  CHECK(eventually([&] {
    return f.email_of(id) == "event@example.se";
  }));
  auto pulls = "SELECT count(*) FROM ledgerd.jobs_done WHERE kind = 'pull' "
               "AND priority = 2 AND payload->'remote_ids' = '[\""
               + id.get<std::string>() + "\"]'";
  CHECK(eventually([&] {
    return f.sql(pulls) == "1";
  }));
  // The offset is committed once the pull is enqueued.
  CHECK(eventually([&] {
    return f.sql("SELECT count(*) FROM ledgerd.stream_offsets WHERE topic = "
                 "'customers'")
           == "1";
  }));
  // A change made while the stream is forced to reconnect is replayed from
  // the committed offset: one more pull, and none for the earlier event.
  f.admin("POST", "/sim/faults", {{"websocket_disconnect", true}});
  f.admin("PUT", "/sim/tenants/fortnox/acme/customers/" + id.get<std::string>(),
          {{"Email", "replayed@example.se"}});
  CHECK(eventually([&] {
    return f.email_of(id) == "replayed@example.se";
  }));
  CHECK(eventually([&] {
    return f.sql(pulls) == "2";
  }));
  std::this_thread::sleep_for(std::chrono::seconds{1});
  CHECK(f.sql(pulls) == "2");
}

TEST_CASE("polling stretches while events flow and recovers when they stop",
          "[sync]") {
  fixture_options opts;
  opts.acme_toml = "[tenants.sync]\nentities = [\"customers\"]\n"
                   "poll_interval = \"300ms\"\nevent_stretch = 20\n";
  running_fixture f{opts};
  f.seed("fortnox", "acme", 1, 0);
  f.start(tenant_children(f.env));
  auto tenant = f.dir->get<caf::actor>(tenant_actor_name("acme"));
  REQUIRE(tenant);
  auto id = f.remote("fortnox", "acme", "customers").at(0).at("id");
  auto polls = [&] {
    return std::stoll(f.sql(
      "SELECT count(*) FROM (SELECT tenant, payload, priority FROM "
      "ledgerd.jobs UNION ALL SELECT tenant, payload, priority FROM "
      "ledgerd.jobs_done) j WHERE tenant = 'acme' AND priority = 1 AND NOT "
      "payload ? 'remote_ids'"));
  };
  provider_event ev;
  ev.provider = "fortnox";
  ev.tenant = "acme";
  ev.topic = "customers";
  ev.type = "customer-updated-v2";
  ev.entity_id = id.get<std::string>();
  // Events every 100 ms for 3 s: after the first poll the stretched pace
  // (20 x 300 ms) leaves no room for another.
  for (int i = 0; i < 30; ++i) {
    caf::anon_send(tenant, ev);
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  auto during = polls();
  CHECK(during >= 1);
  CHECK(during <= 2);
  // The stream says it is down: back to every 300 ms at once.
  ev.type = std::string{stream_down_event};
  caf::anon_send(tenant, ev);
  std::this_thread::sleep_for(std::chrono::seconds{3});
  CHECK(polls() - during >= 4);
  // Polls and event pulls met on the same record without harm.
  CHECK(f.sql("SELECT count(*) FROM ledgerd.jobs WHERE tenant = 'acme' AND "
              "state = 'failed'")
        == "0");
  CHECK(f.sql("SELECT count(*) FROM ledger.customers") == "1");
}

TEST_CASE("a connection that needs re-authorization pauses the tenant's "
          "polling until new credentials are stored",
          "[sync]") {
  running_fixture f{polling_every("100ms")};
  f.seed("fortnox", "acme", 1, 0);
  f.store().put("acme", "fortnox", "not-a-valid-refresh-token");
  auto first = f.call(f.provider("acme", "fortnox"), list_call(0, 1));
  REQUIRE(first.failure.needs_reauth);
  f.start(tenant_children(f.env));
  // Nobody else is polled (nordvik has no credentials but is not paused).
  std::this_thread::sleep_for(std::chrono::seconds{1});
  CHECK(f.sql("SELECT count(*) FROM ledgerd.jobs WHERE tenant = 'acme'")
        == "0");
  CHECK(f.sql("SELECT count(*) FROM ledgerd.jobs WHERE tenant = 'nordvik'")
        != "0");
  // An operator stores a new grant (ledgerctl credentials set): the
  // connection finds it by itself and acme's polling resumes, no restart.
  auto tokens = f.admin("POST", "/sim/tenants/fortnox/acme/tokens");
  f.store().put("acme", "fortnox", tokens.at("refresh_token"));
  CHECK(eventually([&] {
    return f.sql("SELECT count(*) FROM ledger.customers WHERE tenant = "
                 "'acme'")
           == "1";
  }));
  CHECK(f.call(f.provider("acme", "fortnox"), list_call(0, 1)).ok);
}
