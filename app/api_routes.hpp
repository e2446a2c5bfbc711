// The /v1 admin API (manual sync, batches, jobs, conflicts, tenants) and
// GET /readyz. Every /v1 route here requires `Authorization: Bearer
// <token>`. Handlers never block the server's io thread: actors are asked
// through a short-lived bridge actor per request, PostgreSQL is called on a
// small worker pool; both answer through the request's responder.
#pragma once

#include "actors/sync_env.hpp"
#include "messages/actors.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace caf {
class actor_system;
} // namespace caf

namespace ledgerd::http {
class server;
} // namespace ledgerd::http

namespace ledgerd {

struct api_context {
  caf::actor_system* sys = nullptr;
  /// Asked for its running children and the health child (/readyz).
  supervisor_actor supervisor;
  /// Names of the supervisor's children that must be running for /readyz.
  std::vector<std::string> children;
  /// Database, configuration, job store and the actor directory.
  std::shared_ptr<const sync_env> env;
  /// Accepted bearer tokens; none = every route here answers 401.
  std::vector<std::string> tokens;
  /// Threads for the routes' database work.
  size_t workers = 2;
};

/// Registers POST /v1/tenants/{t}/sync, GET /v1/batches/{id},
/// POST /v1/batches/{id}/retry-failed, GET /v1/jobs,
/// POST /v1/jobs/{id}/retry, POST /v1/jobs/{id}/cancel, GET /v1/conflicts,
/// POST /v1/conflicts/{id}/resolve, GET /v1/tenants and GET /readyz.
void add_api_routes(http::server& srv, api_context ctx);

/// Whether `authorization` (the header's value) is "Bearer <token>" with one
/// of `tokens`. Compares every token in time independent of where they
/// differ; false when `tokens` is empty.
bool bearer_authorized(std::string_view authorization,
                       const std::vector<std::string>& tokens);

} // namespace ledgerd
