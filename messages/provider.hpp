// Messages of the provider actors: calls (list a page, get, create, update,
// remove, find by external reference), their results, and connection
// status. Records travel as canonical JSON text (state/canonical.hpp): the
// sync core merges field by field on that JSON anyway, and CAF 0.17 cannot
// inspect std::optional.
#pragma once

#include <caf/meta/type_name.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ledgerd {

/// What a provider call does (values of provider_call::op).
enum provider_op : uint8_t {
  /// One page of records changed since `since` (all when empty).
  op_list,
  /// One record by remote id.
  op_get,
  /// Create from canonical JSON.
  op_create,
  /// Update `remote_id` (mapped fields only, the rest from `raw`).
  op_update,
  /// Delete or cancel `remote_id` (per provider capability).
  op_remove,
  /// Records whose external reference is `local_id`.
  op_find_external,
  /// Move invoice `remote_id` from `status_from` to `status_to` (the
  /// provider's lifecycle action: bookkeep, cancel, credit, convert).
  op_transition,
};

/// One call to a provider connection.
struct provider_call {
  uint8_t op = op_list;
  /// provider::entity value: 0 customer, 1 invoice.
  uint8_t entity = 0;
  std::string remote_id;
  /// Changed since (ISO 8601 UTC, "2024-05-01T10:00:00Z"); empty = all.
  std::string since;
  /// 1-based page of a list.
  uint32_t page = 1;
  /// Canonical JSON text (create, update).
  std::string canonical;
  /// The provider object last seen (update), JSON text; may be empty.
  std::string raw;
  /// The local id (find_external).
  std::string local_id;
  /// Invoice statuses (state::invoice_status names): op_transition moves
  /// from `status_from` to `status_to`; op_find_external passes the status
  /// the create carried in `status_to`.
  std::string status_from;
  std::string status_to;
  /// state::job_priority value: 3 manual, 2 event, 1 poll, 0 backfill.
  int16_t priority = 1;
  /// The write of a read-merge-write: it is granted before the others of
  /// its priority, so the provider's record has the least time to change
  /// between the read and the write (neither provider has conditional
  /// writes).
  bool follows_read = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, provider_call& x) {
  return f(caf::meta::type_name("provider_call"), x.op, x.entity, x.remote_id,
           x.since, x.page, x.canonical, x.raw, x.local_id, x.status_from,
           x.status_to, x.priority, x.follows_read);
}

/// One record as the provider has it.
struct provider_record {
  uint8_t entity = 0;
  std::string remote_id;
  std::string version;
  /// Canonical JSON text.
  std::string canonical;
  /// Provider JSON text as received.
  std::string raw;
  bool deleted = false;
  /// False for list items that lack detail (Fortnox lists).
  bool complete = true;
  /// How far the provider's clock was ahead of ours (negative: behind) on
  /// the answer that carried the record (state/clock_offset.hpp): a change
  /// time in `version` less this is on our clock.
  int64_t clock_ahead_ms = 0;
  /// When the job asked for the call that carried the record, and when its
  /// answer came (microseconds since the epoch, our clock; 0 = unknown):
  /// the provider read the record in between (state/read_order.hpp).
  int64_t asked_at_us = 0;
  int64_t answered_at_us = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, provider_record& x) {
  return f(caf::meta::type_name("provider_record"), x.entity, x.remote_id,
           x.version, x.canonical, x.raw, x.deleted, x.complete,
           x.clock_ahead_ms, x.asked_at_us, x.answered_at_us);
}

/// A failed call, classified.
struct provider_failure {
  /// http::failure value (0 = none: the call succeeded).
  uint8_t kind = 0;
  int32_t status = 0;
  std::string code;
  /// The provider's message, verbatim, or ours when there was no response.
  std::string message;
  std::vector<std::string> fields;
  caf::timespan retry_after{};
  bool retryable = false;
  /// The response lacked expected fields (API change, truncation).
  bool malformed = false;
  /// The connection needs a person to authorize it again; calls fail at
  /// once until then.
  bool needs_reauth = false;
  /// A write whose outcome on the provider is unknown (timeout after
  /// sending): look it up by external reference before any retry.
  bool outcome_unknown = false;
  /// The call was never sent: no access token could be had for now (the
  /// token endpoint failed, throttled or unreachable; the grant stands).
  bool no_token = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, provider_failure& x) {
  return f(caf::meta::type_name("provider_failure"), x.kind, x.status, x.code,
           x.message, x.fields, x.retry_after, x.retryable, x.malformed,
           x.needs_reauth, x.outcome_unknown, x.no_token);
}

/// A provider's announcement on an answer that its API goes away
/// (provider::retirement: Deprecation or Sunset header).
struct provider_notice {
  /// provider::retirement_header value; 0 = none.
  uint8_t header = 0;
  /// The header's value as sent.
  std::string value;
  /// The endpoint that answered ("/customers").
  std::string path;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, provider_notice& x) {
  return f(caf::meta::type_name("provider_notice"), x.header, x.value, x.path);
}

/// The answer to a provider_call.
struct provider_result {
  bool ok = false;
  provider_failure failure;
  std::vector<provider_record> records;
  /// "<remote id>: <reason>" for list items that could not be mapped.
  std::vector<std::string> rejected;
  uint32_t page = 1;
  uint32_t total_pages = 1;
  uint64_t total_records = 0;
  /// Provider clock at the answer (a list: Visma's meta or the Date
  /// header; one record: the Date header), "" when unknown.
  std::string server_time;
  /// A Deprecation / Sunset announcement on the answer (header 0: none).
  provider_notice notice;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, provider_result& x) {
  return f(caf::meta::type_name("provider_result"), x.ok, x.failure, x.records,
           x.rejected, x.page, x.total_pages, x.total_records, x.server_time,
           x.notice);
}

/// A provider connection as telemetry shows it.
struct connection_status {
  std::string tenant;
  std::string provider;
  /// "ok", "refreshing", "needs_reauth", "no_credentials".
  std::string state;
  /// Why it needs re-authorization (the token endpoint's answer).
  std::string reason;
  /// Token refreshes performed by this node.
  uint64_t refreshes = 0;
  /// Calls by "<endpoint> <status>" (status "network", "timeout" when none).
  std::map<std::string, uint64_t> calls;
  /// Calls waiting for a token or a grant, and in flight.
  uint64_t waiting = 0;
  uint64_t in_flight = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_status& x) {
  return f(caf::meta::type_name("connection_status"), x.tenant, x.provider,
           x.state, x.reason, x.refreshes, x.calls, x.waiting, x.in_flight);
}

/// An HTTP exchange finished (sent by the HTTP client's io thread to the
/// actor that started it).
struct http_done {
  uint64_t call = 0;
  /// http::failure value.
  uint8_t failure = 0;
  int32_t status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  std::string message;
  caf::timespan retry_after{};
  bool maybe_sent = false;
  std::string request_id;
  /// Our wall clock when the answer arrived, ns since the epoch.
  int64_t received_at_ns = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_done& x) {
  return f(caf::meta::type_name("http_done"), x.call, x.failure, x.status,
           x.headers, x.body, x.message, x.retry_after, x.maybe_sent,
           x.request_id, x.received_at_ns);
}

/// Tokens from a refresh (or a stored newer token), for the provider actor.
struct token_update {
  /// Empty on failure.
  std::string access_token;
  caf::timestamp expires_at{};
  uint64_t version = 0;
  /// "" on success; "invalid_grant", "invalid_client", "no_credentials" end
  /// in needs_reauth; anything else is transient (try again later).
  std::string error;
  std::string message;
  /// True when this node's request rotated the tokens (counts a refresh).
  bool refreshed = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_update& x) {
  return f(caf::meta::type_name("token_update"), x.access_token, x.expires_at,
           x.version, x.error, x.message, x.refreshed);
}

/// Asks the token service for a valid access token of (tenant, provider);
/// `stale_version` is the credentials version whose access token failed or
/// expired (0 = none yet): a stored newer version is returned as it is.
struct token_request {
  std::string tenant;
  std::string provider;
  uint64_t stale_version = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_request& x) {
  return f(caf::meta::type_name("token_request"), x.tenant, x.provider,
           x.stale_version);
}

/// A change event from a provider's push stream (Fortnox WebSocket topics).
struct provider_event {
  /// "fortnox".
  std::string provider;
  /// ledgerd's tenant id (mapped from the provider's tenant id).
  std::string tenant;
  /// "invoices", "customers".
  std::string topic;
  /// Opaque offset, unique and ordered within the topic.
  std::string offset;
  /// E.g. "invoice-updated-v1", "customer-deleted-v1".
  std::string type;
  /// The record's provider key (DocumentNumber, CustomerNumber).
  std::string entity_id;
  /// As sent, e.g. "2017-12-28T14:59:16.500+01:00".
  std::string timestamp;
};

/// provider_event::type of the notice an event stream sends its sink for
/// each tenant when its connection is lost.
inline constexpr std::string_view stream_down_event = "stream-disconnected";

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, provider_event& x) {
  return f(caf::meta::type_name("provider_event"), x.provider, x.tenant,
           x.topic, x.offset, x.type, x.entity_id, x.timestamp);
}

/// Something happened on the event stream's WebSocket (sent by the socket's
/// io thread to the stream actor).
struct ws_event {
  /// The stream actor's connection number (stale ones are ignored).
  uint64_t connection = 0;
  /// ws_event::kind value.
  uint8_t kind = 0;
  /// The message (text), why the connection ended (closed), or the phase
  /// whose command must have been answered by now (deadline).
  std::string data;

  /// `deadline` is the actor's own timer for a command's answer.
  enum kind : uint8_t { opened, text, closed, deadline };
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_event& x) {
  return f(caf::meta::type_name("ws_event"), x.connection, x.kind, x.data);
}

/// The event stream's connection as telemetry shows it.
struct event_stream_status {
  std::string provider;
  /// "connecting", "subscribed", "backoff", "stopped".
  std::string state;
  uint64_t connects = 0;
  uint64_t events = 0;
  uint64_t duplicates = 0;
  /// Commits refused because a later position was stored (another stream
  /// of this key is ahead).
  uint64_t stale_commits = 0;
  /// When the last event arrived; default (epoch) = none yet.
  caf::timestamp last_activity{};
  /// Last committed offset per topic.
  std::map<std::string, std::string> offsets;
  /// Tenants subscribed (ledgerd ids).
  std::vector<std::string> tenants;
  std::string last_error;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_stream_status& x) {
  return f(caf::meta::type_name("event_stream_status"), x.provider, x.state,
           x.connects, x.events, x.duplicates, x.stale_commits, x.last_activity,
           x.offsets, x.tenants, x.last_error);
}

} // namespace ledgerd
