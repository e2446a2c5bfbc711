// All typed actor interfaces of ledgerd, one per role. Each handler has a
// comment that says what it does.
#pragma once

#include "messages/type_ids.hpp"

#include <caf/typed_actor.hpp>

namespace ledgerd {

/// The SUPERVISOR: starts, monitors and restarts the node's long-lived actors
/// (one_for_one, bounded intensity).
using supervisor_actor = caf::typed_actor<
  // Asks every child to finish its in-flight work within the grace period,
  // then stops them all and quits; true when all drained in time.
  caf::replies_to<drain_atom, caf::timespan>::with<bool>,
  // Reports the running children and the number of restarts.
  caf::replies_to<health_atom>::with<supervisor_status>,
  // Returns the current handle of the named child (it changes on restart).
  caf::replies_to<caf::get_atom, std::string>::with<caf::actor>>;

/// The HEALTH actor: probes the database periodically and reports the result
/// to /healthz and the console.
using health_actor = caf::typed_actor<
  // Runs one probe now and schedules the next.
  caf::reacts_to<tick_atom>,
  // Reports the latest probe result.
  caf::replies_to<health_atom>::with<db_health>,
  // Drain protocol: nothing is ever in flight between probes, so it
  // answers true at once.
  caf::replies_to<drain_atom>::with<bool>>;

/// The DISPATCHER: claims due jobs from the job store, runs each in a job
/// actor and writes their outcomes back in batches.
using dispatcher_actor = caf::typed_actor<
  // Enqueues a job (dedup and priority rules of the job store).
  caf::replies_to<job_spec>::with<enqueued>,
  // A job actor finished a run.
  caf::reacts_to<job_outcome>,
  // A job actor saves resumable progress (stopped if its lease is lost).
  caf::reacts_to<job_progress>,
  // Claims due jobs now (NOTIFY wake-up, poll timer).
  caf::reacts_to<tick_atom>,
  // Writes the buffered outcomes.
  caf::reacts_to<flush_atom>,
  // Renews the leases of the running jobs (timer).
  caf::reacts_to<renew_atom>,
  // Returns jobs whose lease expired anywhere to pending (timer).
  caf::reacts_to<reap_atom>,
  // Prunes old completed and failed jobs (timer).
  caf::reacts_to<prune_atom>,
  // Drain protocol: stops claiming, answers once every running job has
  // finished and its outcome is written (true) or the request timed out.
  caf::replies_to<drain_atom>::with<bool>,
  // Reports counters.
  caf::replies_to<health_atom>::with<dispatcher_status>,
  // Flushes the job metrics to the monitor (its own timer).
  caf::reacts_to<report_atom>>;

/// The RATE LIMITER: grants provider requests so that no bucket's limit is
/// ever exceeded (exact sliding windows, slots stamped at the response).
using rate_limiter_actor = caf::typed_actor<
  // Waits until every bucket of the request admits it (buckets are created
  // on first use), highest priority first, FIFO within a priority; errors
  // with errc::rate_limit_timeout after max_wait.
  caf::replies_to<grant_request>::with<grant>,
  // Releases a grant's slots with the outcome of its request.
  caf::reacts_to<grant_feedback>,
  // Wake-up: serves waiters, expires deadlines (scheduled by itself).
  caf::reacts_to<tick_atom>,
  // Reports every bucket.
  caf::replies_to<caf::get_atom>::with<std::vector<bucket_report>>,
  // Flushes the grant metrics to the monitor (its own timer).
  caf::reacts_to<report_atom>,
  // Drain protocol: holds no work of its own (its waiters belong to
  // requesters that drain themselves), so it answers true at once.
  caf::replies_to<drain_atom>::with<bool>>;

/// The TOKEN SERVICE: hands out valid access tokens per (tenant, provider),
/// refreshing them single-flight (one refresh per connection at a time on
/// this node; the credentials row lock makes it hold across nodes too).
/// Detached: it blocks on PostgreSQL and the token endpoint.
using token_service_actor = caf::typed_actor<
  // A valid token: the stored one when it is newer than the stale version
  // and still valid, else a refreshed one (stored before it is returned).
  caf::replies_to<token_request>::with<token_update>,
  // Drain protocol: every request is answered before the next is read, so
  // nothing is in flight between messages: answers true at once.
  caf::replies_to<drain_atom>::with<bool>>;

/// A PROVIDER actor: one per provider connection (tenant, provider). Owns the
/// provider's adapter; asks the rate limiter before every request, reports
/// every outcome back, keeps the access token (refreshed through the token
/// service) and counts calls per endpoint and status.
using provider_actor = caf::typed_actor<
  // Runs one call (with token refresh on 401 and retry after 429) and
  // answers with the decoded records or a classified failure.
  caf::replies_to<provider_call>::with<provider_result>,
  // An HTTP exchange finished (from the HTTP client's io thread).
  caf::reacts_to<http_done>,
  // Reports the connection's state and call counters.
  caf::replies_to<caf::get_atom>::with<connection_status>,
  // Flushes the call metrics to the monitor (its own timer).
  caf::reacts_to<report_atom>,
  // Drain protocol: takes no new calls, answers once none is in flight.
  caf::replies_to<drain_atom>::with<bool>>;

/// Where provider events go (the tenant actors, later a router to them). The
/// answer means "durably handled": only then is the offset committed.
using event_sink_actor
  = caf::typed_actor<caf::replies_to<provider_event>::with<bool>>;

/// An EVENT STREAM: one per Fortnox client (WebSocket URL, client id). Keeps
/// one WebSocket to the Topics API for all tenants of that client, hands
/// each new event to the sink and commits a topic's offset once the sink
/// answered true for it and for every earlier event of that topic.
/// Detached: it blocks on PostgreSQL (offsets).
using event_stream_actor = caf::typed_actor<
  // Something happened on the WebSocket (from its io thread).
  caf::reacts_to<ws_event>,
  // Connects again (backoff timer).
  caf::reacts_to<reconnect_atom>,
  // Reports the connection state, counters and committed offsets.
  caf::replies_to<caf::get_atom>::with<event_stream_status>,
  // Drain protocol: closes the socket, waits for the sink's answers to the
  // events in flight (commits them), then answers true.
  caf::replies_to<drain_atom>::with<bool>>;

/// The MONITOR: merges the metric reports of every actor, gathers gauges
/// (queue, rate limits, connections, supervisor, pool) every interval,
/// evaluates the alert rules and serves /metrics and the telemetry
/// snapshot. Detached: it reads PostgreSQL.
using monitor_actor = caf::typed_actor<
  // Merges one actor's flushed metrics.
  caf::reacts_to<metric_report>,
  // Gathers gauges, records history, evaluates alerts (its own timer).
  caf::reacts_to<tick_atom>,
  // The Prometheus text exposition of every metric.
  caf::replies_to<metrics_atom>::with<std::string>,
  // The telemetry snapshot (console/TELEMETRY.md), JSON text.
  caf::replies_to<telemetry_atom>::with<std::string>,
  // Drain protocol: sends the pending alert notifications, then true.
  caf::replies_to<drain_atom>::with<bool>>;

} // namespace ledgerd
