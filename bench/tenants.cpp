// Many-tenants benchmark: the real ledgerd node (a child process on a
// private database) with N tenants, each connected to Visma at the
// simulator (in this process; one OAuth client for all, as one integration
// serving many companies). Measures how long the first sync of every tenant
// takes, then the node at rest with all tenants live: CPU, peak memory, and
// how fast /metrics and /v1/telemetry answer with N tenants in them.
//
// Usage: bench_tenants CONNINFO [TENANTS=1000] [CUSTOMERS=2]
// Prints one JSON line: {"bench":"tenants","tenants":...,
// "initial_sync_s":...,"idle_cpu_pct":...,"metrics_p99_ms":...,
// "telemetry_p99_ms":...,"peak_rss_mb":...}.
#include "adapters/http/client.hpp"
#include "adapters/pg/connection.hpp"
#include "adapters/pg/credential_store.hpp"
#include "adapters/pg/migrations.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "bench/node_process.hpp"
#include "sim/simulator.hpp"

using namespace std::chrono_literals;
using namespace ledgerd;
using ledgerd::bench::clock_type;
using ledgerd::bench::node_process;
using ledgerd::bench::percentile;
using nlohmann::json;

namespace {

const std::string token = "bench";

std::string tenant_id(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "t%05d", i);
  return buf;
}

std::string node_config(const std::string& conninfo, const std::string& sim,
                        int tenants) {
  std::string out = "[node]\nlisten = \"127.0.0.1:0\"\n"
                    "[database]\nurl = \""
                    + conninfo + "\"\npool_size = 16\n[api]\ntokens = [\""
                    + token
                    + "\"]\n"
                      "[rate_limits.visma]\nrequests = 600\n"
                      "window = \"6s\"\nmargin = \"20ms\"\n";
  for (int i = 0; i < tenants; ++i)
    out += "[[tenants]]\nid = \"" + tenant_id(i)
           + "\"\n[[tenants.connections]]\nprovider = \"visma\"\n"
             "base_url = \""
           + sim + "/visma\"\ntoken_url = \"" + sim
           + "/visma/connect/token\"\nclient_id = \"vs-client\"\n"
             "client_secret = \"vs-secret\"\ncredentials = \"db\"\n"
             "[tenants.sync]\nentities = [\"customers\"]\n"
             "poll_interval = \"1m\"\nreconcile_interval = \"1h\"\n";
  return out;
}

/// Creates every tenant at the simulator and stores its tokens.
void seed(http::client& client, const std::string& sim,
          const std::string& conninfo, int tenants, int customers) {
  pg::pool_options opts;
  opts.conninfo = conninfo;
  opts.max_size = 2;
  auto pool = std::make_shared<pg::pool>(opts);
  {
    auto conn = pool->acquire(10s);
    pg::migrate(*conn);
  }
  pg::credential_store store{pool, 10s};
  for (int i = 0; i < tenants; ++i) {
    http::client_request req;
    req.method = "POST";
    req.url = sim + "/sim/tenants";
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = json{
      {"provider", "visma"},
      {"tenant", tenant_id(i)},
      {"client_id", "vs-client"},
      {"client_secret", "vs-secret"},
      {"customers", customers},
      {"invoices", 0},
      {"seed",
       i + 1}}.dump();
    auto res = client.send_sync(std::move(req));
    if (res.status / 100 != 2)
      throw std::runtime_error("seeding failed: " + std::to_string(res.status)
                               + " " + res.body);
    store.put(tenant_id(i), "visma",
              json::parse(res.body).at("refresh_token").get<std::string>());
  }
}

struct timed_gets {
  std::vector<double> ms;
  size_t bytes = 0;
};

/// GETs `path` `n` times, 250 ms apart.
timed_gets time_gets(http::client& client, const std::string& url, int n) {
  timed_gets out;
  for (int i = 0; i < n; ++i) {
    http::client_request req;
    req.url = url;
    req.headers.emplace_back("Authorization", "Bearer " + token);
    auto t0 = clock_type::now();
    auto res = client.send_sync(std::move(req));
    out.ms.push_back(
      std::chrono::duration<double, std::milli>(clock_type::now() - t0)
        .count());
    if (res.status != 200)
      throw std::runtime_error(url + " answered " + std::to_string(res.status));
    out.bytes = res.body.size();
    std::this_thread::sleep_for(250ms);
  }
  return out;
}

int64_t synced_tenants(pg::connection& conn) {
  return conn
    .exec("bench.synced",
          "SELECT count(*) FROM ledgerd.cursors WHERE watermark IS NOT NULL")
    .get<int64_t>(0, 0);
}

} // namespace

int run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_tenants CONNINFO [TENANTS] [CUSTOMERS]\n";
    return 2;
  }
  std::string conninfo = argv[1];
  int tenants = argc > 2 ? std::stoi(argv[2]) : 1000;
  int customers = argc > 3 ? std::stoi(argv[3]) : 2;
  sim::sim_options sopts;
  sopts.time_scale = 10;
  sim::simulator simulator{sopts};
  simulator.start();
  auto sim = "http://127.0.0.1:" + std::to_string(simulator.port());
  http::client client;
  seed(client, sim, conninfo, tenants, customers);

  auto dir = std::filesystem::path{argv[0]}.parent_path();
  auto tmp = std::filesystem::temp_directory_path();
  auto stem = "ledgerd-bench-tenants-" + std::to_string(getpid());
  auto config = tmp / (stem + ".toml");
  std::ofstream{config} << node_config(conninfo, sim, tenants);
  auto started = clock_type::now();
  node_process node{(dir / "ledgerd").string(), config.string(),
                    tmp / (stem + ".log")};
  auto base = "http://127.0.0.1:" + std::to_string(node.port(120s));
  pg::connection conn{conninfo};
  while (synced_tenants(conn) < tenants && clock_type::now() < started + 600s)
    std::this_thread::sleep_for(200ms);
  auto synced = synced_tenants(conn);
  auto initial_sync_s
    = std::chrono::duration<double>(clock_type::now() - started).count();

  // At rest: every tenant live, polls every minute (spread over it).
  auto cpu0 = node.cpu_seconds();
  auto t0 = clock_type::now();
  auto metrics = time_gets(client, base + "/metrics", 40);
  auto telemetry = time_gets(client, base + "/v1/telemetry", 40);
  auto wall = std::chrono::duration<double>(clock_type::now() - t0).count();
  auto cpu_pct = 100 * (node.cpu_seconds() - cpu0) / wall;
  auto rss = node.peak_rss_mb();
  client.stop();
  std::filesystem::remove(config);
  json out{{"bench", "tenants"},
           {"tenants", tenants},
           {"synced", synced},
           {"initial_sync_s", initial_sync_s},
           {"cpu_pct_while_scraped", cpu_pct},
           {"metrics_p50_ms", percentile(metrics.ms, 0.5)},
           {"metrics_p99_ms", percentile(metrics.ms, 0.99)},
           {"metrics_kb", static_cast<double>(metrics.bytes) / 1024},
           {"telemetry_p50_ms", percentile(telemetry.ms, 0.5)},
           {"telemetry_p99_ms", percentile(telemetry.ms, 0.99)},
           {"telemetry_kb", static_cast<double>(telemetry.bytes) / 1024},
           {"peak_rss_mb", rss}};
  std::cout << out.dump() << std::endl;
  simulator.stop();
  return synced == tenants ? 0 : 1;
}

int main(int argc, char** argv) {
  // Caught here so that the node child is stopped by its destructor.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_tenants: " << e.what() << "\n";
    return 1;
  }
}
