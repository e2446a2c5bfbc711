// Fortnox API v3 (provider-facts.md §1): `{base_url}/{api_version}/customers`
// and `/invoices`, keyed by CustomerNumber / DocumentNumber.
//
// - Lists: limit=500 (the largest page), page=N (1-based), sortby by key so
//   pages are stable, lastmodified in Europe/Stockholm wall time (Fortnox's
//   zone; records carry no modified time, so version = hash of the canonical
//   JSON). List items are incomplete (no rows, few fields).
// - remove: customers DELETE; invoices cannot be deleted, so PUT .../cancel.
// - find_by_external_ref: invoices filter on externalinvoicereference1 (a
//   substring search; compare exactly). Customers have no such filter, and
//   their list items lack ExternalReference. The lookup therefore lists the
//   newest customers (sortby=customernumber, sortorder=descending, limit=500)
//   and the caller fetches details of the candidates to compare
//   ExternalReference exactly: an in-doubt create is seconds old, and
//   Fortnox assigns the next customer number. Where the local record has a
//   customer_number, create sends it; a repeated create then fails with
//   2000637 ("already used") instead of creating a duplicate.
// - classify: ErrorInformation in either key casing, {"message": ...} (401)
//   and OAuth {"error", "error_description"}; see errors.cpp.
#pragma once

#include "adapters/provider/rest_adapter.hpp"

#include <string>

namespace ledgerd::fortnox {

class adapter final : public provider::rest_adapter {
public:
  /// `base_url` without a trailing slash; `api_version` "3".
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
  find_by_external_ref(provider::entity kind,
                       std::string_view local_id) const override;
  provider::error classify(const http::client_result& res) const override;
};

/// The Fortnox classification of a failed result (adapter::classify).
provider::error classify(const http::client_result& res);

/// Reads one Customer / Invoice object into a record, or an error naming
/// the missing key.
provider::outcome<provider::remote_record> to_record(provider::entity kind,
                                                     const nlohmann::json& x);

} // namespace ledgerd::fortnox
