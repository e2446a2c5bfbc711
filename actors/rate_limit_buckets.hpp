// Which rate-limit buckets a provider request counts against, with the
// limits of the configuration: [rate_limits.<provider>] with the tenant's
// [tenants.rate_limits.<provider>] overrides (DESIGN.md §4).
#pragma once

#include "config/node_config.hpp"
#include "messages/rate_limits.hpp"

#include <string_view>
#include <vector>

namespace ledgerd {

/// Fortnox counts per (client, tenant): one bucket
/// "fortnox/<client_id>/<tenant>". Visma counts per (client, endpoint),
/// shared by all tenants, and its limits are detected at run time: one
/// adaptive bucket "visma/<client_id>/<endpoint>" starting at the configured
/// limit. Requires a connection of that provider in `tenant`.
std::vector<bucket_ref> buckets_for(const config::node_config& cfg,
                                    const config::tenant_config& tenant,
                                    config::provider_kind provider,
                                    std::string_view endpoint);

} // namespace ledgerd
