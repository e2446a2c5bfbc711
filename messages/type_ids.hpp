// The single CAF type-ID block of ledgerd: every message type and atom is
// declared here (CAF_ENABLE_TYPE_ID_CHECKS turns a missing one into a compile
// error). Atoms are at most 10 characters.
#pragma once

#include "messages/errc.hpp"
#include "messages/health.hpp"
#include "messages/jobs.hpp"
#include "messages/metrics.hpp"
#include "messages/provider.hpp"
#include "messages/rate_limits.hpp"
#include "messages/supervision.hpp"
#include "messages/sync.hpp"

#include <caf/type_id.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(ledgerd, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::supervisor_status))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::db_health))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::job_spec))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::enqueued))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::job))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::job_outcome))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::job_progress))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::dispatcher_status))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::grant_request))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::grant))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::grant_feedback))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::bucket_report))
  CAF_ADD_TYPE_ID(ledgerd, (std::vector<ledgerd::bucket_report>))
  CAF_ADD_TYPE_ID(ledgerd, (std::vector<ledgerd::job>))
  CAF_ADD_TYPE_ID(ledgerd, (std::vector<ledgerd::job_spec>))
  CAF_ADD_TYPE_ID(ledgerd, (std::vector<ledgerd::job_outcome>))
  CAF_ADD_TYPE_ID(ledgerd, (std::vector<ledgerd::enqueued>))
  CAF_ADD_TYPE_ID(ledgerd, (std::vector<int64_t>))
  CAF_ADD_TYPE_ID(ledgerd, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::provider_call))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::provider_record))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::provider_failure))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::provider_result))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::provider_notice))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::connection_status))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::http_done))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::token_update))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::token_request))
  CAF_ADD_TYPE_ID(ledgerd, (std::vector<ledgerd::provider_record>))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::provider_event))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::event_stream_status))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::ws_event))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::sync_request))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::state::metric_sample))
  CAF_ADD_TYPE_ID(ledgerd, (std::vector<ledgerd::state::metric_sample>))
  CAF_ADD_TYPE_ID(ledgerd, (ledgerd::metric_report))

  /// Asks an actor to finish its in-flight work and take no new work.
  CAF_ADD_ATOM(ledgerd, ledgerd, drain_atom, "drain")
  /// Asks the node to shut down gracefully (sent by the signal watcher).
  CAF_ADD_ATOM(ledgerd, ledgerd, shutdown_atom, "shutdown")
  /// Asks an actor for its health / status.
  CAF_ADD_ATOM(ledgerd, ledgerd, health_atom, "health")
  /// Periodic self-message of actors with a timer.
  CAF_ADD_ATOM(ledgerd, ledgerd, tick_atom, "tick")
  /// Asks the dispatcher to write its buffered job outcomes.
  CAF_ADD_ATOM(ledgerd, ledgerd, flush_atom, "flush")
  /// Asks the dispatcher to renew the leases of its running jobs.
  CAF_ADD_ATOM(ledgerd, ledgerd, renew_atom, "renew")
  /// Asks the dispatcher to reap expired leases.
  CAF_ADD_ATOM(ledgerd, ledgerd, reap_atom, "reap")
  /// Asks the dispatcher to apply job retention.
  CAF_ADD_ATOM(ledgerd, ledgerd, prune_atom, "prune")
  /// Asks the event stream to connect again (its backoff timer).
  CAF_ADD_ATOM(ledgerd, ledgerd, reconnect_atom, "reconnect")
  /// Timer of a tenant actor: poll (pull) one entity of one connection.
  CAF_ADD_ATOM(ledgerd, ledgerd, poll_atom, "poll")
  /// Timer of a tenant actor: reconcile one entity of one connection.
  CAF_ADD_ATOM(ledgerd, ledgerd, reconcile_atom, "reconcile")
  /// Self-message of an actor with metrics to flush to the monitor.
  CAF_ADD_ATOM(ledgerd, ledgerd, report_atom, "report")
  /// Asks the monitor for the Prometheus text of its metrics.
  CAF_ADD_ATOM(ledgerd, ledgerd, metrics_atom, "metrics")
  /// Asks the monitor for its telemetry snapshot (JSON text).
  CAF_ADD_ATOM(ledgerd, ledgerd, telemetry_atom, "telemetry")

CAF_END_TYPE_ID_BLOCK(ledgerd)

namespace ledgerd {

/// Registers ledgerd's message types and error category with `cfg`.
void register_messages(caf::actor_system_config& cfg);

} // namespace ledgerd
