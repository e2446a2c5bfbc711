// Queue benchmark: N no-op jobs through the full durable lifecycle (batch
// enqueue, claim, job actor, batched completion with transition rows) with
// the real dispatcher and job actors, several rounds on the same database.
// Prints one JSON line: {"bench":"queue", ...}.
//
// Usage: bench_queue CONNINFO [JOBS] [ROUNDS] [CONCURRENCY]
#include "actors/builtin_jobs.hpp"
#include "actors/dispatcher.hpp"
#include "adapters/log.hpp"
#include "adapters/pg/migrations.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>
#include <sys/resource.h>
#include <thread>

using namespace std::chrono_literals;
using namespace ledgerd;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

/// Enqueues `jobs` no-op jobs in batches; returns jobs per second.
double enqueue_all(pg::job_store& store, size_t jobs) {
  constexpr size_t batch = 5000;
  job_spec spec;
  spec.tenant = "bench";
  spec.provider = "none";
  spec.kind = "noop";
  auto t0 = clock_type::now();
  for (size_t done = 0; done < jobs; done += batch) {
    std::vector<job_spec> specs(std::min(batch, jobs - done), spec);
    store.enqueue_batch(specs, std::chrono::system_clock::now());
  }
  return static_cast<double>(jobs) / seconds_since(t0);
}

uint64_t completed(caf::scoped_actor& self, const dispatcher_actor& d) {
  uint64_t n = 0;
  self->request(d, 10s, health_atom_v)
    .receive(
      [&](const dispatcher_status& st) {
        n = st.completed;
      },
      [](caf::error&) {});
  return n;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_queue CONNINFO [JOBS] [ROUNDS] [CONCURRENCY]\n";
    return 2;
  }
  std::string conninfo = argv[1];
  size_t jobs = argc > 2 ? std::stoul(argv[2]) : 200'000;
  size_t rounds = argc > 3 ? std::stoul(argv[3]) : 3;
  size_t concurrency = argc > 4 ? std::stoul(argv[4]) : 2000;
  log::set_level(log::level::warn);
  {
    pg::connection conn{conninfo};
    pg::migrate(conn);
  }
  pg::pool_options popts;
  popts.conninfo = conninfo;
  popts.max_size = 4;
  auto pool = std::make_shared<pg::pool>(popts);
  auto store = std::make_shared<pg::job_store>(pool, 10s);
  auto registry = std::make_shared<job_registry>();
  add_builtin_jobs(*registry);

  caf::actor_system_config cfg;
  register_messages(cfg);
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  dispatcher_options opts;
  opts.owner = "bench";
  opts.concurrency = concurrency;
  opts.per_tenant_concurrency = concurrency;
  opts.flush_size = 1000;
  opts.poll_interval = 100ms;
  opts.listen_conninfo = conninfo;

  std::vector<double> enqueue_rates;
  std::vector<double> job_rates;
  for (size_t r = 0; r < rounds; ++r) {
    enqueue_rates.push_back(enqueue_all(*store, jobs));
    std::cerr << "round " << r + 1 << ": after enqueue, peak rss "
              << static_cast<int64_t>(peak_rss_mb()) << " MB\n";
    auto t0 = clock_type::now();
    auto d = sys.spawn<caf::detached>(
      dispatcher, store, std::shared_ptr<const job_registry>{registry}, opts);
    while (completed(self, d) < jobs)
      std::this_thread::sleep_for(5ms);
    job_rates.push_back(static_cast<double>(jobs) / seconds_since(t0));
    self->send_exit(d, caf::exit_reason::user_shutdown);
    self->wait_for(d);
    std::cerr << "round " << r + 1 << ": enqueue "
              << static_cast<int64_t>(enqueue_rates.back()) << "/s, run "
              << static_cast<int64_t>(job_rates.back()) << " jobs/s, peak rss "
              << static_cast<int64_t>(peak_rss_mb()) << " MB\n";
  }
  auto round_ints = [](const std::vector<double>& xs) {
    std::vector<int64_t> out;
    for (auto x : xs)
      out.push_back(static_cast<int64_t>(x));
    return out;
  };
  nlohmann::json out{
    {"bench", "queue"},
    {"jobs", jobs},
    {"rounds", rounds},
    {"concurrency", concurrency},
    {"enqueue_per_s", static_cast<int64_t>(*std::min_element(
                        enqueue_rates.begin(), enqueue_rates.end()))},
    {"jobs_per_s", static_cast<int64_t>(
                     *std::min_element(job_rates.begin(), job_rates.end()))},
    {"jobs_per_s_rounds", round_ints(job_rates)},
    {"enqueue_per_s_rounds", round_ints(enqueue_rates)},
    {"peak_rss_mb", static_cast<int64_t>(peak_rss_mb())},
  };
  std::cout << out.dump() << std::endl;
  return 0;
}
