// GET /metrics (Prometheus text, open like /healthz: counts only, no
// secrets), GET /v1/telemetry (the monitor's JSON snapshot) and
// GET /v1/telemetry/stream (the snapshot as a server-sent event every
// interval). The /v1 routes need the admin bearer token. The monitor is
// asked through a short-lived bridge actor; nothing blocks the io thread.
#pragma once

#include "actors/directory.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace caf {
class actor_system;
} // namespace caf

namespace ledgerd::http {
class server;
} // namespace ledgerd::http

namespace ledgerd {

struct telemetry_context {
  caf::actor_system* sys = nullptr;
  /// Where the monitor is found (it changes on restart).
  std::shared_ptr<const actor_directory> dir;
  /// Accepted bearer tokens for /v1/telemetry*; none = 401.
  std::vector<std::string> tokens;
  /// Time between two events of the stream.
  std::chrono::milliseconds stream_interval{1000};
};

void add_telemetry_routes(http::server& srv, telemetry_context ctx);

} // namespace ledgerd
