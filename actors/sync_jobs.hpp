// The sync job kinds: "pull" (remote -> local, by delta cursor or named
// records), "push" (one local record -> remote) and "reconcile" (every
// remote id, to find hard deletes and missed records). Their payloads:
//   pull       {"entity": "invoice", "remote_ids": ["17"]?}
//   push       {"entity": "customer", "local_id": "<uuid>"}
//   reconcile  {"entity": "invoice"}
#pragma once

#include "actors/job_registry.hpp"
#include "actors/sync_env.hpp"

#include <chrono>
#include <memory>

namespace ledgerd {

void add_sync_jobs(job_registry& registry, std::shared_ptr<const sync_env> env);

/// Handlers, one per kind (registered by add_sync_jobs).
void run_pull(caf::event_based_actor* self, const job& j, job_done done,
              std::shared_ptr<const sync_env> env);
void run_push(caf::event_based_actor* self, const job& j, job_done done,
              std::shared_ptr<const sync_env> env);
void run_reconcile(caf::event_based_actor* self, const job& j, job_done done,
                   std::shared_ptr<const sync_env> env);

/// How long a job waits, its try given back, when no access token could be
/// had (provider_failure::no_token).
inline constexpr std::chrono::seconds no_token_wait{10};

/// How long a job waits, its try given back, when the rate limiter granted
/// none of its requests within the connection's max_grant_wait.
inline constexpr std::chrono::seconds grant_busy_wait{5};

/// How long a job waits, its try given back, when the database could not
/// be reached (a connection error, PostgreSQL restarting).
inline constexpr std::chrono::seconds database_wait{5};

/// The job error for a failed provider call.
state::job_error job_error_of(const provider_failure& f);

/// The job error for an exception thrown while applying a record: bad data
/// and constraint violations are permanent, the rest (connection loss,
/// deadlocks) retryable.
state::job_error job_error_of(const std::exception& e);

} // namespace ledgerd
