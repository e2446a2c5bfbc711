// Visma eAccounting v2 customers and customer invoices, for an
// authenticated tenant.
#pragma once

#include "sim/api_types.hpp"
#include "sim/world.hpp"

namespace ledgerd::sim {

/// Handles /visma/v2/... after authentication and rate limiting.
api_response visma_api(world& w, tenant& t, const api_request& req);

/// POST /v2/customerinvoices/{id}/void; also used by the admin API.
api_response void_invoice(world& w, tenant& t, record& r);

/// The Visma error envelope with a fresh ErrorId.
api_response visma_error(world& w, int status, int code,
                         const std::string& message,
                         nlohmann::json errors = nullptr);

} // namespace ledgerd::sim
