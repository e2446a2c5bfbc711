// Provider benchmark: 1,000 Fortnox invoices through the slowest path the
// provider allows (list pages, then one detail GET per invoice, as a
// Fortnox pull must) against the simulator over loopback, at the real
// limit of 25 requests per 5 s sliding window. Reports how close the run
// gets to the floor that limit sets, and proves compliance from the
// simulator's own count (429s, most requests in any window).
//
// Usage: bench_provider CONNINFO [INVOICES] [TIME_SCALE]
// Prints one JSON line: {"bench":"provider", ...}.
#include "actors/connections.hpp"
#include "adapters/pg/credential_store.hpp"
#include "adapters/pg/migrations.hpp"
#include "config/load_config.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <sys/resource.h>

#include "sim/simulator.hpp"

using namespace std::chrono_literals;
using namespace ledgerd;

namespace {

using clock_type = std::chrono::steady_clock;

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

config::node_config make_config(const std::string& conninfo, uint16_t port,
                                double scale) {
  auto base = "http://127.0.0.1:" + std::to_string(port) + "/fortnox";
  auto window = std::to_string(static_cast<int64_t>(5000 / scale)) + "ms";
  auto text = "[database]\nurl = \"" + conninfo + "\"\n"
              + "[rate_limits.fortnox]\nrequests = 25\nwindow = \"" + window
              + "\"\nmargin = \"20ms\"\n"
              + "[[tenants]]\nid = \"acme\"\n[[tenants.connections]]\n"
                "provider = \"fortnox\"\nbase_url = \""
              + base + "\"\ntoken_url = \"" + base
              + "/oauth-v1/token\"\nwebsocket_url = \"ws://127.0.0.1:"
              + std::to_string(port) + "/fortnox/topics-v1\"\n"
              + "client_id = \"bench\"\nclient_secret = \"bench-secret\"\n";
  auto r = config::parse_config(text, "bench.toml");
  if (!r.ok())
    throw std::runtime_error(config::format_problems(r.problems()));
  return r.config();
}

nlohmann::json sim_get(http::client& client, uint16_t port,
                       const std::string& path) {
  http::client_request req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + path;
  auto res = client.send_sync(req);
  return nlohmann::json::parse(res.body);
}

provider_result call(caf::scoped_actor& self, const provider_actor& p,
                     provider_call c) {
  provider_result out;
  self->request(p, 10min, std::move(c))
    .receive(
      [&](provider_result& r) {
        out = std::move(r);
      },
      [&](caf::error& err) {
        throw std::runtime_error(to_string(err));
      });
  if (!out.ok)
    throw std::runtime_error("provider call failed: " + out.failure.message);
  return out;
}

/// Every page of the invoice list: the ids.
std::vector<std::string> list_all(caf::scoped_actor& self,
                                  const provider_actor& p, uint64_t& requests) {
  std::vector<std::string> ids;
  provider_call c;
  c.op = op_list;
  c.entity = 1;
  for (uint32_t page = 1, total = 1; page <= total; ++page) {
    c.page = page;
    auto res = call(self, p, c);
    ++requests;
    total = res.total_pages;
    for (auto& r : res.records)
      ids.push_back(r.remote_id);
  }
  return ids;
}

/// Detail fetches with a bounded number outstanding (as jobs would be):
/// enough to keep the limiter saturated, few enough that none waits for a
/// grant longer than its max_wait.
void fetch_details(caf::scoped_actor& self, const provider_actor& p,
                   const std::vector<std::string>& ids, uint64_t& requests) {
  constexpr size_t outstanding = 50;
  auto send = [&](const std::string& id) {
    provider_call c;
    c.op = op_get;
    c.entity = 1;
    c.remote_id = id;
    self->send(p, std::move(c));
  };
  size_t next = 0;
  for (; next < std::min(outstanding, ids.size()); ++next)
    send(ids[next]);
  size_t failed = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    self->receive(
      [&](provider_result& r) {
        failed += r.ok ? 0 : 1;
      },
      caf::after(10min) >>
        [] {
          throw std::runtime_error("detail fetch timed out");
        });
    if (next < ids.size())
      send(ids[next++]);
  }
  requests += ids.size();
  if (failed > 0)
    throw std::runtime_error(std::to_string(failed) + " detail fetches failed");
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_provider CONNINFO [INVOICES] [TIME_SCALE]\n";
    return 2;
  }
  std::string conninfo = argv[1];
  int invoices = argc > 2 ? std::stoi(argv[2]) : 1000;
  double scale = argc > 3 ? std::stod(argv[3]) : 1.0;
  {
    pg::connection conn{conninfo};
    pg::migrate(conn);
  }
  sim::sim_options sopts;
  sopts.time_scale = scale;
  sim::simulator simulator{sopts};
  simulator.start();
  auto port = simulator.port();
  auto tokens = simulator.add_tenant({{"provider", "fortnox"},
                                      {"tenant", "acme"},
                                      {"client_id", "bench"},
                                      {"client_secret", "bench-secret"},
                                      {"customers", 50},
                                      {"invoices", invoices},
                                      {"seed", 1}});
  pg::pool_options popts;
  popts.conninfo = conninfo;
  auto pool = std::make_shared<pg::pool>(popts);
  pg::credential_store{pool, 10s}.put("acme", "fortnox",
                                      tokens.at("refresh_token"));
  auto client = std::make_shared<http::client>();
  auto cfg = std::make_shared<const config::node_config>(
    make_config(conninfo, port, scale));
  nlohmann::json out;
  {
    caf::actor_system_config acfg;
    register_messages(acfg);
    caf::actor_system sys{acfg};
    auto dir = std::make_shared<actor_directory>();
    std::vector<caf::actor> actors;
    actors.push_back(rate_limiter_child(dir).start(sys));
    caf::actor provider;
    for (auto& child : connection_children(cfg, pool, client, dir)) {
      actors.push_back(child.start(sys));
      if (child.name.starts_with("provider/"))
        provider = actors.back();
    }
    auto p = caf::actor_cast<provider_actor>(provider);
    caf::scoped_actor self{sys};
    uint64_t requests = 0;
    auto t0 = clock_type::now();
    auto ids = list_all(self, p, requests);
    fetch_details(self, p, ids, requests);
    auto elapsed
      = std::chrono::duration<double>(clock_type::now() - t0).count();
    // Least time R requests need when at most 25 fit in any window.
    auto window_s = 5.0 / scale;
    auto floor_s
      = std::floor(static_cast<double>(requests - 1) / 25.0) * window_s;
    auto stats = sim_get(*client, port, "/sim/stats");
    int64_t max_in_window = 0;
    for (const auto& b : stats["buckets"])
      max_in_window
        = std::max<int64_t>(max_in_window, b.value("max_in_window", 0));
    out = {{"bench", "provider"},
           {"invoices", ids.size()},
           {"requests", requests},
           {"window_s", window_s},
           {"elapsed_s", std::round(elapsed * 10) / 10},
           {"floor_s", floor_s},
           {"efficiency", std::round(floor_s / elapsed * 1000) / 1000},
           {"throttled", stats.value("throttled_total", -1)},
           {"max_in_window", max_in_window},
           {"peak_rss_mb", std::round(peak_rss_mb() * 10) / 10}};
    for (auto& a : actors)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  client->stop();
  simulator.stop();
  std::cout << out.dump() << std::endl;
  return 0;
}
