// The real ledgerd binary killed with SIGKILL in the middle of a pull and of
// a push, then restarted: both sides converge with no duplicate and no lost
// update (SYNC-PROPERTIES.md properties 1, 7, 16 and 21).
#include "adapters/http/client.hpp"
#include "adapters/pg/credential_store.hpp"
#include "tests/support/actor_system_fixture.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <unistd.h>

#include "sim/simulator.hpp"

using namespace ledgerd;
using namespace ledgerd::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string ledgerd_bin = std::string{LEDGERD_BINARY_DIR} + "/ledgerd";

/// Waits up to a minute or two for `pred` (machines here are slow and
/// shared).
bool eventually(const std::function<bool()>& pred) {
  return actor_system_fixture::eventually(pred, std::chrono::seconds{120});
}

/// A private database, the simulator in this process (it outlives the
/// node's deaths) and a config file for the node.
struct crash_fixture {
  /// "fortnox" or "visma": the one connection of tenant acme.
  std::string provider;
  test_database db;
  std::shared_ptr<pg::pool> pool = migrated_pool(db, 2);
  sim::simulator simulator{sim_options()};
  http::client client;
  std::filesystem::path config_path;
  std::unique_ptr<child_process> node;

  explicit crash_fixture(std::string provider_name)
    : provider(std::move(provider_name)) {
    simulator.start();
    config_path
      = std::filesystem::temp_directory_path()
        / ("ledgerd-crash-test-" + std::to_string(getpid()) + ".toml");
    std::ofstream{config_path} << config_text();
  }

  ~crash_fixture() {
    if (node) {
      node->signal(SIGKILL);
      node->wait(10s);
    }
    client.stop();
    simulator.stop();
    std::filesystem::remove(config_path);
  }

  static sim::sim_options sim_options() {
    sim::sim_options opts;
    opts.time_scale = 10;
    opts.seed = 11;
    return opts;
  }

  std::string sim_url() const {
    return "http://127.0.0.1:" + std::to_string(simulator.port());
  }

  std::string config_text() const {
    auto base = sim_url();
    auto head = "[node]\nlisten = \"127.0.0.1:0\"\nshutdown_grace = \"2s\"\n"
                "[database]\nurl = \""
                + db.conninfo()
                + "\"\n[jobs]\nlease = \"2s\"\nretry_base = \"100ms\"\n"
                  "retry_cap = \"1s\"\n"
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

  /// The provider's field that carries the local id.
  std::string external_ref_field() const {
    return provider == "fortnox" ? "ExternalReference" : "Note";
  }

  json admin(const std::string& method, const std::string& path,
             const json& body = nullptr) {
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
    return res.body.empty() ? json{} : json::parse(res.body);
  }

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
    pg::credential_store{pool, 10s}.put("acme", provider,
                                        tokens.at("refresh_token"));
  }

  void start_node() {
    node = std::make_unique<child_process>(
      std::vector<std::string>{ledgerd_bin, "--config", config_path.string()});
    REQUIRE(node->wait_for_line("msg=listening", 60s));
  }

  void kill_node() {
    node->signal(SIGKILL);
    node->wait(10s);
    node.reset();
  }

  std::string sql(const std::string& text) {
    return db.query_value(text);
  }

  json remote_customers() {
    return admin("GET", "/sim/tenants/" + provider + "/acme/customers");
  }

  int64_t requests() {
    return admin("GET", "/sim/stats").value("requests_total", int64_t{0});
  }

  bool quiet() {
    return sql("SELECT count(*) FROM ledgerd.jobs WHERE state IN "
               "('pending', 'processing')")
             == "0"
           && sql("SELECT count(*) FROM ledgerd.outbox WHERE processed_at "
                  "IS NULL")
                == "0";
  }
};

} // namespace

TEST_CASE("a node killed mid-pull resumes and applies every record once",
          "[sync][crash]") {
  crash_fixture f{GENERATE(as<std::string>{}, "fortnox", "visma")};
  // Fortnox: one page of 80 whose detail fetches are under way at the kill.
  // Visma: three pages of 500, slow, killed while the second is asked for.
  bool visma = f.provider == "visma";
  auto n = std::to_string(visma ? 1200 : 80);
  f.seed(visma ? 1200 : 80);
  f.admin("POST", "/sim/faults",
          {{"latency_ms", visma ? json{{"min", 800}, {"max", 1200}}
                                : json{{"min", 20}, {"max", 60}}}});
  f.start_node();
  REQUIRE(eventually([&] {
    return f.requests() >= (visma ? 2 : 25);
  }));
  f.kill_node();
  // Not everything was committed: the restart has work to resume.
  CHECK(f.sql("SELECT count(*) FROM ledger.customers") != n);
  f.admin("POST", "/sim/faults", json::object());
  f.start_node();
  REQUIRE(eventually([&] {
    return f.sql("SELECT count(*) FROM ledger.customers") == n && f.quiet();
  }));
  CHECK(f.sql("SELECT count(DISTINCT remote_id) FROM ledgerd.links") == n);
  CHECK(f.sql("SELECT count(*) FROM ledgerd.links") == n);
  CHECK(f.sql("SELECT count(*) FROM ledgerd.outbox") == "0");
  CHECK(std::to_string(f.remote_customers().size()) == n);
}

TEST_CASE("a node killed mid-push creates nothing twice and loses no update",
          "[sync][crash]") {
  crash_fixture f{GENERATE(as<std::string>{}, "fortnox", "visma")};
  f.seed(0);
  f.start_node();
  f.admin("POST", "/sim/faults", {{"latency_ms", {{"min", 50}, {"max", 150}}}});
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i)
    ids.push_back(f.sql("INSERT INTO ledger.customers (tenant, name, email) "
                        "VALUES ('acme', 'Kund "
                        + std::to_string(i) + "', 'k" + std::to_string(i)
                        + "@example.se') RETURNING id"));
  REQUIRE(eventually([&] {
    return f.remote_customers().size() >= 5;
  }));
  f.kill_node();
  auto created = f.remote_customers().size();
  INFO("created before the kill: " << created);
  CHECK(created < 40);
  // While the node is down the app edits a record; after the restart that
  // edit must reach the provider too.
  f.sql("UPDATE ledger.customers SET email = 'late@example.se' WHERE id = '"
        + ids.front() + "'");
  f.start_node();
  REQUIRE(eventually([&] {
    return f.remote_customers().size() >= 40 && f.quiet();
  }));
  auto remote = f.remote_customers();
  CHECK(remote.size() == 40);
  std::set<std::string> refs;
  std::string first_email;
  for (const auto& r : remote) {
    auto ref = r.at("data").value(f.external_ref_field(), "");
    refs.insert(ref);
    if (ref == ids.front())
      first_email = r.at("data").value(
        f.provider == "fortnox" ? "Email" : "EmailAddress", "");
  }
  CHECK(refs.size() == 40);
  CHECK(refs == std::set<std::string>(ids.begin(), ids.end()));
  CHECK(first_email == "late@example.se");
  CHECK(f.sql("SELECT count(*) FROM ledgerd.links WHERE status = 'linked'")
        == "40");
}

TEST_CASE("a Fortnox event sent while the node was down is replayed into one "
          "pull",
          "[sync][crash]") {
  crash_fixture f{"fortnox"};
  f.seed(3);
  f.start_node();
  REQUIRE(eventually([&] {
    return f.sql("SELECT count(*) FROM ledger.customers") == "3" && f.quiet();
  }));
  auto id = f.remote_customers().at(0).at("id").get<std::string>();
  auto email = [&] {
    return f.sql("SELECT coalesce(c.email, '') FROM ledger.customers c JOIN "
                 "ledgerd.links l ON l.local_id = c.id::text WHERE "
                 "l.remote_id = '"
                 + id + "'");
  };
  auto event_pulls = [&] {
    return f.sql("SELECT count(*) FROM (SELECT payload, priority FROM "
                 "ledgerd.jobs UNION ALL SELECT payload, priority FROM "
                 "ledgerd.jobs_done) j WHERE priority = 2 AND "
                 "payload->'remote_ids' = '[\""
                 + id + "\"]'");
  };
  // One event while the node runs: it is pulled and its offset committed.
  std::this_thread::sleep_for(1s); // the stream subscribes
  f.admin("PUT", "/sim/tenants/fortnox/acme/customers/" + id,
          {{"Email", "first@example.se"}});
  REQUIRE(eventually([&] {
    return email() == "first@example.se"
           && f.sql("SELECT count(*) FROM ledgerd.stream_offsets") != "0";
  }));
  f.node->signal(SIGTERM);
  CHECK(f.node->wait(30s) == 0);
  f.node.reset();
  // Changed while the node is down; the restart replays from the offset.
  f.admin("PUT", "/sim/tenants/fortnox/acme/customers/" + id,
          {{"Email", "second@example.se"}});
  f.start_node();
  CHECK(eventually([&] {
    return email() == "second@example.se";
  }));
  CHECK(eventually([&] {
    return event_pulls() == "2" && f.quiet();
  }));
  std::this_thread::sleep_for(1s);
  CHECK(event_pulls() == "2");
}
