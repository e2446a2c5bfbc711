// The health actor: runs a database probe every interval and keeps the
// latest result for /healthz. The probe blocks (libpq), so the node spawns
// this actor detached; tests spawn it on the deterministic scheduler with a
// fake probe.
#pragma once

#include "messages/actors.hpp"

#include <caf/stateful_actor.hpp>

#include <functional>
#include <optional>
#include <string>

namespace ledgerd {

/// Runs one probe: nullopt on success, else what went wrong.
using probe_fn = std::function<std::optional<std::string>()>;

struct health_state {
  probe_fn probe;
  caf::timespan interval{};
  db_health latest;
  static inline const char* name = "health";
};

health_actor::behavior_type
health(health_actor::stateful_pointer<health_state> self, probe_fn probe,
       caf::timespan interval);

} // namespace ledgerd
