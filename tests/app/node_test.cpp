// End to end: the real ledgerd binary against a fresh database of the test
// cluster, driven through signals and its HTTP server.
#include "adapters/http/asio.hpp"
#include "tests/app/node_harness.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/process.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using ledgerd::test::child_process;
using ledgerd::test::test_database;
using namespace ledgerd::test::app;

namespace {

/// A minimal blocking HTTP GET; returns the status line and body.
/// `headers`: more header lines, each ending in "\r\n".
std::string http_get(uint16_t port, const std::string& target,
                     const std::string& headers = "") {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket sock{ioc};
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  auto req = "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + headers
             + "Connection: close\r\n\r\n";
  boost::asio::write(sock, boost::asio::buffer(req));
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    auto n = sock.read_some(boost::asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec)
      break;
  }
  return out;
}

} // namespace

TEST_CASE("an invalid config exits with status 2 and starts nothing") {
  temp_config cfg{"[node]\nlisten = \"127.0.0.1:0\"\nbogus_key = 1\n"};
  child_process node{{ledgerd_bin, "--config", cfg.path.string()}};
  CHECK(node.wait(30s) == 2);
  CHECK(node.output().find("bogus_key") != std::string::npos);
  CHECK(node.output().find("nothing started") != std::string::npos);
  CHECK(node.output().find("msg=listening") == std::string::npos);
}

TEST_CASE("an unreachable database stops the node with status 1") {
  temp_config cfg{node_config(
    "host=/nonexistent-ledgerd-dir user=postgres dbname=x connect_timeout=2")};
  child_process node{{ledgerd_bin, "--config", cfg.path.string()}};
  CHECK(node.wait(30s) == 1);
  CHECK(node.output().find("cannot prepare the database") != std::string::npos);
}

TEST_CASE("the node migrates, serves health and stops gracefully on "
          "SIGTERM") {
  test_database db;
  temp_config cfg{node_config(db.conninfo())};
  child_process node{{ledgerd_bin, "--config", cfg.path.string()}};
  auto port = listening_port(node);
  // The schema is there once the node listens.
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.schema_migrations")
        != "0");
  // /healthz reports the health actor's latest probe; the first one may
  // still be under way when the node starts listening (503 until then).
  auto health = http_get(port, "/healthz");
  for (int i = 0; i < 100 && health.rfind("HTTP/1.1 503", 0) == 0; ++i) {
    std::this_thread::sleep_for(50ms);
    health = http_get(port, "/healthz");
  }
  CHECK(health.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(health.find("\"status\":\"ok\"") != std::string::npos);
  auto status = http_get(port, "/v1/status");
  CHECK(status.find("\"health\"") != std::string::npos);
  CHECK(status.find("\"dispatcher\"") != std::string::npos);
  CHECK(status.find("\"rate_limiter\"") != std::string::npos);
  CHECK(status.find("\"jobs\":{") != std::string::npos);
  node.signal(SIGTERM);
  CHECK(node.wait(30s) == 0);
  CHECK(node.output().find("msg=drained all_in_time=true")
        != std::string::npos);
  CHECK(node.output().find("msg=stopped status=0") != std::string::npos);
}

TEST_CASE("the node serves readyz and the v1 API with the configured "
          "token") {
  test_database db;
  temp_config cfg{node_config(db.conninfo())
                  + "[api]\ntokens = [\"node-test-token\"]\n"};
  child_process node{{ledgerd_bin, "--config", cfg.path.string()}};
  auto port = listening_port(node);
  CHECK(http_get(port, "/v1/jobs").rfind("HTTP/1.1 401", 0) == 0);
  auto jobs
    = http_get(port, "/v1/jobs", "Authorization: Bearer node-test-token\r\n");
  CHECK(jobs.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(jobs.find("\"jobs\":[]") != std::string::npos);
  // Ready once the first database probe succeeded.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  auto ready = http_get(port, "/readyz");
  while (ready.rfind("HTTP/1.1 200", 0) != 0
         && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    ready = http_get(port, "/readyz");
  }
  CHECK(ready.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(ready.find("\"status\":\"ready\"") != std::string::npos);
  node.signal(SIGTERM);
  CHECK(node.wait(30s) == 0);
}

TEST_CASE("SIGINT also shuts down gracefully, and a restart reuses the "
          "schema") {
  test_database db;
  temp_config cfg{node_config(db.conninfo())};
  {
    child_process node{{ledgerd_bin, "--config", cfg.path.string()}};
    listening_port(node);
    node.signal(SIGINT);
    REQUIRE(node.wait(30s) == 0);
  }
  child_process again{{ledgerd_bin, "--config", cfg.path.string()}};
  listening_port(again);
  CHECK(again.output().find("applied=0") != std::string::npos);
  again.signal(SIGTERM);
  CHECK(again.wait(30s) == 0);
}

TEST_CASE("SIGINT stops a node started with SIGINT ignored") {
  // What a shell script's `ledgerd &` gets: SIGINT ignored, kept over exec.
  test_database db;
  temp_config cfg{node_config(db.conninfo())};
  child_process node{
    {"/bin/sh", "-c",
     "trap '' INT; exec " + ledgerd_bin + " --config " + cfg.path.string()}};
  listening_port(node);
  node.signal(SIGINT);
  CHECK(node.wait(30s) == 0);
  CHECK(node.output().find("signal received") != std::string::npos);
}

TEST_CASE("the --check-config flag validates without starting anything") {
  temp_config good{node_config("host=/nonexistent user=x dbname=y")};
  child_process ok{
    {ledgerd_bin, "--config", good.path.string(), "--check-config"}};
  CHECK(ok.wait(30s) == 0);
  temp_config bad{"[database]\npool_size = 0\n"};
  child_process fails{
    {ledgerd_bin, "--config", bad.path.string(), "--check-config"}};
  CHECK(fails.wait(30s) == 2);
  CHECK(fails.output().find("pool_size") != std::string::npos);
}

TEST_CASE("jobs enqueued with ledgerctl run on the node") {
  test_database db;
  temp_config cfg{node_config(db.conninfo())
                  + "[api]\ntokens = [\"node-test-token\"]\n"};
  child_process node{{ledgerd_bin, "--config", cfg.path.string()}};
  auto port = listening_port(node);
  child_process enqueue{{ledgerctl_bin, "--config", cfg.path.string(),
                         "enqueue", "noop", "--tenant", "acme", "--dedup",
                         "acme:smoke"}};
  REQUIRE(enqueue.wait(30s) == 0);
  CHECK(enqueue.output().find(" created") != std::string::npos);
  // The node's dispatcher is woken by NOTIFY (or its poll) and runs it.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (db.query_value("SELECT count(*) FROM ledgerd.jobs_done") != "1"
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.jobs_done") == "1");
  child_process jobs{{ledgerctl_bin, "--config", cfg.path.string(), "jobs",
                      "list", "--tenant", "acme", "--url",
                      "http://127.0.0.1:" + std::to_string(port)}};
  REQUIRE(jobs.wait(30s) == 0);
  CHECK(jobs.output().find("completed") != std::string::npos);
  child_process bad{{ledgerctl_bin, "--config", cfg.path.string(), "enqueue",
                     "noop", "--tenant", "acme", "--priority", "urgent"}};
  CHECK(bad.wait(30s) == 2);
  CHECK(bad.output().find("--priority must be") != std::string::npos);
  node.signal(SIGTERM);
  CHECK(node.wait(30s) == 0);
}

TEST_CASE("ledgerctl stores and shows a connection's credentials") {
  test_database db;
  auto text = node_config(db.conninfo())
              + "[[tenants]]\nid = \"acme\"\n[[tenants.connections]]\n"
                "provider = \"fortnox\"\nclient_id = \"c\"\n"
                "client_secret = \"s\"\n";
  temp_config cfg{text};
  child_process migrate{
    {ledgerctl_bin, "--config", cfg.path.string(), "migrate"}};
  REQUIRE(migrate.wait(30s) == 0);
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{ledgerctl_bin, "--config", cfg.path.string(),
                                  "credentials"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto p = std::make_unique<child_process>(argv);
    return p;
  };
  auto none = run({"show", "acme", "fortnox"});
  CHECK(none->wait(30s) == 1);
  CHECK(none->output().find("no credentials") != std::string::npos);
  auto set = run({"set", "acme", "fortnox", "--refresh-token", "r0"});
  CHECK(set->wait(30s) == 0);
  CHECK(db.query_value("SELECT refresh_token FROM ledgerd.credentials"
                       " WHERE tenant = 'acme' AND provider = 'fortnox'")
        == "r0");
  auto show = run({"show", "acme", "fortnox"});
  CHECK(show->wait(30s) == 0);
  CHECK(show->output().find("no access token") != std::string::npos);
  auto unknown = run({"set", "nobody", "fortnox", "--refresh-token", "x"});
  CHECK(unknown->wait(30s) == 2);
  CHECK(unknown->output().find("no tenant 'nobody'") != std::string::npos);
}

TEST_CASE("the node runs a provider actor per connection and reports it") {
  test_database db;
  auto text = node_config(db.conninfo())
              + "[[tenants]]\nid = \"acme\"\n[[tenants.connections]]\n"
                "provider = \"fortnox\"\n"
                "base_url = \"http://127.0.0.1:9/fortnox\"\n"
                "token_url = \"http://127.0.0.1:9/fortnox/oauth-v1/token\"\n"
                "websocket_url = \"ws://127.0.0.1:9/fortnox/topics-v1\"\n"
                "client_id = \"c\"\nclient_secret = \"s\"\n"
                "[[tenants]]\nid = \"nordvik\"\n[[tenants.connections]]\n"
                "provider = \"visma\"\nclient_id = \"c\"\n"
                "client_secret = \"s\"\nenabled = false\n";
  temp_config cfg{text};
  child_process node{{ledgerd_bin, "--config", cfg.path.string()}};
  auto port = listening_port(node);
  auto status = http_get(port, "/v1/status");
  auto body = nlohmann::json::parse(status.substr(status.find("\r\n\r\n") + 4));
  REQUIRE(body["connections"].size() == 1); // the disabled one is not run
  CHECK(body["connections"][0]["tenant"] == "acme");
  CHECK(body["connections"][0]["provider"] == "fortnox");
  // The tenant actor polls at once; without stored tokens the connection
  // then needs re-authorization (and the tenant's sync pauses).
  auto state = [&] {
    auto s = http_get(port, "/v1/status");
    auto b = nlohmann::json::parse(s.substr(s.find("\r\n\r\n") + 4));
    return b["connections"][0]["state"].get<std::string>() + " "
           + b["connections"][0]["reason"].get<std::string>();
  };
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (state().rfind("needs_reauth", 0) != 0
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(state().rfind("needs_reauth no_credentials", 0) == 0);
  CHECK(status.find("\"provider/acme/fortnox\"") != std::string::npos);
  CHECK(status.find("\"tenant/acme\"") != std::string::npos);
  CHECK(status.find("\"outbox_relay\"") != std::string::npos);
  CHECK(status.find("\"event_stream/fortnox") != std::string::npos);
  CHECK(status.find("\"token_service\"") != std::string::npos);
  node.signal(SIGTERM);
  CHECK(node.wait(30s) == 0);
}
