// The node's provider side as supervised children: the token service and
// one provider actor per enabled connection. The rate limiter and token
// service are found through the actor registry (names below) because the
// supervisor replaces them when they restart.
#pragma once

#include "actors/supervisor.hpp"
#include "adapters/http/client.hpp"
#include "adapters/pg/pool.hpp"
#include "config/node_config.hpp"
#include "messages/actors.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ledgerd {

/// Registry names of the shared actors.
inline constexpr auto limiter_name = "limiter";
inline constexpr auto token_service_name = "tokens";

/// Child name of a connection's provider actor: "provider/<tenant>/<provider>".
std::string provider_child_name(std::string_view tenant,
                                std::string_view provider);

/// Spawns the rate limiter and registers it under `limiter_name`.
child_spec rate_limiter_child();

/// The token service and the provider actors of every enabled connection.
/// Throws std::invalid_argument for a connection whose provider has no
/// adapter.
std::vector<child_spec>
connection_children(std::shared_ptr<const config::node_config> cfg,
                    std::shared_ptr<pg::pool> db,
                    std::shared_ptr<http::client> client);

/// The current handle of a registered actor (invalid when none).
rate_limiter_actor current_limiter(caf::actor_system& sys);
token_service_actor current_token_service(caf::actor_system& sys);

} // namespace ledgerd
