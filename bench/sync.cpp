// Sync benchmark: the real ledgerd node (a child process on a private
// database) and one Fortnox tenant at the simulator (in this process) at the
// real limit, 25 requests per 5 s sliding, with 20-120 ms uniform latency on
// every provider answer. Measures, against the floor that limit sets for the
// requests each job needs (floor = (ceil(R / 25) - 1) x 5 s; and the
// round-trip floor, 5 s + the mean latency per window, which is what a
// limiter that is exact wherever the provider counts a request can reach):
// - pull: N invoices new to ledgerd (the first pull, customers already
//   here: R = list pages + one detail each), then 10 and 100 changed ones
//   (edited at the provider, then a manual delta sync);
// - steady state: a poll with no remote change right after the 100-record
//   pull, the poll after it (ideally list requests only), and the requests
//   per changed record of the 100-record pull;
// - push: 10, 100, then N new invoices with N / 5 new customers (R = one
//   create per record);
// - freshness with the budget free: a local edit until the provider has it,
//   a provider edit (its event over the WebSocket) until the local row has
//   it, p50 and p99.
// Each timed phase starts a window after the one before, with the budget
// free as its floor assumes.
// Requests and 429s are the simulator's own count; peak RSS is the node's.
// The pull phases run without the event stream (its URL points nowhere), so
// that a provider edit is found by the delta pull, not by its event.
//
// Usage: bench_sync CONNINFO [INVOICES=1000] [SAMPLES=20]
// Prints one JSON line: {"bench":"sync","pull_1000_s":...,...}.
#include "adapters/http/client.hpp"
#include "adapters/pg/connection.hpp"
#include "adapters/pg/credential_store.hpp"
#include "adapters/pg/migrations.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <optional>

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
const std::string tenant = "acme";

double floor_s(int64_t requests) {
  if (requests <= 0)
    return 0;
  return (std::ceil(static_cast<double>(requests) / 25.0) - 1) * 5.0;
}

/// The simulator's latency on every provider answer, ms.
constexpr int latency_min_ms = 20;
constexpr int latency_max_ms = 120;
/// Between freshness samples. A sample costs up to 4 requests (the push's
/// read and write, the pull its event starts): at 1 s apart, 20 in any
/// 5 s, so each finds the budget free (300 ms apart, samples queued for
/// slots and a few took 2 s).
constexpr auto sample_spacing = 1s;

/// The floor for a limiter that must stay exact without knowing where on
/// the round trip the provider counts a request (sim quirk latency_side):
/// a slot comes free a window after the answer of the request that held
/// it, so each window also waits one round trip (the mean latency here).
double round_trip_floor_s(int64_t requests) {
  if (requests <= 0)
    return 0;
  double mean_s = (latency_min_ms + latency_max_ms) / 2.0 / 1000.0;
  return (std::ceil(static_cast<double>(requests) / 25.0) - 1) * (5.0 + mean_s);
}

double since_s(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

struct world {
  std::string conninfo;
  std::string sim;
  uint16_t sim_port = 0;
  http::client client;
  std::filesystem::path dir;
  std::filesystem::path tmp;
  double peak_rss_mb = 0;

  json sim_call(const std::string& method, const std::string& path,
                const json& body = nullptr) {
    http::client_request req;
    req.method = method;
    req.url = sim + path;
    if (!body.is_null()) {
      req.body = body.dump();
      req.headers.emplace_back("Content-Type", "application/json");
    }
    auto res = client.send_sync(std::move(req));
    if (res.status / 100 != 2)
      throw std::runtime_error(method + " " + path + ": "
                               + std::to_string(res.status) + " " + res.body);
    return res.body.empty() ? json{} : json::parse(res.body);
  }

  int64_t sim_requests() {
    return sim_call("GET", "/sim/stats").value("requests_total", int64_t{0});
  }

  int64_t sim_throttled() {
    return sim_call("GET", "/sim/stats").value("throttled_total", int64_t{0});
  }

  std::string config(bool events, bool invoices) const {
    auto base = sim + "/fortnox";
    auto ws = events ? "ws://127.0.0.1:" + std::to_string(sim_port)
                         + "/fortnox/topics-v1"
                     : std::string{"ws://127.0.0.1:9/no-events"};
    return "[node]\nlisten = \"127.0.0.1:0\"\n"
           "[database]\nurl = \""
           + conninfo + "\"\npool_size = 8\n[api]\ntokens = [\"" + token
           + "\"]\n[[tenants]]\nid = \"" + tenant
           + "\"\n[[tenants.connections]]\nprovider = \"fortnox\"\n"
             "base_url = \""
           + base + "\"\ntoken_url = \"" + base
           + "/oauth-v1/token\"\nwebsocket_url = \"" + ws
           + "\"\nclient_id = \"bench\"\nclient_secret = \"bench-secret\"\n"
             "credentials = \"db\"\n[tenants.sync]\nentities = "
           + (invoices ? "[\"customers\", \"invoices\"]" : "[\"customers\"]")
           + "\npoll_interval = \"1h\"\nreconcile_interval = \"24h\"\n";
  }

  std::unique_ptr<node_process> start_node(bool events, bool invoices,
                                           const std::string& name) {
    auto path = tmp / ("ledgerd-bench-sync-" + name + ".toml");
    std::ofstream{path} << config(events, invoices);
    // The port is read from the log: an old log must not answer first.
    auto log = tmp / ("ledgerd-bench-sync-" + name + ".log");
    std::filesystem::remove(log);
    auto node = std::make_unique<node_process>((dir / "ledgerd").string(),
                                               path.string(), log);
    node_port = node->port(60s);
    return node;
  }

  /// Stops the node and waits out one rate-limit window: a node starts
  /// with an empty limiter, while the provider still counts the previous
  /// run's last requests (a restart within a window can meet 429s).
  void stop_node(std::unique_ptr<node_process>& node) {
    peak_rss_mb = std::max(peak_rss_mb, node->peak_rss_mb());
    node.reset();
    wait_budget_free();
  }

  /// Waits out one rate-limit window, so that a timed phase starts with
  /// the budget its floor assumes: the previous phase's last requests no
  /// longer count.
  static void wait_budget_free() {
    std::this_thread::sleep_for(5500ms);
  }

  uint16_t node_port = 0;

  void manual_sync(const std::string& entity) {
    http::client_request req;
    req.method = "POST";
    req.url = "http://127.0.0.1:" + std::to_string(node_port) + "/v1/tenants/"
              + tenant + "/sync";
    req.headers.emplace_back("Authorization", "Bearer " + token);
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = json{{"entity", entity}}.dump();
    // A keep-alive connection the node closed meanwhile fails once.
    auto res = client.send_sync(req);
    if (res.status == 0)
      res = client.send_sync(req);
    if (res.status != 202)
      throw std::runtime_error("manual sync: " + std::to_string(res.status)
                               + " " + res.body + res.message);
  }
};

std::string value(pg::connection& conn, const std::string& sql) {
  auto res = conn.exec("bench.value", sql);
  return res.rows() > 0 && !res.is_null(0, 0) ? res.get<std::string>(0, 0) : "";
}

int64_t count(pg::connection& conn, const std::string& sql) {
  auto v = value(conn, sql);
  return v.empty() ? 0 : std::stoll(v);
}

/// No job pending or running and the outbox empty, three checks in a row.
void wait_quiet(pg::connection& conn, std::chrono::seconds limit) {
  auto deadline = clock_type::now() + limit;
  int quiet = 0;
  while (clock_type::now() < deadline) {
    auto busy = count(conn, "SELECT (SELECT count(*) FROM ledgerd.jobs WHERE "
                            "state IN ('pending', 'processing')) + (SELECT "
                            "count(*) FROM ledgerd.outbox WHERE processed_at "
                            "IS NULL)");
    quiet = busy == 0 ? quiet + 1 : 0;
    if (quiet == 3)
      return;
    std::this_thread::sleep_for(20ms);
  }
  throw std::runtime_error("the node did not settle");
}

/// Waits until `sql` counts `want`.
void wait_count(pg::connection& conn, const std::string& sql, int64_t want,
                std::chrono::seconds limit, const std::string& what) {
  auto deadline = clock_type::now() + limit;
  while (count(conn, sql) < want) {
    if (clock_type::now() > deadline)
      throw std::runtime_error("timed out waiting for " + what);
    std::this_thread::sleep_for(20ms);
  }
}

const std::string linked_invoices
  = "SELECT count(*) FROM ledgerd.links WHERE entity = 'invoice' AND status = "
    "'linked'";

struct run_figures {
  double seconds = 0;
  int64_t requests = 0;
  int64_t needed = 0;
};

/// Edits `n` remote invoices (not yet edited) at the provider, then a manual
/// delta pull; until every edit is in the local rows.
run_figures pull_changed(world& w, pg::connection& conn, const json& invoices,
                         size_t& next, size_t n) {
  world::wait_budget_free();
  auto mark = "bench " + std::to_string(next);
  for (size_t i = 0; i < n; ++i)
    w.sim_call("PUT",
               "/sim/tenants/fortnox/" + tenant + "/invoices/"
                 + invoices.at(next + i).at("id").get<std::string>(),
               {{"YourReference", mark}});
  next += n;
  auto before = w.sim_requests();
  auto t0 = clock_type::now();
  w.manual_sync("invoice");
  wait_count(conn,
             "SELECT count(*) FROM ledger.invoices WHERE your_reference = '"
               + mark + "'",
             static_cast<int64_t>(n), 600s, "the changed invoices");
  run_figures out;
  out.seconds = since_s(t0);
  wait_quiet(conn, 60s);
  out.requests = w.sim_requests() - before;
  out.needed = 1 + static_cast<int64_t>(n); // one list page, n details
  return out;
}

/// Inserts `customers` new local customers and `n` new invoices (spread
/// over them, or over existing ones when `customers` is 0); until every
/// one is linked.
run_figures push_new(world& w, pg::connection& conn, size_t n, size_t customers,
                     int round) {
  world::wait_budget_free();
  auto before_links = count(conn, linked_invoices);
  auto before = w.sim_requests();
  auto t0 = clock_type::now();
  auto tag = "push" + std::to_string(round);
  conn.exec("bench.begin", "BEGIN");
  if (customers > 0)
    conn.exec("bench.customers",
              "INSERT INTO ledger.customers (tenant, name, email, city) "
              "SELECT $1, 'Bench ' || $2 || ' ' || g, 'b' || g || '@' || $2 "
              "|| '.se', 'Uppsala' FROM generate_series(1, $3::int) g",
              tenant, tag, std::to_string(customers));
  auto pool = customers > 0
                ? "SELECT id FROM ledger.customers WHERE name LIKE 'Bench "
                    + tag + " %'"
                : std::string{"SELECT id FROM ledger.customers WHERE tenant = '"
                              + tenant + "' AND deleted_at IS NULL LIMIT 50"};
  conn.exec("bench.invoices",
            "WITH c AS (SELECT id, row_number() OVER () - 1 AS k FROM (" + pool
              + ") x), n AS (SELECT count(*) AS n FROM c), "
                "i AS (INSERT INTO ledger.invoices (tenant, customer_id, "
                "invoice_date, due_date, total, vat, your_reference) "
                "SELECT $1, c.id, current_date, current_date + 30, 12500, "
                "2500, $2 FROM generate_series(0, $3::int - 1) g "
                "JOIN n ON true JOIN c ON c.k = g % n.n RETURNING id) "
                "INSERT INTO ledger.invoice_rows (invoice_id, line_no, "
                "description, quantity, unit_price, vat_percent) "
                "SELECT id, 1, 'Consulting', 2, 5000, 25 FROM i",
            tenant, tag, std::to_string(n));
  conn.exec("bench.commit", "COMMIT");
  wait_count(conn, linked_invoices, before_links + static_cast<int64_t>(n),
             1200s, "the pushed invoices");
  run_figures out;
  out.seconds = since_s(t0);
  wait_quiet(conn, 120s);
  out.requests = w.sim_requests() - before;
  out.needed = static_cast<int64_t>(n + customers);
  return out;
}

json figures(const run_figures& f) {
  return {{"s", f.seconds},
          {"floor_s", floor_s(f.needed)},
          {"round_trip_floor_s", round_trip_floor_s(f.needed)},
          {"requests", f.requests},
          {"needed", f.needed}};
}

/// The requests of one manual invoice sync, until the node is quiet.
int64_t poll_requests(world& w, pg::connection& conn) {
  auto before = w.sim_requests();
  w.manual_sync("invoice");
  std::this_thread::sleep_for(200ms);
  wait_quiet(conn, 120s);
  return w.sim_requests() - before;
}

/// A local edit of a pushed invoice until the provider holds it.
std::vector<double> fresh_push(world& w, pg::connection& conn, int samples) {
  std::vector<double> ms;
  for (int i = 0; i < samples; ++i) {
    auto local = value(conn, "SELECT l.local_id FROM ledgerd.links l JOIN "
                             "ledger.invoices i ON i.id::text = l.local_id "
                             "WHERE l.entity = 'invoice' AND i.status = "
                             "'draft' ORDER BY l.local_id OFFSET "
                               + std::to_string(i) + " LIMIT 1");
    auto remote = value(conn, "SELECT remote_id FROM ledgerd.links WHERE "
                              "entity = 'invoice' AND local_id = '"
                                + local + "'");
    auto mark = "fresh push " + std::to_string(i);
    auto t0 = clock_type::now();
    conn.exec("bench.edit",
              "UPDATE ledger.invoices SET your_reference = $1 WHERE id = "
              "$2::uuid",
              mark, local);
    auto path = "/sim/tenants/fortnox/" + tenant + "/invoices/" + remote;
    while (w.sim_call("GET", path).at("data").value("YourReference", "")
           != mark) {
      if (since_s(t0) > 60)
        throw std::runtime_error("a local edit did not reach the provider");
      std::this_thread::sleep_for(2ms);
    }
    ms.push_back(since_s(t0) * 1000);
    std::this_thread::sleep_for(sample_spacing);
  }
  return ms;
}

/// A provider edit (announced by its event) until the local row has it.
std::vector<double> fresh_pull(world& w, pg::connection& conn,
                               const json& invoices, int samples) {
  std::vector<double> ms;
  for (int i = 0; i < samples; ++i) {
    auto remote = invoices.at(static_cast<size_t>(invoices.size() - 1 - i))
                    .at("id")
                    .get<std::string>();
    auto mark = "fresh pull " + std::to_string(i);
    auto t0 = clock_type::now();
    w.sim_call("PUT", "/sim/tenants/fortnox/" + tenant + "/invoices/" + remote,
               {{"YourReference", mark}});
    while (count(conn, "SELECT count(*) FROM ledger.invoices WHERE "
                       "your_reference = '"
                         + mark + "'")
           == 0) {
      if (since_s(t0) > 60)
        throw std::runtime_error("a provider edit did not reach the rows");
      std::this_thread::sleep_for(2ms);
    }
    ms.push_back(since_s(t0) * 1000);
    std::this_thread::sleep_for(sample_spacing);
  }
  return ms;
}

int run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_sync CONNINFO [INVOICES] [SAMPLES]\n";
    return 2;
  }
  auto invoices_n = static_cast<size_t>(argc > 2 ? std::stoi(argv[2]) : 1000);
  int samples = argc > 3 ? std::stoi(argv[3]) : 20;
  auto customers_n = std::max<size_t>(invoices_n / 5, 1);
  sim::sim_options sopts;
  sim::simulator simulator{sopts};
  simulator.start();
  world w;
  w.conninfo = argv[1];
  w.sim_port = simulator.port();
  w.sim = "http://127.0.0.1:" + std::to_string(w.sim_port);
  w.dir = std::filesystem::path{argv[0]}.parent_path();
  w.tmp = std::filesystem::temp_directory_path();
  {
    pg::connection conn{w.conninfo};
    pg::migrate(conn);
  }
  auto tokens = w.sim_call("POST", "/sim/tenants",
                           {{"provider", "fortnox"},
                            {"tenant", tenant},
                            {"client_id", "bench"},
                            {"client_secret", "bench-secret"},
                            {"customers", customers_n},
                            {"invoices", invoices_n},
                            {"seed", 1}});
  {
    pg::pool_options opts;
    opts.conninfo = w.conninfo;
    opts.max_size = 1;
    auto pool = std::make_shared<pg::pool>(opts);
    pg::credential_store{pool, 10s}.put(
      tenant, "fortnox", tokens.at("refresh_token").get<std::string>());
  }
  w.sim_call(
    "POST", "/sim/faults",
    {{"latency_ms", {{"min", latency_min_ms}, {"max", latency_max_ms}}}});
  pg::connection conn{w.conninfo};
  auto remote_invoices
    = w.sim_call("GET", "/sim/tenants/fortnox/" + tenant + "/invoices");

  // Setup: the customers first, so that the invoice pull needs only its own
  // requests.
  auto node = w.start_node(false, false, "customers");
  wait_count(conn,
             "SELECT count(*) FROM ledgerd.cursors WHERE entity = 'customer' "
             "AND watermark IS NOT NULL",
             1, 600s, "the customers");
  wait_quiet(conn, 60s);
  w.stop_node(node);

  // Pull: every invoice is new to ledgerd.
  auto before = w.sim_requests();
  auto t0 = clock_type::now();
  node = w.start_node(false, true, "pull");
  wait_count(conn, linked_invoices, static_cast<int64_t>(invoices_n), 1200s,
             "the first invoice pull");
  run_figures pull_all{
    since_s(t0), 0,
    static_cast<int64_t>((invoices_n + 499) / 500 + invoices_n)};
  wait_quiet(conn, 60s);
  pull_all.requests = w.sim_requests() - before;

  size_t next = 0;
  auto pull_10 = pull_changed(w, conn, remote_invoices, next, 10);
  auto pull_100 = pull_changed(w, conn, remote_invoices, next, 100);
  auto steady = poll_requests(w, conn);
  auto quiet = poll_requests(w, conn); // the poll after it

  auto push_10 = push_new(w, conn, 10, 0, 1);
  auto push_100 = push_new(w, conn, 100, 0, 2);
  auto push_all = push_new(w, conn, invoices_n, customers_n, 3);
  w.stop_node(node);

  // Freshness with the budget free, the event stream on.
  // Subscribing replays the topics' events, also those of every record the
  // pushes just created: wait until they are pulled and the budget is free.
  before = w.sim_requests();
  node = w.start_node(true, true, "fresh");
  std::this_thread::sleep_for(3s); // subscribed, first polls done
  wait_quiet(conn, 1200s);
  auto warmup = w.sim_requests() - before;
  auto push_ms = fresh_push(w, conn, samples);
  auto pull_ms = fresh_pull(w, conn, remote_invoices, samples);
  wait_quiet(conn, 60s);
  w.stop_node(node);

  auto n = std::to_string(invoices_n);
  json out{{"bench", "sync"},
           {"invoices", invoices_n},
           {"customers", customers_n},
           {"pull_" + n + "_s", pull_all.seconds},
           {"pull_floor_s", floor_s(pull_all.needed)},
           {"pull_round_trip_floor_s", round_trip_floor_s(pull_all.needed)},
           {"push_" + n + "_s", push_all.seconds},
           {"push_floor_s", floor_s(push_all.needed)},
           {"push_round_trip_floor_s", round_trip_floor_s(push_all.needed)},
           {"requests",
            {{"pull_" + n, pull_all.requests},
             {"pull_" + n + "_needed", pull_all.needed},
             {"push_" + n, push_all.requests},
             {"push_" + n + "_needed", push_all.needed}}},
           {"pull_10", figures(pull_10)},
           {"pull_100", figures(pull_100)},
           {"push_10", figures(push_10)},
           {"push_100", figures(push_100)},
           {"steady_poll_requests", steady},
           {"quiet_poll_requests", quiet},
           {"event_replay_requests", warmup},
           {"pull_requests_per_changed_record",
            static_cast<double>(pull_100.requests) / 100.0},
           {"http_429", w.sim_throttled()},
           {"peak_rss_mb", w.peak_rss_mb},
           {"fresh_push_p50_ms", percentile(push_ms, 0.5)},
           {"fresh_push_p99_ms", percentile(push_ms, 0.99)},
           {"fresh_pull_p50_ms", percentile(pull_ms, 0.5)},
           {"fresh_pull_p99_ms", percentile(pull_ms, 0.99)}};
  std::cout << out.dump() << std::endl;
  w.client.stop();
  simulator.stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  // Caught here so that the node child is stopped by its destructor.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_sync: " << e.what() << "\n";
    return 1;
  }
}
