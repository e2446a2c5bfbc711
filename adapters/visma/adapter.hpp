// Visma eAccounting API v2 (provider-facts.md §2), and "v3", our
// simulator's stand-in for a future version (versions.hpp); the version
// picks the field tables:
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
// - Drafts: a local draft invoice is created as a customer invoice draft
//   (`customerinvoicedrafts`, editable by PUT); its remote id is
//   "draft:<Id>" so that every later call knows the path (draft_prefix).
//   When the local invoice leaves draft, transition converts it (POST
//   .../{id}/convert): the answer is a customer invoice with its own Id, and
//   the link moves to it. Drafts share the invoices' rate-limit bucket (an
//   endpoint of their own at Visma: counting them with invoices can only
//   under-use the limit, never exceed it).
// - Customer invoices have no PUT (only drafts do): update of an invoice is
//   a validation error, which the engine shows as remote_read_only. remove:
//   customers DELETE (only without transactions), invoices POST .../void,
//   drafts DELETE.
// - transition: convert only. Cancel and credit of a customer invoice are
//   refused: after a void Visma shows the invoice as settled, not as voided
//   (no documented flag [U]), so ledgerd could not read the status back; the
//   credit endpoint's body is undocumented [U].
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
#include "adapters/visma/versions.hpp"

#include <string>

namespace ledgerd::visma {

class adapter final : public provider::rest_adapter {
public:
  /// `base_url` without a trailing slash; `api_version` one of
  /// known_versions() (std::invalid_argument otherwise: the registry and
  /// the config loader refuse other versions first).
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
  void annotate(const http::client_request& req,
                provider::remote_record& rec) const override;
  http::client_request get(provider::entity kind,
                           std::string_view remote_id) const override;
  http::client_request
  find_by_external_ref(const provider::ref_query& q) const override;
  provider::error classify(const http::client_result& res) const override;

private:
  const version_table* version_;
};

/// The remote-id prefix of a customer invoice draft.
inline constexpr std::string_view draft_prefix = "draft:";

/// The Visma classification of a failed result (adapter::classify).
provider::error classify(const http::client_result& res);

/// Reads one CustomerApi / CustomerInvoiceApi object of version `v` into a
/// record.
provider::outcome<provider::remote_record> to_record(const version_table& v,
                                                     provider::entity kind,
                                                     const nlohmann::json& x);

/// Reads one list item: the record when it carries every key the mapping
/// reads, else a partial record with only its id and version, whose detail
/// the caller fetches.
provider::outcome<provider::remote_record> list_item(const version_table& v,
                                                     provider::entity kind,
                                                     const nlohmann::json& x);

} // namespace ledgerd::visma
