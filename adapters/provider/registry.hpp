// Provider adapters by name: the one place that knows every provider.
#pragma once

#include "adapters/provider/provider.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ledgerd::provider {

/// The adapter for `provider` ("fortnox", "visma") with its API base URL (no
/// trailing slash, may carry a path prefix) and API version ("3", "v2");
/// nullptr for an unknown name.
std::unique_ptr<adapter> make_adapter(std::string_view provider,
                                      std::string base_url,
                                      std::string api_version);

/// Names accepted by `make_adapter`, in registration order.
std::vector<std::string_view> known_providers();

} // namespace ledgerd::provider
