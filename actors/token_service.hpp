// The token service: valid access tokens per (tenant, provider) from the
// credentials table, refreshed single-flight. One detached actor per node:
// its mailbox serializes refreshes on this node (a request that arrives
// while a refresh runs finds the new version stored and gets it without a
// second refresh) and the credentials row lock serializes them across
// nodes. Refreshes are rare (hourly per connection), so one thread suffices.
#pragma once

#include "adapters/http/client.hpp"
#include "adapters/pg/credential_store.hpp"
#include "config/node_config.hpp"
#include "messages/actors.hpp"

#include <caf/stateful_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace ledgerd {

struct token_service_options {
  std::shared_ptr<pg::credential_store> store;
  std::shared_ptr<http::client> client;
  /// The tenants and their connections (token URL, client id, secret).
  std::shared_ptr<const config::node_config> config;
  /// Tokens that expire sooner than this are refreshed.
  std::chrono::seconds min_validity{60};
  /// Wall clock (tests pass their own).
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

struct token_service_state {
  token_service_options opts;
  static inline const char* name = "token_service";
};

token_service_actor::behavior_type
token_service(token_service_actor::stateful_pointer<token_service_state> self,
              token_service_options opts);

/// The connection of `provider` of `tenant`, or nullptr.
const config::connection_config* find_connection(const config::node_config& cfg,
                                                 std::string_view tenant,
                                                 std::string_view provider);

} // namespace ledgerd
