// Visma eAccounting v2 customers, customer invoices and drafts, for an
// authenticated tenant; also as "v3", the stand-in for a future version
// (sim/visma_versions.hpp).
#pragma once

#include "sim/api_types.hpp"
#include "sim/world.hpp"

namespace ledgerd::sim {

/// Handles /visma/v2/... and /visma/v3/... after authentication and rate
/// limiting.
api_response visma_api(world& w, tenant& t, const api_request& req);

/// A record of `kind` ("customers", "customerinvoices",
/// "customerinvoicedrafts") made as a person in the Visma UI would, with
/// `reference` as its Note / ElectronicReference ("" = none). Returns the
/// new record's id ("" = none made).
std::string visma_foreign_create(world& w, tenant& t, const std::string& kind,
                                 const std::string& reference);

/// POST /v2/customerinvoices/{id}/void; also used by the admin API.
api_response void_invoice(world& w, tenant& t, record& r);

/// POST /v2/customerinvoicedrafts/{id}/convert: the draft becomes a
/// customer invoice (new Id, next InvoiceNumber) and is gone; also used by
/// the admin API (a draft converted in the Visma UI).
api_response convert_draft(world& w, tenant& t, const record& draft);

/// The Visma error envelope with a fresh ErrorId.
api_response visma_error(world& w, int status, int code,
                         const std::string& message,
                         nlohmann::json errors = nullptr);

} // namespace ledgerd::sim
