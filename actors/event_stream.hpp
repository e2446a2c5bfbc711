// The event stream: one WebSocket to the Fortnox Topics API per client
// (provider-facts.md §1.9), serving all tenants of that client.
//
// Connect: an access token per tenant from the token service -> socket ->
// add-tenants-v1 (the answer maps each token to a Fortnox tenant id, so
// events can be mapped back to ledgerd tenants) -> add-topics-v1 with the
// last committed offset per topic (the server replays what came after) ->
// subscribe-v1. A token the server calls invalid is asked for again with
// its version marked stale at the next connect.
//
// Events: duplicates (at-least-once delivery) are dropped by (topic,
// offset); every new event goes to the sink, and a topic's offset is
// committed to ledgerd.stream_offsets only once the sink answered true for
// it and for every earlier event of that topic, so a crash replays at most
// unhandled events. A false or failed answer ends the connection: the next
// one replays from the last committed offset.
//
// Failures (socket closed, refused command, no token) reconnect after an
// exponential backoff with full jitter (state/backoff.hpp), reset once a
// subscription succeeds.
//
// Spawn it detached: offsets are read and committed synchronously.
#pragma once

#include "adapters/http/ws_client.hpp"
#include "adapters/pg/offset_store.hpp"
#include "config/node_config.hpp"
#include "messages/actors.hpp"
#include "state/backoff.hpp"
#include "state/event_dedup.hpp"

#include <caf/stateful_actor.hpp>

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ledgerd {

struct event_stream_options {
  /// Provider name in events, token requests and status.
  std::string provider = "fortnox";
  /// Key of this stream's rows in ledgerd.stream_offsets.
  std::string stream_key = "fortnox";
  /// ws:// or wss:// URL of the Topics API.
  std::string url;
  std::string client_secret;
  /// The ledgerd tenants this client serves.
  std::vector<std::string> tenants;
  /// Topics to follow.
  std::vector<std::string> topics{"customers", "invoices"};
  token_service_actor tokens;
  event_sink_actor sink;
  std::shared_ptr<pg::offset_store> offsets;
  /// Reconnect delays: full jitter below min(cap, base * 2^(n-1)).
  state::backoff_params backoff{
    std::chrono::seconds{1}, std::chrono::minutes{2}, std::chrono::minutes{2}};
  /// Deadlines and idle/ping timeout of the socket.
  http::ws_options socket;
  /// How long the sink may take to handle one event.
  caf::timespan sink_timeout = std::chrono::seconds{60};
  /// How long the server may take to answer a command.
  caf::timespan command_timeout = std::chrono::seconds{30};
  /// How long the token service may take per tenant.
  caf::timespan token_timeout = std::chrono::seconds{90};
  /// Offsets remembered per topic for dropping duplicates.
  std::size_t dedup_window = 4096;
  /// Tell the sink when the connection is lost: one provider_event of type
  /// stream_down_event per tenant (fire and forget).
  bool notify_disconnects = false;
};

/// One stream per distinct (websocket_url, client_id) among the enabled
/// Fortnox connections of `cfg`, with url, client secret, tenants and
/// stream key ("fortnox:<client id>") filled in; the caller adds the
/// actors, the offset store and tunables.
std::vector<event_stream_options>
event_streams_of(const config::node_config& cfg);

struct event_stream_state {
  enum phase : uint8_t {
    idle,
    fetching_tokens,
    connecting,
    adding_tenants,
    adding_topics,
    subscribing,
    subscribed,
    backoff,
    stopped,
  };

  struct tenant_token {
    std::string access_token;
    uint64_t version = 0;
    /// Version the server rejected: asked for anew at the next connect.
    uint64_t stale = 0;
  };

  /// An event handed to the sink, in arrival order per topic.
  struct unsettled {
    std::string offset;
    bool handled = false;
    /// Its position in the topic (pg::stream_position).
    int64_t position = 0;
  };

  struct topic_state {
    std::deque<unsettled> queue;
    std::string committed;
    int64_t committed_position = 0;
    /// Position of the newest event seen on this connection.
    int64_t position = 0;
  };

  event_stream_options opts;
  std::unique_ptr<http::ws_client> socket;
  state::event_dedup dedup;
  std::mt19937_64 rng{std::random_device{}()};
  uint8_t phase = idle;
  /// Number of the current connection; callbacks of older ones are ignored.
  uint64_t connection = 0;
  /// Failed connects since the last subscription (backoff attempt).
  int failures = 0;
  bool offsets_loaded = false;
  size_t tokens_waiting = 0;
  std::map<std::string, tenant_token> tokens;
  /// Fortnox tenant id -> ledgerd tenant, of the current connection.
  std::map<std::string, std::string> tenant_of;
  std::map<std::string, topic_state> topics;
  /// Events of the current connection waiting for the sink.
  size_t at_sink = 0;
  uint64_t connects = 0;
  uint64_t events = 0;
  caf::timestamp last_event{};
  uint64_t duplicates = 0;
  uint64_t stale_commits = 0;
  std::string last_error;
  bool draining = false;
  caf::typed_response_promise<bool> drain_promise;

  static inline const char* name = "event_stream";
};

event_stream_actor::behavior_type
event_stream(event_stream_actor::stateful_pointer<event_stream_state> self,
             event_stream_options opts);

} // namespace ledgerd
