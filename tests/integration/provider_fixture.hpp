// The provider layer end to end: the simulator (in-process, real loopback
// HTTP), a fresh migrated database, a real threaded actor system with the
// rate limiter, the token service and one provider actor per connection,
// all built from a node configuration that points at the simulator.
#pragma once

#include "actors/connections.hpp"
#include "adapters/http/client.hpp"
#include "adapters/pg/credential_store.hpp"
#include "adapters/pg/migrations.hpp"
#include "config/load_config.hpp"
#include "tests/integration/sim_profile.hpp"
#include "tests/support/actor_system_fixture.hpp"
#include "tests/support/pg_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "sim/simulator.hpp"

namespace ledgerd::test {

/// Windows of the simulator and the limiter shrink by this factor.
inline constexpr double sim_time_scale = 10;

/// What a test changes in the fixture's node configuration.
struct fixture_options {
  /// The engine's idea of the Fortnox limit (the simulator enforces 25).
  int fortnox_requests = 25;
  /// The Fortnox connection's `credentials` setting.
  std::string fortnox_credentials = "db";
  /// TOML appended to tenant acme (after its connection), e.g. a
  /// [tenants.sync] table.
  std::string acme_toml;
  /// The same for tenant nordvik.
  std::string nordvik_toml;
  /// The Visma connection's api_version ("" = the default, "v2").
  std::string visma_api_version;
};

struct provider_fixture : actor_system_fixture {
  test_database db;
  std::shared_ptr<pg::pool> pool;
  sim::simulator simulator;
  std::shared_ptr<http::client> client;
  std::shared_ptr<const config::node_config> cfg;
  std::map<std::string, caf::actor> providers;
  std::shared_ptr<actor_directory> dir = std::make_shared<actor_directory>();

  explicit provider_fixture(fixture_options opts = {})
    : pool(migrated_pool(db, 4))
    , simulator(sim_options()) {
    simulator.start();
    client = std::make_shared<http::client>();
    cfg = std::make_shared<config::node_config>(make_config(opts));
    children.push_back(rate_limiter_child(dir));
    for (auto& c : connection_children(cfg, pool, client, dir))
      children.push_back(std::move(c));
    for (auto& c : children) {
      auto hdl = c.start(sys);
      if (c.name.starts_with("provider/"))
        providers[c.name] = hdl;
      started.push_back(hdl);
    }
  }

  ~provider_fixture() {
    for (auto& hdl : started)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    for (auto& hdl : started)
      self->wait_for(hdl);
    client->stop();
    simulator.stop();
  }

  static sim::sim_options sim_options() {
    sim::sim_options opts;
    opts.time_scale = sim_time_scale;
    opts.seed = 7;
    opts.quirks = sim_profile();
    return opts;
  }

  std::string sim_url() const {
    return "http://127.0.0.1:" + std::to_string(simulator.port());
  }

  /// Fortnox tenant "acme" and Visma tenant "nordvik" on the simulator,
  /// with limits scaled like the simulator's windows.
  config::node_config make_config(const fixture_options& opts) const {
    auto base = sim_url();
    auto ms = [](double x) {
      return std::to_string(static_cast<int64_t>(x)) + "ms";
    };
    std::string text
      = "[database]\nurl = \"" + db.conninfo() + "\"\n"
        + "[rate_limits.fortnox]\nrequests = "
        + std::to_string(opts.fortnox_requests) + "\nwindow = \""
        + ms(5000 / sim_time_scale) + "\"\nmargin = \"20ms\"\n"
        + "[rate_limits.visma]\nrequests = 600\nwindow = \""
        + ms(60000 / sim_time_scale) + "\"\nmargin = \"20ms\"\n"
        + "[[tenants]]\nid = \"acme\"\n[[tenants.connections]]\n"
          "provider = \"fortnox\"\n"
        + "base_url = \"" + base + "/fortnox\"\n" + "token_url = \"" + base
        + "/fortnox/oauth-v1/token\"\n" + "websocket_url = \"ws://127.0.0.1:"
        + std::to_string(simulator.port()) + "/fortnox/topics-v1\"\n"
        + "client_id = \"fx-client\"\nclient_secret = \"fx-secret\"\n"
        + "credentials = \"" + opts.fortnox_credentials + "\"\n"
        + opts.acme_toml
        + "[[tenants]]\nid = \"nordvik\"\n[[tenants.connections]]\n"
          "provider = \"visma\"\n"
        + "base_url = \"" + base + "/visma\"\n" + "token_url = \"" + base
        + "/visma/connect/token\"\n"
        + "client_id = \"vs-client\"\nclient_secret = \"vs-secret\"\n"
        + (opts.visma_api_version.empty()
             ? std::string{}
             : "api_version = \"" + opts.visma_api_version + "\"\n")
        + "[tenants.connections.create_defaults]\n"
          "customer = { TermsOfPaymentId = "
          "\"8f9a8f7b-5ea9-44c6-9725-9b8a1addb036\" }\n"
        + opts.nordvik_toml;
    auto r = config::parse_config(text, "test.toml");
    INFO(config::format_problems(r.problems()));
    REQUIRE(r.ok());
    return r.config();
  }

  /// Calls the simulator's admin API; returns the JSON answer.
  nlohmann::json admin(const std::string& method, const std::string& path,
                       const nlohmann::json& body = nullptr) {
    http::client_request req;
    req.method = method;
    req.url = sim_url() + path;
    if (!body.is_null()) {
      req.body = body.dump();
      req.headers.emplace_back("Content-Type", "application/json");
    }
    auto res = client->send_sync(req);
    INFO(method << " " << path << " -> " << res.status << " " << res.body);
    REQUIRE(res.status / 100 == 2);
    return res.body.empty() ? nlohmann::json{}
                            : nlohmann::json::parse(res.body);
  }

  /// Seeds a simulator tenant and stores its refresh token in the database.
  void seed(const std::string& provider, const std::string& tenant,
            int customers, int invoices, int64_t provider_tenant_id = 0) {
    auto client_id = provider == "fortnox" ? "fx-client" : "vs-client";
    auto secret = provider == "fortnox" ? "fx-secret" : "vs-secret";
    nlohmann::json spec{{"provider", provider},
                        {"tenant", tenant},
                        {"client_id", client_id},
                        {"client_secret", secret},
                        {"customers", customers},
                        {"invoices", invoices},
                        {"seed", 1}};
    if (provider_tenant_id != 0)
      spec["tenant_id"] = provider_tenant_id;
    auto tokens = admin("POST", "/sim/tenants", spec);
    store().put(tenant, provider, tokens.at("refresh_token"));
  }

  pg::credential_store store() {
    return pg::credential_store{pool, std::chrono::seconds{10}};
  }

  provider_actor provider(const std::string& tenant,
                          const std::string& provider) {
    return caf::actor_cast<provider_actor>(
      providers.at(provider_child_name(tenant, provider)));
  }

  /// A search right after a write: under a lagging search index (the
  /// search_lag_ms quirk) it is asked again until the record shows, for at
  /// most the lag and a second.
  provider_result call_until_found(const provider_actor& hdl,
                                   const provider_call& c) {
    auto deadline = std::chrono::steady_clock::now()
                    + sim_profile().search_lag() + std::chrono::seconds{1};
    for (;;) {
      auto r = call(hdl, c);
      if (!r.ok || !r.records.empty()
          || std::chrono::steady_clock::now() > deadline)
        return r;
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
  }

  provider_result call(const provider_actor& hdl, provider_call c) {
    provider_result out;
    self->request(hdl, std::chrono::seconds{60}, std::move(c))
      .receive(
        [&](provider_result& r) {
          out = std::move(r);
        },
        [&](caf::error& err) {
          FAIL("provider call failed: " << sys.render(err));
        });
    return out;
  }

  connection_status status(const provider_actor& hdl) {
    connection_status out;
    self->request(hdl, std::chrono::seconds{10}, caf::get_atom_v)
      .receive(
        [&](connection_status& s) {
          out = std::move(s);
        },
        [&](caf::error& err) {
          FAIL(sys.render(err));
        });
    return out;
  }

  nlohmann::json stats() {
    return admin("GET", "/sim/stats");
  }

private:
  std::vector<child_spec> children;
  std::vector<caf::actor> started;
};

/// A list call of `entity` (0 customer, 1 invoice), page `page`.
inline provider_call list_call(uint8_t entity, uint32_t page,
                               std::string since = {}) {
  provider_call c;
  c.op = op_list;
  c.entity = entity;
  c.page = page;
  c.since = std::move(since);
  return c;
}

} // namespace ledgerd::test
