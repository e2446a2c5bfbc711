// Rate-limit benchmark: the cost of a grant through the rate-limit actor
// with 1,000 buckets, and the time from asking to being granted when a slot
// is free. Prints one JSON line: {"bench":"ratelimit", ...}.
//
// Usage: bench_ratelimit [GRANTS] [BUCKETS]
#include "actors/rate_limiter.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <sys/resource.h>

using namespace std::chrono_literals;
using namespace ledgerd;

namespace {

using clock_type = std::chrono::steady_clock;

grant_request request_for(size_t bucket) {
  grant_request req;
  // A limit no run reaches: every request finds a free slot, so the figures
  // are the actor's own cost, not waiting.
  req.buckets.push_back({"bench/" + std::to_string(bucket), 4'000'000'000u,
                         caf::timespan{5s}, caf::timespan{100ms}, false});
  req.priority = static_cast<int16_t>(bucket % 4);
  req.max_wait = 10s;
  req.request_timeout = 10s;
  return req;
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

/// One request at a time: microseconds from asking to the grant.
std::vector<double> latencies(caf::scoped_actor& self,
                              const rate_limiter_actor& lim, size_t n,
                              size_t buckets) {
  std::vector<double> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto t0 = clock_type::now();
    uint64_t id = 0;
    self->request(lim, 10s, request_for(i % buckets))
      .receive(
        [&](const grant& g) {
          id = g.id;
        },
        [](caf::error& err) {
          throw std::runtime_error(to_string(err));
        });
    out.push_back(
      std::chrono::duration<double, std::micro>(clock_type::now() - t0)
        .count());
    grant_feedback fb;
    fb.grant = id;
    self->send(lim, fb);
  }
  return out;
}

/// Many requests in flight: grants per second, feedback included.
double throughput(caf::scoped_actor& self, const rate_limiter_actor& lim,
                  size_t n, size_t buckets) {
  auto t0 = clock_type::now();
  for (size_t i = 0; i < n; ++i)
    self->send(lim, request_for(i % buckets));
  for (size_t i = 0; i < n; ++i)
    self->receive([&](const grant& g) {
      grant_feedback fb;
      fb.grant = g.id;
      self->send(lim, fb);
    });
  return static_cast<double>(n)
         / std::chrono::duration<double>(clock_type::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
  size_t grants = argc > 1 ? std::stoul(argv[1]) : 200'000;
  size_t buckets = argc > 2 ? std::stoul(argv[2]) : 1000;
  caf::actor_system_config cfg;
  register_messages(cfg);
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto lim = sys.spawn(rate_limiter);
  caf::scoped_actor self{sys};
  auto lat = latencies(self, lim, std::min<size_t>(grants, 20'000), buckets);
  std::sort(lat.begin(), lat.end());
  auto p = [&](double q) {
    return static_cast<int64_t>(lat[static_cast<size_t>(q * (lat.size() - 1))]);
  };
  auto rate = throughput(self, lim, grants, buckets);
  self->send_exit(lim, caf::exit_reason::user_shutdown);
  nlohmann::json out{
    {"bench", "ratelimit"},
    {"buckets", buckets},
    {"grants", grants},
    {"grants_per_s", static_cast<int64_t>(rate)},
    {"grant_p50_us", p(0.50)},
    {"grant_p99_us", p(0.99)},
    {"peak_rss_mb", static_cast<int64_t>(peak_rss_mb())},
  };
  std::cout << out.dump() << std::endl;
  return 0;
}
