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
  // Nothing is ever in flight between probes: answers at once.
  caf::reacts_to<drain_atom>>;

} // namespace ledgerd
