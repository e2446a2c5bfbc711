// The real ledgerd binary as a child process, on a private database and
// against the simulator running in this process (it outlives the node's
// deaths), with one tenant "acme" connected to one provider.
#pragma once

#include "adapters/http/client.hpp"
#include "adapters/pg/credential_store.hpp"
#include "tests/integration/sim_profile.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>

#include "sim/simulator.hpp"

namespace ledgerd::test {

/// The admin token the node accepts on /v1.
inline const std::string node_api_token = "node-fixture-token";

struct node_fixture {
  /// "fortnox" or "visma": the one connection of tenant acme.
  std::string provider;
  test_database db;
  std::shared_ptr<pg::pool> pool = migrated_pool(db, 2);
  sim::simulator simulator{sim_options()};
  http::client client;
  std::filesystem::path config_path;
  std::unique_ptr<child_process> node;
  /// Where the running node listens.
  uint16_t port = 0;

  /// `extra_config`: TOML appended to the config ([monitor], [[alerts]]).
  explicit node_fixture(std::string provider_name,
                        const std::string& extra_config = "")
    : provider(std::move(provider_name)) {
    simulator.start();
    static int counter = 0;
    config_path = std::filesystem::temp_directory_path()
                  / ("ledgerd-node-fixture-" + std::to_string(getpid()) + "-"
                     + std::to_string(++counter) + ".toml");
    std::ofstream{config_path} << config_text() << extra_config;
  }

  ~node_fixture() {
    if (node) {
      node->signal(SIGKILL);
      node->wait(std::chrono::seconds{10});
    }
    client.stop();
    simulator.stop();
    std::filesystem::remove(config_path);
  }

  static sim::sim_options sim_options() {
    sim::sim_options opts;
    opts.time_scale = 10;
    opts.seed = 11;
    opts.quirks = sim_profile();
    return opts;
  }

  std::string sim_url() const {
    return "http://127.0.0.1:" + std::to_string(simulator.port());
  }

  std::string node_url() const {
    return "http://127.0.0.1:" + std::to_string(port);
  }

  std::string config_text() const {
    auto base = sim_url();
    auto head = "[node]\nlisten = \"127.0.0.1:0\"\nshutdown_grace = \"2s\"\n"
                "[database]\nurl = \""
                + db.conninfo()
                + "\"\n[jobs]\nlease = \"2s\"\nretry_base = \"100ms\"\n"
                  "retry_cap = \"1s\"\n[api]\ntokens = [\""
                + node_api_token
                + "\"]\n"
                  "[rate_limits.fortnox]\nrequests = 25\nwindow = \"500ms\"\n"
                  "margin = \"20ms\"\n[rate_limits.visma]\nrequests = 600\n"
                  "window = \"6s\"\nmargin = \"20ms\"\n"
                  "[[tenants]]\nid = \"acme\"\n[[tenants.connections]]\n";
    std::string conn;
    if (provider == "fortnox")
      conn = "provider = \"fortnox\"\nbase_url = \"" + base
             + "/fortnox\"\ntoken_url = \"" + base
             + "/fortnox/oauth-v1/token\"\nwebsocket_url = \"ws://127.0.0.1:"
             + std::to_string(simulator.port())
             + "/fortnox/topics-v1\"\nclient_id = \"fx-client\"\n"
               "client_secret = \"fx-secret\"\ncredentials = \"db\"\n";
    else
      conn = "provider = \"visma\"\nbase_url = \"" + base
             + "/visma\"\ntoken_url = \"" + base
             + "/visma/connect/token\"\nclient_id = \"vs-client\"\n"
               "client_secret = \"vs-secret\"\ncredentials = \"db\"\n"
               "[tenants.connections.create_defaults]\n"
               "customer = { TermsOfPaymentId = "
               "\"8f9a8f7b-5ea9-44c6-9725-9b8a1addb036\" }\n";
    return head + conn
           + "[tenants.sync]\nentities = [\"customers\"]\n"
             "poll_interval = \"1h\"\n";
  }

  /// A call of the simulator's admin API; requires a 2xx.
  nlohmann::json admin(const std::string& method, const std::string& path,
                       const nlohmann::json& body = nullptr) {
    http::client_request req;
    req.method = method;
    req.url = sim_url() + path;
    if (!body.is_null()) {
      req.body = body.dump();
      req.headers.emplace_back("Content-Type", "application/json");
    }
    auto res = client.send_sync(req);
    INFO(method << " " << path << " -> " << res.status << " " << res.body);
    REQUIRE(res.status / 100 == 2);
    return res.body.empty() ? nlohmann::json{}
                            : nlohmann::json::parse(res.body);
  }

  /// Creates acme at the simulator with `customers` and stores its tokens.
  void seed(int customers) {
    auto tokens = admin(
      "POST", "/sim/tenants",
      {{"provider", provider},
       {"tenant", "acme"},
       {"client_id", provider == "fortnox" ? "fx-client" : "vs-client"},
       {"client_secret", provider == "fortnox" ? "fx-secret" : "vs-secret"},
       {"customers", customers},
       {"invoices", 0},
       {"seed", 1}});
    pg::credential_store{pool, std::chrono::seconds{10}}.put(
      "acme", provider, tokens.at("refresh_token"));
  }

  void start_node() {
    node = std::make_unique<child_process>(
      std::vector<std::string>{std::string{LEDGERD_BINARY_DIR} + "/ledgerd",
                               "--config", config_path.string()});
    auto line
      = node->wait_for_line("msg=listening url=", std::chrono::seconds{60});
    REQUIRE(line);
    port = static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  }

  void kill_node() {
    node->signal(SIGKILL);
    node->wait(std::chrono::seconds{10});
    node.reset();
  }

  /// Reads what the node logged so far (its pipe must never fill up) and
  /// tells whether any line contains `needle`.
  bool logged(const std::string& needle) {
    node->wait_for_line("\x01 matches no line \x01",
                        std::chrono::milliseconds{10});
    return node->output().find(needle) != std::string::npos;
  }

  std::string sql(const std::string& text) {
    return db.query_value(text);
  }

  /// Provider API requests the simulator served.
  int64_t sim_requests() {
    return admin("GET", "/sim/stats").value("requests_total", int64_t{0});
  }

  /// No job pending or running, no local change waiting to be pushed.
  bool quiet() {
    return sql("SELECT count(*) FROM ledgerd.jobs WHERE state IN "
               "('pending', 'processing')")
             == "0"
           && sql("SELECT count(*) FROM ledgerd.outbox WHERE processed_at "
                  "IS NULL")
                == "0";
  }
};

} // namespace ledgerd::test
