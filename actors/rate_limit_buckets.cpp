#include "actors/rate_limit_buckets.hpp"

#include <stdexcept>

namespace ledgerd {

std::vector<bucket_ref> buckets_for(const config::node_config& cfg,
                                    const config::tenant_config& tenant,
                                    config::provider_kind provider,
                                    std::string_view endpoint) {
  const auto* conn = tenant.connection(provider);
  if (conn == nullptr)
    throw std::invalid_argument("tenant " + tenant.id + " has no "
                                + std::string{config::to_string(provider)}
                                + " connection");
  auto limit = cfg.rate_limit_for(tenant, provider);
  bucket_ref ref;
  ref.limit = limit.requests;
  ref.window = std::chrono::duration_cast<caf::timespan>(limit.window);
  ref.margin = std::chrono::duration_cast<caf::timespan>(limit.margin);
  if (provider == config::provider_kind::fortnox) {
    ref.key = "fortnox/" + conn->client_id + "/" + tenant.id;
  } else {
    ref.key = "visma/" + conn->client_id + "/" + std::string{endpoint};
    ref.adaptive = true;
  }
  return {ref};
}

} // namespace ledgerd
