// The sync core end to end: the provider fixture (simulator on loopback,
// real PostgreSQL, provider actors) plus the job dispatcher running the
// sync jobs. Tests enqueue pulls, change records on either side and wait
// until the queue is quiet, then compare both sides.
#pragma once

#include "actors/dispatcher.hpp"
#include "actors/outbox_relay.hpp"
#include "actors/sync_jobs.hpp"
#include "adapters/pg/outbox_queue.hpp"
#include "tests/integration/provider_fixture.hpp"

#include <thread>

namespace ledgerd::test {

struct sync_fixture : provider_fixture {
  std::shared_ptr<pg::job_store> jobs;
  std::shared_ptr<sync_env> env = std::make_shared<sync_env>();
  caf::actor dispatcher_hdl;

  explicit sync_fixture(fixture_options opts = {})
    : provider_fixture(opts) {
    jobs = std::make_shared<pg::job_store>(pool, std::chrono::seconds{10});
    env->db = pool;
    env->cfg = cfg;
    env->dir = dir;
    env->jobs = jobs;
    env->call_timeout = std::chrono::seconds{60};
    auto registry = std::make_shared<job_registry>();
    add_sync_jobs(*registry, env);
    dispatcher_options d;
    d.owner = "test";
    d.concurrency = 8;
    d.poll_interval = std::chrono::milliseconds{50};
    auto runner = std::make_shared<job_runner_options>();
    runner->backoff.base = std::chrono::milliseconds{20};
    runner->backoff.cap = std::chrono::milliseconds{200};
    d.runner = std::move(runner);
    dispatcher_hdl = caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(
      dispatcher, jobs, std::shared_ptr<const job_registry>{registry}, d));
  }

  ~sync_fixture() {
    caf::anon_send_exit(dispatcher_hdl, caf::exit_reason::user_shutdown);
    self->wait_for(dispatcher_hdl);
  }

  int64_t enqueue(const std::string& tenant, const std::string& provider,
                  const std::string& kind, nlohmann::json payload,
                  const std::string& dedup = {}) {
    job_spec spec;
    spec.tenant = tenant;
    spec.provider = provider;
    spec.kind = kind;
    spec.payload = payload.dump();
    spec.priority = 3;
    spec.dedup_key = dedup;
    return jobs->enqueue(spec, std::chrono::system_clock::now()).id;
  }

  void pull(const std::string& tenant, const std::string& provider,
            const std::string& entity) {
    enqueue(tenant, provider, "pull", {{"entity", entity}},
            pull_key(tenant, provider, entity));
  }

  /// Relays local changes into push jobs and waits until no job is pending
  /// or running and the outbox is empty.
  void settle(std::chrono::seconds limit = std::chrono::seconds{120}) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    int quiet = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      relay_outbox_once(*env, 500);
      auto counts = jobs->count_by_state({});
      auto outbox = [&] {
        auto conn = pool->acquire(std::chrono::seconds{10});
        return pg::count_outbox_pending(*conn);
      }();
      if (counts["pending"] + counts["processing"] + outbox == 0) {
        if (++quiet == 3)
          return;
      } else {
        quiet = 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    FAIL("the sync did not settle: " << jobs_summary());
  }

  std::string jobs_summary() {
    std::string out;
    pg::job_filter f;
    f.limit = 20;
    for (const auto& j : jobs->list(f))
      out += "\n  #" + std::to_string(j.id) + " " + j.kind + " " + j.state + " "
             + j.last_error;
    return out;
  }

  int64_t count(const std::string& state) {
    return jobs->count_by_state({})[state];
  }

  /// SQL helper: first column of the first row.
  std::string sql(const std::string& text) {
    return db.query_value(text);
  }

  /// Remote records of a simulator tenant (admin API).
  nlohmann::json remote(const std::string& provider, const std::string& tenant,
                        const std::string& entity) {
    return admin("GET",
                 "/sim/tenants/" + provider + "/" + tenant + "/" + entity);
  }
};

} // namespace ledgerd::test
