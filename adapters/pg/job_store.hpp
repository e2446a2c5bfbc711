// The durable job queue in PostgreSQL (tables ledgerd.jobs, jobs_done,
// job_events, batches). Every call is synchronous (libpq) and takes `now`
// explicitly, so tests control time; callers run it off the CAF scheduler
// threads (detached actors). Failures throw pg::error. Each call is one
// statement or one transaction, so a failure leaves nothing half-written: a
// deadlock (40P01; possible between an enqueue whose dedup keys hit several
// processing jobs and a finish of those same jobs) can simply be retried.
// After a lost connection the fate of the last call is unknown; retrying a
// finish then reports the outcomes that did apply as not applied (their
// lease is gone), which is safe.
//
// Layout (migration 0002): ledgerd.jobs holds pending, processing and failed
// jobs; a job that completes moves to the insert-only archive
// ledgerd.jobs_done (same id) in the statement that completes it, so the
// queue's table and indexes stay the size of the backlog. list(), count and
// prune() cover both tables.
//
// Cost: enqueue_batch, claim, finish and renew are one statement each for
// any number of jobs (arrays or a jsonb object in; data-modifying CTEs
// inside: the job rows, their job_events rows and the batch counters in one
// statement), so a worker pays a few round trips per batch of jobs, not per
// job. Measured (job_store_bench_test.cpp, fsync and synchronous_commit on,
// 2 cores): ~45,000 jobs/s through claim + finish in batches of 1,000 and
// ~100,000 jobs/s enqueued in batches of 5,000, flat over 5 rounds of
// 200,000 jobs on one database.
#pragma once

#include "adapters/pg/pool.hpp"
#include "messages/jobs.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ledgerd::pg {

using wall_time = std::chrono::system_clock::time_point;

/// What one claim round may take.
struct claim_request {
  /// Node id written as lease_owner.
  std::string owner;
  /// At most this many jobs this round (free global slots).
  size_t limit = 100;
  /// At most this many processing jobs per tenant, counting those already
  /// running (anywhere, including expired leases not reaped yet). Exact also
  /// with several nodes claiming at once: claims take turns (a transaction
  /// advisory lock), so no two rounds count the same free slot.
  size_t per_tenant_limit = 4;
  std::chrono::milliseconds lease{std::chrono::seconds{60}};
  wall_time now;
};

/// Counters of one batch.
struct batch_status {
  int64_t id = 0;
  std::string tenant;
  std::string kind;
  int64_t total = 0;
  int64_t completed = 0;
  int64_t failed = 0;
  /// running, completed, partial or failed.
  std::string state;
  /// Set exactly when state is not running.
  std::optional<wall_time> finished_at;
};

/// Filter for listing/counting jobs; empty fields match all.
struct job_filter {
  std::optional<std::string> tenant;
  /// pending, processing, completed or failed (anything else matches none).
  std::optional<std::string> state;
  std::optional<int16_t> priority;
  std::optional<int64_t> batch_id;
  std::optional<std::string> kind;
  /// Keyset paging of list(): only jobs with an id below this (the next
  /// page after a page that ended with this id).
  std::optional<int64_t> before_id;
  /// list(): at most this many rows, newest (highest id) first.
  size_t limit = 100;
};

/// What job_store::retry did.
enum class retry_result {
  /// The failed job is pending again.
  retried,
  /// No such job (neither in the queue nor in the archive).
  not_found,
  /// The job is not failed (pending, processing, or completed and archived:
  /// a completed job cannot be retried).
  not_failed,
  /// The job is failed, but another live (pending or processing) job holds
  /// its dedup key: that job already does the work.
  key_live,
};

/// A listed job (no lease details).
struct job_row {
  int64_t id = 0;
  std::string tenant;
  std::string provider;
  std::string kind;
  std::string state;
  int16_t priority = 0;
  int32_t attempt = 0;
  int32_t max_attempts = 0;
  /// Empty when none.
  std::string last_error;
  std::optional<int64_t> batch_id;
  /// Empty when none.
  std::string dedup_key;
  /// JSON text.
  std::string payload;
  /// JSON text; empty when none.
  std::string progress;
  wall_time run_at;
  /// Set exactly for completed and failed jobs.
  std::optional<wall_time> finished_at;
};

/// One row of ledgerd.job_events.
struct job_event_row {
  /// Empty for the creation of the job.
  std::string from_state;
  std::string to_state;
  /// The job's attempt after the transition.
  int32_t attempt = 0;
  /// Empty when none.
  std::string error;
  wall_time at;
};

/// What a retention pass removed.
struct prune_report {
  int64_t completed = 0;
  int64_t failed = 0;
};

class job_store {
public:
  job_store(std::shared_ptr<pool> db,
            std::chrono::milliseconds acquire_timeout);

  /// Enqueues one job; with a dedup key that matches a pending or processing
  /// job, returns that job instead (created=false) and raises its priority
  /// when ours is higher (a manual request outranks the queued poll). Only
  /// the priority changes: the existing job keeps its run_at, payload and
  /// batch. Safe under concurrent enqueuers (INSERT ... ON CONFLICT on the
  /// partial unique index jobs_dedup_key_active_uq).
  enqueued enqueue(const job_spec& spec, wall_time now);

  /// Enqueues many jobs in one statement (per 10,000 specs, all in one
  /// transaction), same dedup rules; results in input order. Specs sharing a
  /// dedup key within the call collapse into the first of them (created
  /// once, with the highest priority among them; the others report
  /// created=false and the same id). A new job in a batch adds 1 to the
  /// batch's total and reopens it (state running) if it had finished.
  std::vector<enqueued> enqueue_batch(const std::vector<job_spec>& specs,
                                      wall_time now);

  /// Creates a batch (counts start at 0; enqueue jobs with its id).
  int64_t create_batch(const std::string& tenant, const std::string& kind,
                       wall_time now);

  /// Claims due pending jobs (FOR UPDATE SKIP LOCKED): fair across tenants
  /// (round-robin: every tenant with due work and a free slot gets its best
  /// job before any tenant gets a second one), within each round highest
  /// priority first, then oldest run_at; within per_tenant_limit. So a
  /// tenant with a huge backlog delays another tenant's job by at most one
  /// round (none if limit >= the number of tenants). Each claimed job
  /// becomes processing with attempt+1 and a lease until now + lease; a
  /// job_events row is written for each. Returned in claim order.
  std::vector<job> claim(const claim_request& req);

  /// Writes outcomes of finished runs in one statement. Each applies only
  /// while the job is still processing under the same (lease_owner,
  /// attempt): a node that lost its lease cannot overwrite newer state.
  /// completed moves the job to jobs_done; pending schedules a retry at
  /// max(run_at, now) (the epoch = now), unless that was the last attempt
  /// (attempt >= max_attempts): then the job fails; failed is terminal. A
  /// waiting outcome (job_outcome::waiting) always goes back to pending and
  /// gives its attempt back.
  /// error becomes last_error and the event's error; progress (if not
  /// empty) replaces the job's progress. Writes job_events and batch
  /// counters (a batch finishes when completed + failed reaches total).
  /// Returns the ids that were NOT applied (lease lost), in input order.
  /// Throws std::invalid_argument for another next_state.
  std::vector<int64_t> finish(const std::vector<job_outcome>& outcomes,
                              wall_time now);

  /// Extends the leases of running jobs to now + lease; returns the ids
  /// still held. A lease that already expired is lost, even before the
  /// reaper took the job back.
  std::vector<int64_t> renew(const std::vector<int64_t>& ids,
                             const std::string& owner,
                             std::chrono::milliseconds lease, wall_time now);

  /// Commits resumable progress (JSON; empty clears it) of a running job;
  /// applies only while the job is processing under (owner, attempt) with an
  /// unexpired lease. False when the lease is lost. A later claim hands the
  /// saved progress to the next run (job::progress), so it can resume.
  bool save_progress(int64_t id, const std::string& owner, int32_t attempt,
                     const std::string& progress, wall_time now);

  /// Returns processing jobs whose lease expired (lease_until < now) to
  /// pending with run_at = now, or to failed when no attempts are left;
  /// error "lease expired". The first state::max_forgiven_lease_losses
  /// expiries of a job do not use up its tries (max_attempts + 1; see
  /// state::on_lease_expired), later ones do. Works in chunks of
  /// 1,000 rows and skips jobs locked by a concurrent finish. Returns how
  /// many were reaped.
  int64_t reap_expired(wall_time now);

  /// pg::schema_mismatch on a pooled connection.
  std::string schema_mismatch();

  /// Per provider, how long ago a job of it was last active (processing
  /// now: zero; else its latest update or finish), for providers active
  /// within `horizon`. Every provider request is made by a job, so this
  /// bounds when a predecessor (a crashed node) last sent one.
  std::map<std::string, std::chrono::milliseconds>
  provider_activity_ages(std::chrono::seconds horizon);

  /// Cancels a pending job (-> failed, error "cancelled"); false when it is
  /// not pending.
  bool cancel(int64_t id, wall_time now);

  /// Batch counters.
  std::optional<batch_status> batch(int64_t id);

  /// Re-enqueues the failed jobs of a batch in place (failed -> pending, same
  /// id, attempt reset to 0 so that each gets max_attempts new tries, due
  /// now); the batch's failed count drops accordingly and it is running
  /// again. A failed job whose dedup key is live again (another pending or
  /// processing job holds it) stays failed, as do all but one of several
  /// failed jobs sharing a key. Returns how many were re-enqueued.
  int64_t retry_failed(int64_t batch_id, wall_time now);

  /// Re-enqueues one failed job in place (failed -> pending, same id, due
  /// now) with a fresh attempt budget (attempt reset to 0, as retry_failed
  /// does: max_attempts new tries); its batch's failed count drops by one
  /// and the batch is running again. last_error keeps the failure until the
  /// next attempt overwrites it. Changes nothing unless it returns retried.
  retry_result retry(int64_t id, wall_time now);

  /// Makes live jobs `ids` that belong to no batch count towards batch `id`
  /// (an enqueue that met an existing job with the same key). Returns the
  /// batch's new total. A batch left with no job at all is completed at
  /// once: its work is already under way elsewhere.
  int64_t attach_to_batch(const std::vector<int64_t>& ids, int64_t id,
                          wall_time now);

  /// Jobs matching the filter, newest first, from the queue and the archive.
  std::vector<job_row> list(const job_filter& filter);

  /// One job, wherever it is (queue or archive).
  std::optional<job_row> find(int64_t id);

  /// The newest job of `dedup_key` in the queue (pending, processing or
  /// failed; completed ones have left it): what a job waiting on it needs to
  /// know whether it is still making progress.
  std::optional<job_row> newest_by_dedup_key(const std::string& dedup_key);

  /// The job's transitions, oldest first.
  std::vector<job_event_row> events(int64_t job_id);

  /// Counts by state (all four keys present); ignores filter.limit.
  std::map<std::string, int64_t> count_by_state(const job_filter& filter);

  /// Deletes completed jobs finished before now - retain_completed and failed
  /// ones before now - retain_failed, with their events, oldest first in
  /// chunks of `chunk` rows per transaction (short locks, small WAL bursts,
  /// dead space reused by vacuum instead of bloating the tables).
  prune_report prune(wall_time now, std::chrono::milliseconds retain_completed,
                     std::chrono::milliseconds retain_failed,
                     size_t chunk = 1000);

private:
  std::shared_ptr<pool> db_;
  std::chrono::milliseconds acquire_timeout_;
};

} // namespace ledgerd::pg
