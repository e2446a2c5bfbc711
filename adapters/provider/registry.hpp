// Provider adapters by name: the one place that knows every provider.
#pragma once

#include "adapters/provider/provider.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ledgerd::provider {

/// The adapter for `provider` ("fortnox", "visma") with its API base URL (no
/// trailing slash, may carry a path prefix) and API version ("3", "v2"),
/// which selects the version's mapping; nullptr for an unknown name or a
/// version the provider's adapter does not know.
std::unique_ptr<adapter> make_adapter(std::string_view provider,
                                      std::string base_url,
                                      std::string api_version);

/// Names accepted by `make_adapter`, in registration order.
std::vector<std::string_view> known_providers();

/// API versions `make_adapter` accepts for `provider`, oldest first; empty
/// for an unknown provider. The config loader's list
/// (config::known_api_versions) must be the same; a test holds them equal.
std::vector<std::string_view> known_versions(std::string_view provider);

} // namespace ledgerd::provider
