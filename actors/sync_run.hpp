// What every sync job run (pull, push, reconcile) shares: its job, its line
// back to the job actor, the provider connection it calls, and follow-up
// jobs. A run lives in shared_ptrs held by its pending provider calls, so it
// stays alive exactly as long as it waits for an answer.
#pragma once

#include "actors/job_registry.hpp"
#include "actors/metrics_reporter.hpp"
#include "actors/sync_env.hpp"
#include "actors/sync_jobs.hpp"
#include "adapters/http/client.hpp"
#include "adapters/pg/job_fence.hpp"

#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>

namespace ledgerd {

template<class Derived>
class sync_run : public std::enable_shared_from_this<Derived> {
public:
  sync_run(caf::event_based_actor* self, job j, job_done done,
           std::shared_ptr<const sync_env> env)
    : self_(self)
    , job_(std::move(j))
    , done_(std::move(done))
    , env_(std::move(env)) {}

  /// Starts `Derived` for job `j`; an exception before the first provider
  /// call fails the job (bad payload: permanent; database: retryable).
  static void launch(caf::event_based_actor* self, const job& j, job_done done,
                     std::shared_ptr<const sync_env> env) {
    try {
      std::make_shared<Derived>(self, j, done, std::move(env))->start();
    } catch (const std::exception& e) {
      done(job_result::failure(job_error_of(e)));
    }
  }

protected:
  /// Reads the payload's entity and finds the provider actor. False (and
  /// the job failed, to be retried) when the connection is not running.
  bool bind(const nlohmann::json& payload) {
    entity_ = payload.at("entity").template get<std::string>();
    code_ = entity_code(entity_);
    provider_ = env_->provider(job_.tenant, job_.provider);
    if (!provider_) {
      fail(state::job_error::make_retryable(
        "no provider connection " + job_.tenant + "/" + job_.provider));
      return false;
    }
    watch_provider();
    return true;
  }

  /// A provider actor that stops (crashes, restarts) drops the calls it
  /// holds without an answer (CAF 0.17 has no broken_promise): the run
  /// fails at once (retryable) instead of waiting out the call timeout.
  void watch_provider() {
    self_->monitor(provider_);
    std::weak_ptr<Derived> weak = this->shared_from_this();
    self_->set_down_handler(
      [weak, watched = provider_.address()](caf::down_msg& dm) {
        if (dm.source != watched)
          return;
        if (auto run = weak.lock())
          run->fail(state::job_error::make_retryable(
            "provider connection stopped during the run: "
            + to_string(dm.reason)));
      });
  }

  /// A call of this run's entity at this job's priority.
  provider_call call(uint8_t op, std::string remote_id = {}) const {
    provider_call c;
    c.op = op;
    c.entity = code_;
    c.remote_id = std::move(remote_id);
    c.priority = job_.priority;
    return c;
  }

  /// Sends `c` to the provider actor; `f(provider_result&)` runs with the
  /// answer. No answer within the call timeout fails the job (retryable);
  /// so does what `f` throws, classified by job_error_of (a database that
  /// is down waits without spending a try).
  template<class F>
  void ask(const provider_call& c, F f) {
    auto self = this->shared_from_this();
    auto asked = clock_us();
    self_->request(provider_, env_->call_timeout, c)
      .then(
        [self, asked, f = std::move(f)](provider_result& r) mutable {
          // Between these two the provider read what the answer carries.
          auto answered = clock_us();
          for (auto& rec : r.records) {
            rec.asked_at_us = asked;
            rec.answered_at_us = answered;
          }
          try {
            f(r);
          } catch (const std::exception& e) {
            self->fail(job_error_of(e));
          }
        },
        [self](caf::error& err) {
          self->fail(state::job_error::timeout(to_string(err)));
        });
  }

  /// Our wall clock in microseconds since the epoch: reads and writes of
  /// one record are ordered by it across jobs (state/read_order.hpp).
  static int64_t clock_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
  }

  /// A follow-up job of this tenant and connection, in this job's batch at
  /// this job's priority.
  void enqueue(const std::string& kind, const nlohmann::json& payload,
               std::string dedup_key) {
    job_spec spec;
    spec.tenant = job_.tenant;
    spec.provider = job_.provider;
    spec.kind = kind;
    spec.payload = payload.dump();
    spec.priority = job_.priority;
    spec.dedup_key = std::move(dedup_key);
    spec.batch_id = job_.batch_id;
    env_->jobs->enqueue(spec, env_->now());
  }

  pg::lease db() const {
    return env_->db->acquire(env_->acquire_timeout);
  }

  /// Checks this run's lease on `conn`, inside the write's transaction when
  /// there is one: throws pg::lease_lost, so nothing is written by a run
  /// whose job belongs to someone else now (adapters/pg/job_fence.hpp).
  /// Every write of a run, local or at the provider, comes after one.
  void fence(pg::connection& conn) const {
    pg::fence_lease(conn, job_.id, job_.lease_owner, job_.attempt);
  }

  /// fence() on a connection of its own: before a provider write.
  void fence() const {
    auto conn = db();
    fence(*conn);
  }

  /// Counts `n` records written to the other side (committed).
  void count_records(const std::string& entity, const char* direction,
                     int64_t n) {
    if (n > 0)
      metrics_.add("ledgerd_records_synced_total",
                   {job_.provider, entity, direction}, static_cast<double>(n));
  }

  void fail(state::job_error err) {
    if (std::exchange(ended_, true))
      return;
    report_metrics();
    done_(job_result::failure(std::move(err)));
  }

  void succeed(const nlohmann::json& summary) {
    if (std::exchange(ended_, true))
      return;
    report_metrics();
    done_(job_result::success(summary.dump()));
  }

  /// True once the run failed or succeeded: answers still on their way
  /// (parallel fetches) then change nothing.
  bool ended() const {
    return ended_;
  }

  /// A run reports once, at its end: one message per job, not per record.
  void report_metrics() {
    metrics_reporter::send_now(env_->dir.get(), "job", metrics_);
  }

  static bool is_not_found(const provider_failure& f) {
    return f.kind == static_cast<uint8_t>(http::failure::not_found);
  }

  caf::event_based_actor* self_;
  job job_;
  job_done done_;
  std::shared_ptr<const sync_env> env_;
  std::string entity_;
  uint8_t code_ = 0;
  provider_actor provider_;
  state::metric_buffer metrics_;
  bool ended_ = false;
};

} // namespace ledgerd
