// Resolving a manual conflict: an engine operation (the HTTP API and the
// console call it). The resolution is stored, the record's hold is lifted
// when no conflict is left open, and a push job of the record is enqueued:
// its merge takes the chosen value for the field and writes whichever side
// differs, so both sides converge.
#pragma once

#include "actors/sync_env.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ledgerd {

struct resolution_result {
  /// False when the conflict was already resolved this way (no new job).
  bool resolved_now = false;
  /// The push job that converges the record (0 when none was needed).
  int64_t job_id = 0;
};

/// `resolution`: "local", "remote" or "custom" (then `value` is the field's
/// new value). Throws std::invalid_argument for an unknown conflict or
/// resolution, or one that contradicts an earlier resolution.
resolution_result resolve_conflict(const sync_env& env, int64_t conflict_id,
                                   const std::string& resolution,
                                   const nlohmann::json& value,
                                   const std::string& by);

} // namespace ledgerd
