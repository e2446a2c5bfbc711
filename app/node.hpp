// The ledgerd node: database, migrations, actor system, supervisor, HTTP
// server and signal handling, wired together.
#pragma once

#include "config/node_config.hpp"

namespace ledgerd {

/// Exit statuses of the node.
enum exit_status : int {
  exit_ok = 0,
  /// Database unreachable, migration failed, restart intensity exceeded, or
  /// the HTTP server could not listen.
  exit_failure = 1,
  /// Invalid configuration: nothing was started.
  exit_bad_config = 2,
};

/// Runs the node until SIGINT/SIGTERM (graceful shutdown, exit_ok) or a fatal
/// error (exit_failure).
int run_node(const config::node_config& cfg);

} // namespace ledgerd
