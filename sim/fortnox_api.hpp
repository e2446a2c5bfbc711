// Fortnox v3 customers and invoices, for an authenticated tenant.
#pragma once

#include "sim/api_types.hpp"
#include "sim/world.hpp"

namespace ledgerd::sim {

/// Handles /fortnox/3/... after authentication and rate limiting.
api_response fortnox_api(world& w, tenant& t, const api_request& req);

/// A record of `kind` ("customers", "invoices") made as a person in the
/// Fortnox UI would: the next number, and `reference` as its external
/// reference ("" = none). Returns the new record's id ("" = none made).
std::string fortnox_foreign_create(world& w, tenant& t, const std::string& kind,
                                   const std::string& reference);

} // namespace ledgerd::sim
