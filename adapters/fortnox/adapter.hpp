// Fortnox API v3 (provider-facts.md §1): `{base_url}/{api_version}/customers`
// and `/invoices`, keyed by CustomerNumber / DocumentNumber.
//
// - Lists: limit=500 (the largest page), page=N (1-based), sortby by key so
//   pages are stable, lastmodified in Europe/Stockholm wall time (Fortnox's
//   zone; records carry no modified time, so version = hash of the canonical
//   JSON). List items are incomplete (no rows, few fields).
// - remove: customers DELETE; invoices cannot be deleted, so PUT .../cancel.
// - find_by_external_ref: invoices filter on externalinvoicereference1 (a
//   substring search; list items carry the field, the caller compares it
//   exactly). Customers have no such filter and their list items lack
//   ExternalReference, so the lookup lists every customer modified since the
//   write in doubt was first sent (`lastmodified`, less in_doubt_margin),
//   all pages, and the caller fetches each candidate's detail to compare
//   ExternalReference exactly. Why this bound: a create is a modification,
//   and `lastmodified` is the one documented filter that a record Fortnox
//   stored cannot escape [V]; "the newest customers" is not (people create
//   customers in the Fortnox UI meanwhile, customer numbers may be chosen by
//   hand, and sort order of numbers is text order). The cost is a detail
//   fetch per customer modified in that window, bounded by the tenant's
//   activity, not its size: 10,000 old customers cost nothing. The margin
//   covers the zone ([V-lib] Europe/Stockholm, and one hour of DST fold),
//   clock skew and an exclusive boundary [U]. Where the local record has a
//   customer_number, create sends it; a repeated create then fails with
//   2000637 ("already used") instead of creating a duplicate.
// - transition: the moves of lifecycle_rules in adapter.cpp, each a PUT on
//   the invoice's action path (bookkeep, externalprint, cancel, credit). The
//   status itself is never written by an update (Booked, Cancelled, Credit
//   are Fortnox's), so a local draft -> booked is a bookkeep, not a PUT.
// - classify: ErrorInformation in either key casing, {"message": ...} (401)
//   and OAuth {"error", "error_description"}; see errors.cpp.
#pragma once

#include "adapters/fortnox/versions.hpp"
#include "adapters/provider/rest_adapter.hpp"

#include <chrono>
#include <span>
#include <string>
#include <string_view>

namespace ledgerd::fortnox {

/// How far before the write in doubt an in-doubt customer lookup starts
/// (see find_by_external_ref above).
inline constexpr std::chrono::minutes in_doubt_margin{75};

class adapter final : public provider::rest_adapter {
public:
  /// `base_url` without a trailing slash; `api_version` one of
  /// known_versions() (std::invalid_argument otherwise).
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
  provider::outcome<http::client_request>
  transition(provider::entity kind, std::string_view remote_id,
             state::invoice_status from,
             state::invoice_status to) const override;
  http::client_request
  find_by_external_ref(const provider::ref_query& q) const override;
  provider::error classify(const http::client_result& res) const override;

private:
  const version_table* version_;
};

/// The Fortnox classification of a failed result (adapter::classify).
provider::error classify(const http::client_result& res);

/// Reads one Customer / Invoice object of version `v` into a record, or an
/// error naming the missing key.
provider::outcome<provider::remote_record> to_record(const version_table& v,
                                                     provider::entity kind,
                                                     const nlohmann::json& x);

} // namespace ledgerd::fortnox
