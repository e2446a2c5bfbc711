// Fortnox v3 customers and invoices, for an authenticated tenant.
#pragma once

#include "sim/api_types.hpp"
#include "sim/world.hpp"

namespace ledgerd::sim {

/// Handles /fortnox/3/... after authentication and rate limiting.
api_response fortnox_api(world& w, tenant& t, const api_request& req);

} // namespace ledgerd::sim
