// The sync side of a node as supervised children: one tenant actor per
// tenant, the outbox relay, the event router and one event stream per
// Fortnox client (its events go through the router to the tenant actors).
#pragma once

#include "actors/supervisor.hpp"
#include "actors/sync_env.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ledgerd {

/// Directory name of the event router.
inline constexpr auto event_router_name = "events";

/// `listen_conninfo`: where the outbox relay listens for NOTIFY ("" = poll
/// only).
std::vector<child_spec> sync_children(std::shared_ptr<const sync_env> env,
                                      std::string listen_conninfo);

} // namespace ledgerd
