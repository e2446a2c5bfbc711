// Visma eAccounting API v2 (provider-facts.md §2):
// `{base_url}/{api_version}/customers` and `/customerinvoices`, keyed by Id
// (GUID).
//
// - Lists: $page (1-based), $pagesize=500 (the maximum is not documented
//   [U]; Visma answers with its own PageSize if it caps it), envelope
//   Meta + Data. List items are complete records; Meta.ServerTimeUtc is the
//   watermark source.
// - Deltas: invoices modifiedSinceUtc=YYYY-MM-DDTHH:MM:SSZ; customers have no
//   such parameter, so $filter=ChangedUtc gt YYYY-MM-DDTHH:MM:SSZ (OData;
//   the exact datetime literal syntax is unverified [U]).
// - version: ModifiedUtc (invoices) / ChangedUtc (customers; null on
//   customers never changed, then the canonical hash).
// - Customer invoices have no PUT (only drafts do): update of an invoice is
//   a validation error. remove: customers DELETE (only without
//   transactions), invoices POST .../void.
// - Invoice rows carry PercentVat (a fraction, 25 % = 0.25) and IsVatFree
//   (0 %): without them Visma applies its default rate. Rows are sent
//   without ArticleId: the local article number is free text, and mapping it
//   to Visma's article GUIDs (whose VAT Visma may prefer [U]) needs an
//   article sync ledgerd does not have yet.
// - find_by_external_ref: $filter on Note (customers) / ElectronicReference
//   (invoices), see mapping.hpp; every page, and the caller compares the
//   field exactly (the search's exactness and lag are [U]).
// - classify: {"ErrorCode", "DeveloperErrorMessage", "ErrorId", "Errors"};
//   4010 is the rate limit ("Try again in N seconds"), 3000 not found.
#pragma once

#include "adapters/provider/rest_adapter.hpp"

#include <string>

namespace ledgerd::visma {

class adapter final : public provider::rest_adapter {
public:
  /// `base_url` without a trailing slash; `api_version` "v2".
  adapter(std::string base_url, std::string api_version);

  http::client_request list(const provider::list_query& q) const override;
  provider::outcome<provider::page>
  decode_list(provider::entity kind,
              const http::client_result& res) const override;
  provider::outcome<provider::remote_record>
  decode_one(provider::entity kind,
             const http::client_result& res) const override;
  provider::outcome<http::client_request>
  create(provider::entity kind, const nlohmann::json& canonical,
         const nlohmann::json& defaults) const override;
  provider::outcome<http::client_request>
  update(provider::entity kind, std::string_view remote_id,
         const nlohmann::json& canonical,
         const nlohmann::json& raw) const override;
  provider::outcome<http::client_request>
  remove(provider::entity kind, std::string_view remote_id) const override;
  http::client_request
  find_by_external_ref(const provider::ref_query& q) const override;
  provider::error classify(const http::client_result& res) const override;
};

/// The Visma classification of a failed result (adapter::classify).
provider::error classify(const http::client_result& res);

/// Reads one CustomerApi / CustomerInvoiceApi object into a record.
provider::outcome<provider::remote_record> to_record(provider::entity kind,
                                                     const nlohmann::json& x);

} // namespace ledgerd::visma
