// The provider-agnostic interface every accounting provider implements.
//
// An adapter is pure: it plans HTTP requests (URL, method, body) and decodes
// responses; it never does I/O, holds no tokens and knows no time source.
// The provider actor executes its requests (adding the bearer token, asking
// the rate limiter first) and feeds the responses back to it. That keeps each
// provider's quirks testable without a network and leaves the I/O policy
// (grants, retries, refresh) in one place.
//
// Adding a provider: one folder under adapters/ with an `adapter`
// implementation (REST providers derive from provider::rest_adapter, see
// rest_adapter.hpp), registered in adapters/provider/registry.cpp.
#pragma once

#include "adapters/http/client.hpp"
#include "state/invoice_lifecycle.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ledgerd::provider {

enum class entity : uint8_t { customer, invoice };

/// "customer" / "invoice" (as in the database's entity columns).
std::string_view to_string(entity x);

/// What a provider supports.
struct capabilities {
  /// Change events over a push stream (Fortnox WebSocket topics).
  bool event_stream = false;
  /// Change notifications by webhook.
  bool push_webhooks = false;
  /// Several records per write request.
  bool batch = false;
  /// DELETE of a customer / an invoice.
  bool delete_customer = false;
  bool delete_invoice = false;
  /// Cancel (Fortnox) or void (Visma) of an invoice instead of a delete.
  bool cancel_invoice = false;
  /// List responses carry the server's clock (Visma Meta.ServerTimeUtc,
  /// Fortnox the HTTP Date): watermarks come from it, not from ours.
  bool server_time = false;
  /// List items are complete records; false = fetch each changed record's
  /// detail (Fortnox list items lack rows and most fields).
  bool complete_list_items = false;
};

/// A provider error, classified for the engine.
struct error {
  /// Transport class; for responses the adapter may refine it by the
  /// provider's own error code (e.g. Fortnox 2000433 -> not_found).
  http::failure kind = http::failure::network;
  /// HTTP status, 0 without a response.
  int status = 0;
  /// Provider error code as text ("2000434", "4010"), empty when none.
  std::string code;
  /// The provider's message as it was sent (kept verbatim for people).
  std::string message;
  /// For rate limits: the provider's hint, zero when none.
  std::chrono::milliseconds retry_after{0};
  /// Field-level validation errors ("Field: message").
  std::vector<std::string> fields;
  /// The response did not have the expected shape (API changed, truncated):
  /// `message` names what was missing.
  bool malformed = false;

  /// Worth retrying later (network, timeout, rate_limited, transient).
  bool retryable() const;
};

/// Which header announced that the API answering goes away.
enum class retirement_header : uint8_t {
  /// No announcement.
  none,
  /// RFC 9745 `Deprecation` (a date, "@<epoch seconds>" or "true").
  deprecation,
  /// RFC 8594 `Sunset` (the HTTP date after which it may stop answering).
  sunset,
};

/// "Deprecation" / "Sunset" ("" for none), as the header is spelled.
std::string_view to_string(retirement_header x);

/// A provider's announcement on an answer that the API (version) answering
/// is deprecated or has a sunset date. The pull pauses on it like on drift
/// (actors/pull_job.cpp): a person decides when to move to another version.
struct retirement {
  retirement_header header = retirement_header::none;
  /// The header's value as sent.
  std::string value;
  /// The endpoint that answered ("/customers").
  std::string path;

  bool announced() const {
    return header != retirement_header::none;
  }

  friend bool operator==(const retirement&, const retirement&) = default;
};

/// "provider announced Sunset: Sat, 01 May 2027 00:00:00 GMT on /customers".
std::string describe(const retirement& x);

/// The announcement in the headers of `res` for `path`: Sunset when it is
/// there (it dates the end), else Deprecation, else none.
retirement retirement_of(const http::client_result& res, std::string path);

/// One record as the provider has it.
struct remote_record {
  entity kind = entity::customer;
  /// The provider's key (Fortnox CustomerNumber / DocumentNumber, Visma Id).
  std::string remote_id;
  /// Opaque version: Visma ModifiedUtc/ChangedUtc; Fortnox has none, so a
  /// hash of the canonical JSON.
  std::string version;
  /// Canonical JSON (state::to_json of a customer or invoice). For list
  /// items that are not complete (capabilities::complete_list_items) only the
  /// fields the list carries are set.
  nlohmann::json canonical;
  /// The provider's object as received: fields ledgerd does not map survive
  /// an update because updates start from it.
  nlohmann::json raw;
  /// Deleted / cancelled on the provider's side.
  bool deleted = false;
  /// A list item that lacks keys the mapping reads (a summary where whole
  /// records were expected): only its id is known; its detail is fetched.
  bool partial = false;
  /// What the answer that carried the record announced (single-record
  /// answers; list items leave it to their page).
  retirement notice;
};

/// A record of a page that could not be mapped (e.g. a renamed field).
struct rejected_record {
  /// The key when it could be read, else "".
  std::string remote_id;
  std::string reason;
};

/// One page of a list.
struct page {
  std::vector<remote_record> records;
  std::vector<rejected_record> rejected;
  /// 1-based page number of this page and the number of pages.
  uint32_t current = 1;
  uint32_t total_pages = 1;
  uint64_t total_records = 0;
  /// The provider's clock when it answered ("" when it does not say):
  /// Visma Meta.ServerTimeUtc, Fortnox the Date header; ISO 8601 UTC.
  std::string server_time;
  /// What the answer announced (Deprecation / Sunset headers).
  retirement notice;

  bool last() const {
    return current >= total_pages;
  }
};

template<class T>
using outcome = std::variant<T, error>;

/// Time for delta queries (UTC).
using time_point = std::chrono::sys_seconds;

/// Which records a list asks for.
struct list_query {
  entity kind = entity::customer;
  /// Changed since (inclusive); std::nullopt = all records.
  std::optional<time_point> since;
  /// 1-based page.
  uint32_t page = 1;
};

/// An in-doubt lookup: which records may be the one a write with a lost
/// answer created. The caller reads every page with `decode_list`, fetches
/// the detail of incomplete items, and compares canonical.external_ref
/// exactly: provider searches may match substrings, ignore a filter, or
/// list items may lack the field.
struct ref_query {
  entity kind = entity::customer;
  std::string local_id;
  /// When the write in doubt was first sent: a record created by it was
  /// modified at or after this time. Providers that cannot search by the
  /// reference bound their scan by it; std::nullopt = scan everything.
  std::optional<time_point> since;
  /// 1-based page.
  uint32_t page = 1;
  /// The status the create carried ("" when none): a provider that keeps
  /// drafts apart (Visma customerinvoicedrafts) searches there for a draft.
  std::string status;
};

class adapter {
public:
  virtual ~adapter() = default;

  /// "fortnox", "visma".
  virtual std::string_view name() const = 0;

  virtual capabilities caps() const = 0;

  /// The endpoint of `kind`'s records ("customers", "customerinvoices").
  virtual std::string endpoint(entity kind) const = 0;

  /// The rate-limit endpoint `req` (a request for `kind`) is counted
  /// under: the resource its path names ("customerinvoicedrafts" for a
  /// Visma draft, though the record is an invoice), since Visma counts 600
  /// a minute per client and endpoint; endpoint(kind) when the path names
  /// none. An action path (".../{id}/convert") counts under its resource
  /// [U: Visma does not say what an endpoint is].
  virtual std::string endpoint_of(const http::client_request& req,
                                  entity kind) const = 0;

  /// A list request (largest page size the provider allows).
  virtual http::client_request list(const list_query& q) const = 0;

  /// Decodes a list response (status 2xx).
  virtual outcome<page> decode_list(entity kind,
                                    const http::client_result& res) const = 0;

  /// Fetches one record.
  virtual http::client_request get(entity kind,
                                   std::string_view remote_id) const = 0;

  /// Decodes a response holding one record (get, create, update, cancel).
  virtual outcome<remote_record>
  decode_one(entity kind, const http::client_result& res) const = 0;

  /// Creates a record from canonical JSON. The canonical external_ref (the
  /// local id) goes into the provider's external reference field.
  /// `defaults` (a provider object or null, from the connection's
  /// create_defaults) supplies fields the canonical model does not carry;
  /// mapped fields win over it.
  virtual outcome<http::client_request>
  create(entity kind, const nlohmann::json& canonical,
         const nlohmann::json& defaults) const = 0;

  /// Updates `remote_id`: only mapped fields are written; `raw` (the last
  /// provider object, may be null) supplies everything else.
  virtual outcome<http::client_request>
  update(entity kind, std::string_view remote_id,
         const nlohmann::json& canonical, const nlohmann::json& raw) const = 0;

  /// Deletes (or, where the provider has no delete, cancels) a record;
  /// error when the provider allows neither for `kind`.
  virtual outcome<http::client_request>
  remove(entity kind, std::string_view remote_id) const = 0;

  /// The request that moves invoice `remote_id` from status `from` (the
  /// provider's) to `to` (the local record's); they differ. A move the
  /// provider does not offer is a validation error whose message says why
  /// (state::plan_transition over the adapter's table of moves). The
  /// answer is decoded with decode_one; its remote id may be a new one
  /// (Visma's convert of a draft).
  virtual outcome<http::client_request>
  transition(entity kind, std::string_view remote_id,
             state::invoice_status from, state::invoice_status to) const = 0;

  /// Adjusts a record decoded from the answer to `req` (a request this
  /// adapter planned) by what only the request tells: Visma drafts live at
  /// their own path and their ids carry a prefix. Default: nothing.
  virtual void annotate(const http::client_request& req,
                        remote_record& rec) const;

  /// One page of the records that may carry `q.local_id` as their external
  /// reference (see ref_query).
  virtual http::client_request
  find_by_external_ref(const ref_query& q) const = 0;

  /// Classifies a failed result (no response, or a non-2xx status) with the
  /// provider's own error body.
  virtual error classify(const http::client_result& res) const = 0;
};

} // namespace ledgerd::provider
