// The job actor: one per running job. Runs the handler registered for the
// job's kind, turns its result into an outcome (completed, retry with
// backoff, or failed) and sends that to the dispatcher, which writes it.
#pragma once

#include "actors/job_registry.hpp"
#include "messages/type_ids.hpp"
#include "state/backoff.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace ledgerd {

struct job_runner_options {
  state::backoff_params backoff;
  /// Wall clock for run_at (injected by tests).
  std::function<std::chrono::system_clock::time_point()> wall_clock = [] {
    return std::chrono::system_clock::now();
  };
  /// Uniform draw in [0, 1) for the backoff jitter (injected by tests).
  std::function<double()> jitter;
};

struct job_runner_state {
  job current;
  bool reported = false;
  static inline const char* name = "job";
};

/// Runs `j` and sends one job_outcome to `report_to`, then quits. A
/// `tick_atom` tells it that its deadline has passed: it then reports a
/// (retryable) timeout. The dispatcher sends that tick; a timer per job
/// would keep every finished job actor alive until it fired.
caf::behavior job_runner(caf::stateful_actor<job_runner_state>* self, job j,
                         std::shared_ptr<const job_registry> registry,
                         caf::actor report_to,
                         std::shared_ptr<const job_runner_options> opts);

/// The outcome to write for `result` of a run of `j` that ended at `now`.
job_outcome make_outcome(const job& j, const job_result& result,
                         std::chrono::system_clock::time_point now,
                         const state::backoff_params& backoff, double u);

} // namespace ledgerd
