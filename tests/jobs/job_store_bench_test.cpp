// Throughput of the job store alone (no actors): enqueue_batch, then claim
// and finish in batches, several rounds on the same database. Hidden (tag
// [.bench]); run it against a durable server (fsync and synchronous_commit
// on) with
//
//   LEDGERD_BENCH_CONNINFO='host=... dbname=...' test_jobs '[bench]'
//
// optionally with LEDGERD_BENCH_JOBS (default 200000), LEDGERD_BENCH_ROUNDS
// (3) and LEDGERD_BENCH_BATCH (1000 jobs per claim and per finish). The
// database is migrated and its job tables emptied first. Without the
// variable it runs on the test cluster (fsync off) with 20,000 jobs.
#include "adapters/pg/job_store.hpp"
#include "adapters/pg/migrations.hpp"
#include "tests/support/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace ledgerd;
using namespace std::chrono_literals;

namespace {

size_t env_size(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::stoul(v) : fallback;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
    .count();
}

} // namespace

TEST_CASE("job store throughput", "[.bench]") {
  std::unique_ptr<test::test_database> own;
  std::string conninfo;
  size_t jobs = 20000;
  if (const char* c = std::getenv("LEDGERD_BENCH_CONNINFO")) {
    conninfo = c;
    jobs = 200000;
  } else {
    own = std::make_unique<test::test_database>();
    conninfo = own->conninfo();
  }
  jobs = env_size("LEDGERD_BENCH_JOBS", jobs);
  auto rounds = env_size("LEDGERD_BENCH_ROUNDS", 3);
  auto batch = env_size("LEDGERD_BENCH_BATCH", 1000);
  pg::connection admin{conninfo};
  pg::migrate(admin);
  admin.exec_script("bench.reset", "TRUNCATE ledgerd.jobs, ledgerd.jobs_done, "
                                   "ledgerd.job_events");
  pg::pool_options opts;
  opts.conninfo = conninfo;
  opts.max_size = 2;
  pg::job_store store{std::make_shared<pg::pool>(opts), 10s};
  job_spec spec;
  spec.tenant = "bench";
  spec.provider = "none";
  spec.kind = "noop";
  for (size_t round = 1; round <= rounds; ++round) {
    auto t = std::chrono::steady_clock::now();
    for (size_t done = 0; done < jobs; done += 5000) {
      std::vector<job_spec> specs(std::min<size_t>(5000, jobs - done), spec);
      store.enqueue_batch(specs, std::chrono::system_clock::now());
    }
    auto enqueue_s = seconds_since(t);
    t = std::chrono::steady_clock::now();
    size_t finished = 0;
    double claim_max = 0;
    double finish_max = 0;
    double claim_total = 0;
    double finish_total = 0;
    for (;;) {
      auto tc = std::chrono::steady_clock::now();
      pg::claim_request req;
      req.owner = "bench";
      req.limit = batch;
      req.per_tenant_limit = batch;
      req.now = std::chrono::system_clock::now();
      auto claimed = store.claim(req);
      auto dc = seconds_since(tc);
      claim_max = std::max(claim_max, dc);
      claim_total += dc;
      if (claimed.empty())
        break;
      std::vector<job_outcome> outs;
      outs.reserve(claimed.size());
      for (const auto& j : claimed) {
        job_outcome o;
        o.id = j.id;
        o.lease_owner = j.lease_owner;
        o.attempt = j.attempt;
        o.next_state = "completed";
        outs.push_back(std::move(o));
      }
      auto tf = std::chrono::steady_clock::now();
      auto lost = store.finish(outs, std::chrono::system_clock::now());
      auto df = seconds_since(tf);
      finish_max = std::max(finish_max, df);
      finish_total += df;
      REQUIRE(lost.empty());
      finished += claimed.size();
    }
    auto lifecycle_s = seconds_since(t);
    CHECK(finished == jobs);
    auto size = [&](const char* rel) {
      return admin
        .exec("bench.size", "SELECT pg_total_relation_size($1::regclass)", rel)
        .get<int64_t>(0, 0);
    };
    std::cout << "{\"round\":" << round << ",\"jobs\":" << jobs
              << ",\"batch\":" << batch
              << ",\"enqueue_per_s\":" << static_cast<double>(jobs) / enqueue_s
              << ",\"claim_finish_per_s\":"
              << static_cast<double>(jobs) / lifecycle_s << ",\"total_per_s\":"
              << static_cast<double>(jobs) / (enqueue_s + lifecycle_s)
              << ",\"claim_s\":" << claim_total
              << ",\"claim_max_ms\":" << claim_max * 1000
              << ",\"finish_s\":" << finish_total
              << ",\"finish_max_ms\":" << finish_max * 1000
              << ",\"jobs_bytes\":" << size("ledgerd.jobs")
              << ",\"jobs_done_bytes\":" << size("ledgerd.jobs_done")
              << ",\"job_events_bytes\":" << size("ledgerd.job_events") << "}"
              << std::endl;
  }
}

TEST_CASE("claim cost with a huge backlog and many tenants", "[.bench]") {
  std::unique_ptr<test::test_database> own;
  std::string conninfo;
  if (const char* c = std::getenv("LEDGERD_BENCH_CONNINFO")) {
    conninfo = c;
  } else {
    own = std::make_unique<test::test_database>();
    conninfo = own->conninfo();
  }
  pg::connection admin{conninfo};
  pg::migrate(admin);
  admin.exec_script("bench.reset", "TRUNCATE ledgerd.jobs, ledgerd.jobs_done, "
                                   "ledgerd.job_events");
  pg::pool_options opts;
  opts.conninfo = conninfo;
  opts.max_size = 2;
  pg::job_store store{std::make_shared<pg::pool>(opts), 10s};
  auto now = std::chrono::system_clock::now();
  job_spec spec;
  spec.provider = "none";
  spec.kind = "noop";
  spec.tenant = "big";
  for (int i = 0; i < 20; ++i) {
    std::vector<job_spec> specs(5000, spec);
    for (size_t k = 0; k < specs.size(); ++k)
      specs[k].priority = static_cast<int16_t>(k % 4);
    store.enqueue_batch(specs, now - 1h);
  }
  std::vector<job_spec> small;
  for (int t = 0; t < 999; ++t) {
    spec.tenant = "t" + std::to_string(t);
    small.push_back(spec);
  }
  store.enqueue_batch(small, now);
  admin.exec_script("bench.analyze", "ANALYZE ledgerd.jobs");
  std::set<std::string> tenants;
  for (int round = 1; round <= 5; ++round) {
    pg::claim_request req;
    req.owner = "bench";
    req.limit = 100;
    req.per_tenant_limit = 4;
    req.now = std::chrono::system_clock::now();
    auto t = std::chrono::steady_clock::now();
    auto claimed = store.claim(req);
    auto ms = seconds_since(t) * 1000;
    for (const auto& j : claimed)
      tenants.insert(j.tenant);
    std::cout << "{\"claim_round\":" << round
              << ",\"claimed\":" << claimed.size() << ",\"ms\":" << ms
              << ",\"distinct_tenants_so_far\":" << tenants.size() << "}"
              << std::endl;
    CHECK(claimed.size() == 100);
  }
  // 5 rounds of 100 with at most 4 per tenant: 500 distinct jobs, at most 4
  // of "big", so at least 496 small tenants served.
  CHECK(tenants.size() >= 497);
}
