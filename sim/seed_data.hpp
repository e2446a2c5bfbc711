// Deterministic, Swedish-looking data for a new tenant.
#pragma once

#include <cstdint>

#include "sim/world.hpp"

namespace ledgerd::sim {

/// Adds `customers` customers and `invoices` invoices (1-5 rows each, 25 %
/// VAT, totals consistent with the rows) to `t`. The same seed gives the
/// same records; modified times lie 1 hour to 30 days in the past so that
/// deltas taken from now on see only later changes.
void seed_tenant(tenant& t, std::size_t customers, std::size_t invoices,
                 uint64_t seed);

} // namespace ledgerd::sim
