// POST /fortnox/oauth-v1/token and POST /visma/connect/token.
#pragma once

#include "sim/api_types.hpp"
#include "sim/world.hpp"

namespace ledgerd::sim {

api_response oauth_token(world& w, const std::string& provider,
                         const api_request& req);

} // namespace ledgerd::sim
