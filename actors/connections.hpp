// The node's provider side as supervised children: the token service and
// one provider actor per enabled connection. The rate limiter and token
// service are found through an actor directory (names below) because the
// supervisor replaces them when they restart.
#pragma once

#include "actors/directory.hpp"
#include "actors/supervisor.hpp"
#include "adapters/http/client.hpp"
#include "adapters/pg/pool.hpp"
#include "config/node_config.hpp"
#include "messages/actors.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ledgerd {

/// Directory names of the shared actors.
inline constexpr auto limiter_name = "limiter";
inline constexpr auto token_service_name = "tokens";

/// Child name of a connection's provider actor: "provider/<tenant>/<provider>".
std::string provider_child_name(std::string_view tenant,
                                std::string_view provider);

/// Spawns the rate limiter and records it under `limiter_name`. Its first
/// start waits out the windows of what `predecessor_age` says was sent
/// before (see
/// rate_limiter_state::predecessor_age); a restart by the supervisor waits
/// out one window of every provider: the crashed limiter's grants are
/// unknown.
child_spec
rate_limiter_child(std::shared_ptr<actor_directory> dir,
                   std::map<std::string, caf::timespan> predecessor_age = {});

/// The token service and the provider actors of every enabled connection.
/// Throws std::invalid_argument for a connection whose provider has no
/// adapter.
std::vector<child_spec> connection_children(
  std::shared_ptr<const config::node_config> cfg, std::shared_ptr<pg::pool> db,
  std::shared_ptr<http::client> client, std::shared_ptr<actor_directory> dir);

} // namespace ledgerd
