// The supervisor: spawns the node's long-lived actors, monitors them and
// restarts a crashed child (one_for_one) within an OTP-style intensity; past
// it, stops everything and quits with errc::restart_intensity_exceeded.
#pragma once

#include "messages/actors.hpp"
#include "state/restart_intensity.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ledgerd {

/// How to start one long-lived child. A child takes part in a graceful
/// shutdown by answering `drain_atom` with a bool (true: everything finished
/// in time) once its in-flight work is done; one that does not understand it
/// is stopped at once.
struct child_spec {
  /// Name for logs and status.
  std::string name;
  /// Spawns a fresh instance (first start and every restart).
  std::function<caf::actor(caf::actor_system&)> start;
};

struct supervisor_options {
  /// At most this many restarts ...
  size_t max_restarts = 5;
  /// ... within this period; one more stops the node.
  caf::timespan restart_period = std::chrono::seconds{60};
};

struct supervisor_state {
  struct running_child {
    /// Index into `specs`.
    size_t spec;
    /// Strong handle: a child held only by address would die unreachable.
    caf::actor handle;
  };

  std::vector<child_spec> specs;
  std::map<caf::actor_addr, running_child> running;
  std::optional<state::restart_intensity> intensity;
  uint64_t restarts = 0;
  std::map<std::string, uint64_t> child_restarts;
  /// Once set, children that stop are not restarted.
  bool draining = false;

  static inline const char* name = "supervisor";
};

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           std::vector<child_spec> specs, supervisor_options opts);

} // namespace ledgerd
