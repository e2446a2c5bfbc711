// Webhook ingest benchmark: the real ledgerd node (a child process on a
// private database) receives Standard Webhooks signed events over loopback
// at a fixed rate. The load is open-loop: request i is due at start + i /
// rate and its latency counts from that moment, so a slow server cannot
// hide its queueing (no coordinated omission). At the end every sent event
// must be in ledgerd.inbox.
//
// Usage: bench_webhooks CONNINFO [RATE=2000] [SECONDS=30]
// Prints one JSON line: {"bench":"webhooks","rps":...,"p50_ms":...,
// "p99_ms":...,"lost":...,"peak_rss_mb":...}.
#include "adapters/http/client.hpp"
#include "adapters/pg/connection.hpp"
#include "state/base64.hpp"
#include "state/webhook_signature.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "bench/node_process.hpp"

using namespace std::chrono_literals;
using namespace ledgerd;
using ledgerd::bench::clock_type;
using ledgerd::bench::node_process;
using ledgerd::bench::percentile;

namespace {

const std::string secret = "whsec_" + state::base64_encode("bench secret 42");

std::string node_config(const std::string& conninfo) {
  return "[node]\nlisten = \"127.0.0.1:0\"\n"
         "[database]\nurl = \""
         + conninfo
         + "\"\npool_size = 16\n[api]\ntokens = [\"bench\"]\n"
           "[[tenants]]\nid = \"acme\"\n[[tenants.connections]]\n"
           "provider = \"visma\"\nbase_url = \"http://127.0.0.1:9/visma\"\n"
           "token_url = \"http://127.0.0.1:9/visma/connect/token\"\n"
           "client_id = \"c\"\nclient_secret = \"s\"\n"
           "[tenants.webhooks]\nsecrets = [\""
         + secret + "\"]\n";
}

} // namespace

int run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_webhooks CONNINFO [RATE] [SECONDS]\n";
    return 2;
  }
  std::string conninfo = argv[1];
  int rate = argc > 2 ? std::stoi(argv[2]) : 2000;
  int seconds = argc > 3 ? std::stoi(argv[3]) : 30;
  auto dir = std::filesystem::path{argv[0]}.parent_path();
  auto tmp = std::filesystem::temp_directory_path();
  auto config
    = tmp / ("ledgerd-bench-webhooks-" + std::to_string(getpid()) + ".toml");
  std::ofstream{config} << node_config(conninfo);
  node_process node{
    (dir / "ledgerd").string(), config.string(),
    tmp / ("ledgerd-bench-webhooks-" + std::to_string(getpid()) + ".log")};
  auto port = node.port(60s);
  auto url
    = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/visma/acme";
  auto key = *state::webhook_key(secret);

  http::client_options copts;
  copts.max_connections_per_host = 64;
  http::client client{copts};
  const auto total = static_cast<size_t>(rate) * static_cast<size_t>(seconds);
  std::vector<double> latency_ms(total, -1);
  std::vector<int> status(total, 0);
  std::atomic<size_t> finished{0};
  std::mutex first_error_mtx;
  std::string first_error;
  auto start = clock_type::now() + 200ms;
  auto stamp
    = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count());
  for (size_t i = 0; i < total; ++i) {
    auto due = start
               + std::chrono::duration_cast<clock_type::duration>(
                 std::chrono::duration<double>(static_cast<double>(i) / rate));
    std::this_thread::sleep_until(due);
    auto id = "bench-" + std::to_string(i);
    auto body = nlohmann::json{{"type", "invoice.updated"},
                               {"data",
                                {{"entity", "invoice"},
                                 {"id", std::to_string(i % 1000 + 1)}}}}
                  .dump();
    http::client_request req;
    req.method = "POST";
    req.url = url;
    req.body = body;
    req.headers
      = {{"Content-Type", "application/json"},
         {"webhook-id", id},
         {"webhook-timestamp", stamp},
         {"webhook-signature", state::webhook_sign(key, id, stamp, body)}};
    client.send(std::move(req), [&, i, due](http::client_result res) {
      latency_ms[i]
        = std::chrono::duration<double, std::milli>(clock_type::now() - due)
            .count();
      status[i] = res.status;
      if (res.status != 202) {
        std::lock_guard guard{first_error_mtx};
        if (first_error.empty())
          first_error = std::to_string(res.status) + " " + res.message + " "
                        + res.body.substr(0, 200);
      }
      ++finished;
    });
  }
  auto sent_at = clock_type::now();
  while (finished < total && clock_type::now() < sent_at + 120s)
    std::this_thread::sleep_for(10ms);
  auto elapsed
    = std::chrono::duration<double>(clock_type::now() - start).count();
  size_t accepted = 0;
  std::vector<double> lat;
  for (size_t i = 0; i < total; ++i) {
    if (status[i] == 202)
      ++accepted;
    if (latency_ms[i] >= 0)
      lat.push_back(latency_ms[i]);
  }
  pg::connection conn{conninfo};
  auto stored = conn.exec("bench.inbox", "SELECT count(*) FROM ledgerd.inbox")
                  .get<int64_t>(0, 0);
  auto rss = node.peak_rss_mb();
  client.stop();
  std::filesystem::remove(config);
  nlohmann::json out{{"bench", "webhooks"},
                     {"rate", rate},
                     {"seconds", seconds},
                     {"sent", total},
                     {"accepted", accepted},
                     {"rps", static_cast<double>(accepted) / elapsed},
                     {"p50_ms", percentile(lat, 0.50)},
                     {"p99_ms", percentile(lat, 0.99)},
                     {"max_ms", percentile(lat, 1.0)},
                     {"lost", static_cast<int64_t>(total) - stored},
                     {"peak_rss_mb", rss}};
  if (!first_error.empty())
    out["first_error"] = first_error;
  std::cout << out.dump() << std::endl;
  return 0;
}

int main(int argc, char** argv) {
  // Caught here so that the node child is stopped by its destructor.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_webhooks: " << e.what() << "\n";
    return 1;
  }
}
