// The dispatcher: claims due jobs from the job store in batches, runs each in
// a job actor, and writes their outcomes back in batches (one round trip for
// many jobs each way). Woken by NOTIFY on enqueue, with a polling fallback;
// renews the leases of its running jobs and reaps expired ones. Detached:
// the job store blocks on libpq.
#pragma once

#include "actors/job_registry.hpp"
#include "actors/job_runner.hpp"
#include "actors/metrics_reporter.hpp"
#include "adapters/pg/job_store.hpp"
#include "messages/actors.hpp"

#include <caf/stateful_actor.hpp>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ledgerd {

namespace pg {
class notify_listener;
} // namespace pg

struct dispatcher_options {
  /// Written as lease_owner: unique per node.
  std::string owner;
  /// Jobs running at once on this node.
  size_t concurrency = 32;
  /// Jobs of one tenant processing at once (across nodes).
  size_t per_tenant_concurrency = 4;
  std::chrono::milliseconds lease{std::chrono::seconds{60}};
  /// Polling fallback when no NOTIFY arrives.
  caf::timespan poll_interval = std::chrono::seconds{1};
  /// Buffered outcomes are written after this delay, or at once when
  /// `flush_size` have piled up.
  caf::timespan flush_delay = std::chrono::milliseconds{2};
  size_t flush_size = 512;
  /// A run that has not reported by then fails (retryable) as a timeout.
  caf::timespan job_timeout = std::chrono::minutes{5};
  /// How often expired leases are reaped and run deadlines checked.
  caf::timespan reap_interval = std::chrono::seconds{5};
  /// Retention: completed jobs older than this are pruned (with their
  /// events) ...
  std::chrono::milliseconds retain_completed{std::chrono::hours{24 * 7}};
  /// ... failed ones only after this longer age.
  std::chrono::milliseconds retain_failed{std::chrono::hours{24 * 30}};
  /// How often retention runs.
  caf::timespan prune_interval = std::chrono::minutes{10};
  /// Where the monitor is found (metrics); may be null.
  std::shared_ptr<const actor_directory> dir;
  /// Conninfo for the LISTEN session; empty: polling only.
  std::string listen_conninfo;
  std::shared_ptr<const job_runner_options> runner;
};

struct dispatcher_state {
  std::shared_ptr<pg::job_store> store;
  std::shared_ptr<const job_registry> registry;
  dispatcher_options opts;
  struct running_job {
    caf::actor runner;
    /// When the run times out (actor clock).
    caf::actor_clock::time_point deadline;
    // For metrics: what ran, since when, and the job's age and attempts.
    std::string kind;
    caf::timestamp started;
    caf::timestamp created_at;
    int32_t attempt = 0;
    int32_t max_attempts = 0;
  };

  /// Job id -> its job actor.
  std::unordered_map<int64_t, running_job> running;
  std::vector<job_outcome> outcomes;
  bool flush_armed = false;
  dispatcher_status counters;
  /// Why this node claims no jobs (pg::schema_mismatch); "" = it does.
  std::string schema_blocked;
  metrics_reporter reporter;
  std::optional<caf::typed_response_promise<bool>> drain_promise;
  std::unique_ptr<pg::notify_listener> listener;

  dispatcher_state();
  ~dispatcher_state();

  static inline const char* name = "dispatcher";
};

dispatcher_actor::behavior_type
dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self,
           std::shared_ptr<pg::job_store> store,
           std::shared_ptr<const job_registry> registry,
           dispatcher_options opts);

} // namespace ledgerd
