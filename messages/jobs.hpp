// Jobs as they travel between the job store, the dispatcher and job actors.
// Times are wall-clock (caf::timestamp = system_clock), as in the database.
// CAF 0.17 cannot inspect std::optional, so "none" is spelled with a
// documented sentinel (empty string, 0, or the epoch).
#pragma once

#include <caf/meta/type_name.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ledgerd {

/// What to enqueue.
struct job_spec {
  std::string tenant;
  std::string provider;
  /// Selects the handler (registry key), e.g. "pull.invoices".
  std::string kind;
  /// JSON text handed to the handler.
  std::string payload = "{}";
  /// state::job_priority value: 3 manual, 2 event, 1 poll, 0 backfill.
  int16_t priority = 1;
  /// Not before this time; the epoch (default) = now.
  caf::timestamp run_at{};
  int32_t max_attempts = 8;
  /// Jobs with the same key while one is pending or processing collapse
  /// into that one. Include tenant and provider in the key. Empty = none.
  std::string dedup_key;
  /// 0 = not part of a batch.
  int64_t batch_id = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_spec& x) {
  return f(caf::meta::type_name("job_spec"), x.tenant, x.provider, x.kind,
           x.payload, x.priority, x.run_at, x.max_attempts, x.dedup_key,
           x.batch_id);
}

/// Result of enqueueing one job_spec.
struct enqueued {
  int64_t id = 0;
  /// False when an existing pending/processing job with the same dedup key
  /// was returned instead (its priority raised if ours was higher).
  bool created = true;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, enqueued& x) {
  return f(caf::meta::type_name("enqueued"), x.id, x.created);
}

/// A claimed job: the lease (owner, attempt) fences every later write.
struct job {
  int64_t id = 0;
  std::string tenant;
  std::string provider;
  std::string kind;
  std::string payload;
  int16_t priority = 1;
  /// 1 on the first claim, +1 on each later claim.
  int32_t attempt = 0;
  int32_t max_attempts = 8;
  /// 0 = not part of a batch.
  int64_t batch_id = 0;
  std::string lease_owner;
  caf::timestamp lease_until;
  /// Progress an earlier run saved (JSON); empty = none. A resumed run
  /// continues from here.
  std::string progress;
  /// When the job was enqueued (job latency is measured from here).
  caf::timestamp created_at{};
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, job& x) {
  return f(caf::meta::type_name("job"), x.id, x.tenant, x.provider, x.kind,
           x.payload, x.priority, x.attempt, x.max_attempts, x.batch_id,
           x.lease_owner, x.lease_until, x.progress, x.created_at);
}

/// Resumable progress of a running job, saved while its lease holds.
struct job_progress {
  int64_t id = 0;
  std::string lease_owner;
  int32_t attempt = 0;
  /// JSON.
  std::string progress;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_progress& x) {
  return f(caf::meta::type_name("job_progress"), x.id, x.lease_owner, x.attempt,
           x.progress);
}

/// How a run of a job ended, as written back to the store.
struct job_outcome {
  int64_t id = 0;
  /// The lease this run held: the write only applies while it still does.
  std::string lease_owner;
  int32_t attempt = 0;
  /// "completed", "pending" (retry at run_at) or "failed".
  std::string next_state;
  /// For a retry: when to run again.
  caf::timestamp run_at{};
  /// Empty on success.
  std::string error;
  /// JSON progress/result summary; empty = none.
  std::string progress;
  /// A retry that waited (state::error_class::waiting): the attempt is
  /// given back, and attempts running out do not fail it.
  bool waiting = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_outcome& x) {
  return f(caf::meta::type_name("job_outcome"), x.id, x.lease_owner, x.attempt,
           x.next_state, x.run_at, x.error, x.progress, x.waiting);
}

/// What the dispatcher reports.
struct dispatcher_status {
  /// Jobs running in job actors now.
  uint64_t running = 0;
  /// Outcomes waiting to be written.
  uint64_t buffered = 0;
  /// Totals since start.
  uint64_t claimed = 0;
  uint64_t completed = 0;
  uint64_t retried = 0;
  uint64_t failed = 0;
  /// Outcomes rejected because the lease was lost meanwhile.
  uint64_t lease_lost = 0;
  /// Expired leases this node returned to pending.
  uint64_t reaped = 0;
  bool draining = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, dispatcher_status& x) {
  return f(caf::meta::type_name("dispatcher_status"), x.running, x.buffered,
           x.claimed, x.completed, x.retried, x.failed, x.lease_lost, x.reaped,
           x.draining);
}

} // namespace ledgerd
