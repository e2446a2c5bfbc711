#include "actors/dispatcher.hpp"

#include "adapters/log.hpp"
#include "adapters/pg/error.hpp"
#include "adapters/pg/notify_listener.hpp"

#include <caf/all.hpp>

#include <unordered_set>

namespace ledgerd {

namespace {

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;

/// The channel the job store's enqueue statements notify.
constexpr const char* jobs_channel = "ledgerd_jobs";

pg::wall_time wall_now() {
  return std::chrono::system_clock::now();
}

size_t free_slots(const dispatcher_state& st) {
  auto busy = st.running.size() + st.outcomes.size();
  return busy >= st.opts.concurrency ? 0 : st.opts.concurrency - busy;
}

void maybe_finish_drain(self_ptr self) {
  auto& st = self->state;
  if (st.drain_promise && st.running.empty() && st.outcomes.empty()) {
    st.drain_promise->deliver(true);
    st.drain_promise.reset();
  }
}

/// A node that meets a schema newer than it knows stops claiming (it would
/// write with an old mapping) and says why; it claims again once the schema
/// is one it knows (it was upgraded, or the migration was rolled back).
void check_schema(self_ptr self) {
  auto& st = self->state;
  std::string why;
  try {
    why = st.store->schema_mismatch();
  } catch (const std::exception&) {
    return; // the database probe reports an unreachable database
  }
  if (why == st.schema_blocked)
    return;
  if (!why.empty())
    log::error("dispatcher", "not claiming jobs", {{"reason", why}});
  else
    log::info("dispatcher", "claiming jobs again: the schema is known");
  st.schema_blocked = why;
}

void claim(self_ptr self) {
  auto& st = self->state;
  if (st.counters.draining || !st.schema_blocked.empty())
    return;
  auto slots = free_slots(st);
  if (slots == 0)
    return;
  std::vector<job> jobs;
  try {
    jobs
      = st.store->claim({st.opts.owner, slots, st.opts.per_tenant_concurrency,
                         st.opts.lease, wall_now()});
  } catch (const std::exception& e) {
    log::warn("dispatcher", "claim failed", {{"error", e.what()}});
    return; // the poll timer tries again
  }
  st.counters.claimed += jobs.size();
  auto deadline = self->clock().now() + st.opts.job_timeout;
  auto now = caf::make_timestamp();
  for (auto& j : jobs) {
    auto id = j.id;
    dispatcher_state::running_job run{
      {}, deadline, j.kind, now, j.created_at, j.attempt, j.max_attempts};
    run.runner = self->spawn(job_runner, std::move(j), st.registry,
                             caf::actor_cast<caf::actor>(self), st.opts.runner);
    st.running.emplace(id, std::move(run));
  }
}

void count(dispatcher_status& c, const std::string& next_state) {
  if (next_state == "completed")
    ++c.completed;
  else if (next_state == "pending")
    ++c.retried;
  else
    ++c.failed;
}

void flush(self_ptr self) {
  auto& st = self->state;
  st.flush_armed = false;
  if (st.outcomes.empty())
    return;
  try {
    auto lost = st.store->finish(st.outcomes, wall_now());
    for (auto& o : st.outcomes)
      count(st.counters, o.next_state);
    st.counters.lease_lost += lost.size();
    for (auto id : lost)
      log::warn("dispatcher", "outcome dropped: the lease was lost",
                {{"job", id}});
    st.outcomes.clear();
  } catch (const std::exception& e) {
    // Keep the outcomes and try again; the leases still fence them.
    log::warn("dispatcher", "writing outcomes failed, will retry",
              {{"error", e.what()}, {"outcomes", st.outcomes.size()}});
    st.flush_armed = true;
    self->delayed_send(self, std::chrono::milliseconds{200}, flush_atom_v);
    return;
  }
  claim(self);
  maybe_finish_drain(self);
}

// Run duration per kind, and for a job that ends here (completed, or
// failed for good) its latency from enqueue and the attempts it took.
void count_run(self_ptr self, const dispatcher_state::running_job& run,
               const job_outcome& outcome) {
  auto& m = self->state.reporter.metrics();
  auto now = caf::make_timestamp();
  auto secs = [](caf::timespan d) {
    return std::chrono::duration<double>(d).count();
  };
  auto retried
    = outcome.next_state == "pending" && run.attempt < run.max_attempts;
  auto outcome_name = outcome.next_state == "completed" ? "completed"
                      : retried                         ? "retried"
                                                        : "failed";
  m.add("ledgerd_jobs_finished_total", {run.kind, outcome_name});
  m.observe("ledgerd_job_duration_seconds", {run.kind},
            secs(now - run.started));
  if (!retried) {
    if (run.created_at != caf::timestamp{})
      m.observe("ledgerd_job_latency_seconds", {run.kind},
                secs(now - run.created_at));
    m.observe("ledgerd_job_attempts", {run.kind}, run.attempt);
  }
  self->state.reporter.schedule(self);
}

void on_outcome(self_ptr self, job_outcome& outcome) {
  auto& st = self->state;
  auto run = st.running.find(outcome.id);
  if (run == st.running.end())
    return; // its lease was lost and the job actor was stopped
  count_run(self, run->second, outcome);
  st.running.erase(run);
  st.outcomes.push_back(std::move(outcome));
  if (st.outcomes.size() >= st.opts.flush_size) {
    flush(self);
  } else if (!st.flush_armed) {
    st.flush_armed = true;
    self->delayed_send(self, st.opts.flush_delay, flush_atom_v);
  }
}

void save_progress(self_ptr self, const job_progress& p) {
  auto& st = self->state;
  auto i = st.running.find(p.id);
  if (i == st.running.end())
    return;
  try {
    if (st.store->save_progress(p.id, p.lease_owner, p.attempt, p.progress,
                                wall_now()))
      return;
    log::warn("dispatcher", "lease lost, stopping the job", {{"job", p.id}});
    self->send_exit(i->second.runner, caf::exit_reason::user_shutdown);
    st.running.erase(i);
    ++st.counters.lease_lost;
    maybe_finish_drain(self);
  } catch (const std::exception& e) {
    // Progress is an optimisation for resuming; the run goes on.
    log::warn("dispatcher", "saving progress failed",
              {{"job", p.id}, {"error", e.what()}});
  }
}

void renew(self_ptr self) {
  auto& st = self->state;
  if (st.running.empty())
    return;
  std::vector<int64_t> ids;
  ids.reserve(st.running.size());
  for (auto& [id, run] : st.running)
    ids.push_back(id);
  try {
    auto held = st.store->renew(ids, st.opts.owner, st.opts.lease, wall_now());
    std::unordered_set<int64_t> kept{held.begin(), held.end()};
    for (auto id : ids) {
      if (kept.count(id) != 0)
        continue;
      // Another node owns it now: stop our run, its outcome would be void.
      log::warn("dispatcher", "lease lost, stopping the job", {{"job", id}});
      self->send_exit(st.running[id].runner, caf::exit_reason::user_shutdown);
      st.running.erase(id);
      ++st.counters.lease_lost;
    }
  } catch (const std::exception& e) {
    log::warn("dispatcher", "renewing leases failed", {{"error", e.what()}});
  }
  maybe_finish_drain(self);
}

// Tells job actors past their deadline to report a timeout.
void enforce_deadlines(self_ptr self) {
  auto now = self->clock().now();
  for (auto& [id, run] : self->state.running)
    if (run.deadline <= now) {
      caf::anon_send(run.runner, tick_atom_v);
      run.deadline = caf::actor_clock::time_point::max(); // tell once
    }
}

void reap(self_ptr self) {
  auto& st = self->state;
  enforce_deadlines(self);
  try {
    auto n = st.store->reap_expired(wall_now());
    if (n > 0) {
      st.counters.reaped += static_cast<uint64_t>(n);
      log::info("dispatcher", "expired leases returned to pending",
                {{"jobs", n}});
      claim(self);
    }
  } catch (const std::exception& e) {
    log::warn("dispatcher", "reaping failed", {{"error", e.what()}});
  }
}

void prune(self_ptr self) {
  auto& st = self->state;
  try {
    auto report = st.store->prune(wall_now(), st.opts.retain_completed,
                                  st.opts.retain_failed);
    if (report.completed + report.failed > 0)
      log::info("dispatcher", "retention pruned old jobs",
                {{"completed", report.completed}, {"failed", report.failed}});
  } catch (const std::exception& e) {
    log::warn("dispatcher", "retention failed", {{"error", e.what()}});
  }
  self->delayed_send(self, st.opts.prune_interval, prune_atom_v);
}

// Tick and reap re-arm themselves when they come from this actor (a
// wake-up from the NOTIFY listener is anonymous and does not); renew always.
void start_timers(self_ptr self) {
  check_schema(self);            // before any claim, the reaper's included
  self->send(self, reap_atom_v); // a crashed predecessor's jobs come first
  self->send(self, tick_atom_v);
  self->delayed_send(self, caf::timespan{self->state.opts.lease} / 3,
                     renew_atom_v);
  self->delayed_send(self, self->state.opts.prune_interval, prune_atom_v);
}

} // namespace

dispatcher_state::dispatcher_state() = default;

dispatcher_state::~dispatcher_state() = default;

dispatcher_actor::behavior_type
dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self,
           std::shared_ptr<pg::job_store> store,
           std::shared_ptr<const job_registry> registry,
           dispatcher_options opts) {
  auto& st = self->state;
  st.store = std::move(store);
  st.registry = std::move(registry);
  st.opts = std::move(opts);
  st.reporter = metrics_reporter{"dispatcher", st.opts.dir};
  if (!st.opts.runner)
    st.opts.runner = std::make_shared<job_runner_options>();
  if (!st.opts.listen_conninfo.empty()) {
    auto hdl = caf::actor_cast<caf::actor>(self);
    st.listener = std::make_unique<pg::notify_listener>(
      st.opts.listen_conninfo, jobs_channel, [hdl] {
        caf::anon_send(hdl, tick_atom_v);
      });
  }
  // Job actors are not linked (a crashing job must not take the dispatcher
  // down); stopped with it, they must not outlive it: one waiting for a
  // provider that is gone would hold the node's exit for its call timeout.
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::normal)
      return; // as without a handler: a normal exit of a link stops nothing
    for (auto& [id, run] : self->state.running)
      self->send_exit(run.runner, msg.reason);
    self->state.running.clear();
    self->quit(msg.reason);
  });
  start_timers(self);
  return {
    [self](const job_spec& spec) -> caf::result<enqueued> {
      try {
        return self->state.store->enqueue(spec, wall_now());
      } catch (const std::exception& e) {
        return caf::make_error(errc::database_unavailable, e.what());
      }
    },
    [self](job_outcome& outcome) {
      on_outcome(self, outcome);
    },
    [self](const job_progress& p) {
      save_progress(self, p);
    },
    [self](tick_atom) {
      if (self->current_sender() == self->ctrl())
        check_schema(self);
      claim(self);
      if (self->current_sender() == self->ctrl())
        self->delayed_send(self, self->state.opts.poll_interval, tick_atom_v);
    },
    [self](flush_atom) {
      flush(self);
    },
    [self](renew_atom) {
      renew(self);
      self->delayed_send(self, caf::timespan{self->state.opts.lease} / 3,
                         renew_atom_v);
    },
    [self](reap_atom) {
      reap(self);
      if (self->current_sender() == self->ctrl())
        self->delayed_send(self, self->state.opts.reap_interval, reap_atom_v);
    },
    [self](prune_atom) {
      prune(self);
    },
    [self](drain_atom) -> caf::result<bool> {
      auto& st = self->state;
      st.counters.draining = true;
      st.listener.reset();
      log::info(
        "dispatcher", "draining",
        {{"running", st.running.size()}, {"buffered", st.outcomes.size()}});
      if (st.running.empty() && st.outcomes.empty())
        return true;
      st.drain_promise = self->make_response_promise<bool>();
      return *st.drain_promise;
    },
    [self](report_atom) {
      self->state.reporter.flush(self);
    },
    [self](health_atom) {
      auto status = self->state.counters;
      status.running = self->state.running.size();
      status.buffered = self->state.outcomes.size();
      return status;
    },
  };
}

} // namespace ledgerd
