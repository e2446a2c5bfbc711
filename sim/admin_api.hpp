// The simulator's own JSON API under /sim/: tenants and their data, faults,
// statistics, reset. Never rate limited or faulted.
#pragma once

#include "sim/api_types.hpp"
#include "sim/world.hpp"

namespace ledgerd::sim {

api_response admin_api(world& w, const api_request& req);

/// Creates a tenant from a POST /sim/tenants body and returns its tokens.
/// Throws std::invalid_argument on a bad spec.
nlohmann::json create_tenant(world& w, const nlohmann::json& spec);

} // namespace ledgerd::sim
