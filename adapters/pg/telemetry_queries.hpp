// The monitor's reads of the sync state: queue depth, cursor lag, open
// conflicts, last syncs. A handful of grouped queries per interval, whatever
// the number of tenants.
#pragma once

#include "adapters/pg/connection.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace ledgerd::pg {

struct queue_depth_row {
  std::string state;
  int16_t priority = 0;
  int64_t jobs = 0;
};

struct sync_state_snapshot {
  std::vector<queue_depth_row> queue;
  /// Age of the oldest pending job that is due; 0 when none.
  double oldest_pending_seconds = 0;
  /// tenant -> open conflicts.
  std::map<std::string, int64_t> open_conflicts;
  /// tenant -> records whose local change the provider refuses
  /// (remote_read_only; a partial index keeps this cheap).
  std::map<std::string, int64_t> remote_read_only;
  /// (tenant, provider, entity) -> seconds the watermark is behind now.
  std::map<std::tuple<std::string, std::string, std::string>, double>
    cursor_lag;
  /// tenant -> end of its latest completed pull.
  std::map<std::string, std::chrono::system_clock::time_point> last_sync;
};

/// Reads every part of the snapshot (one round trip each, no transaction:
/// the parts are each consistent, and telemetry tolerates skew between them).
sync_state_snapshot read_sync_state(connection& conn);

} // namespace ledgerd::pg
