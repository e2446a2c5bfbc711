// HTTP routes that report the node's own state: /healthz and /v1/status.
#pragma once

#include "messages/actors.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace caf {
class actor_system;
} // namespace caf

namespace ledgerd::http {
class server;
} // namespace ledgerd::http

namespace ledgerd {

struct status_context {
  caf::actor_system* sys = nullptr;
  /// Children are looked up through it: their handles change on restart.
  supervisor_actor supervisor;
  std::string node_id;
  std::chrono::steady_clock::time_point started;
  size_t tenants = 0;
  /// Supervisor child names of the provider actors, reported with their
  /// connection state (e.g. needs_reauth) and call counts.
  std::vector<std::string> connections;
};

/// GET /healthz: 200 when the database answers, else 503.
/// GET /v1/status: node id, version, uptime, children, restarts, database,
/// jobs, provider connections.
void add_status_routes(http::server& srv, status_context ctx);

} // namespace ledgerd
