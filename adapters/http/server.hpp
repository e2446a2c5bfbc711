// HTTP/1.1 server on Boost.Beast with its own io_context on one dedicated
// thread. No CAF here: callers bridge to actors through the handler/responder
// interface (caf-0.17-notes.md §11), e.g. a handler spawns a short-lived
// bridge actor that calls `responder::respond` from its continuation.
//
// Threading rules:
// - Handlers run on the io thread and must not block it: no database calls,
//   no `scoped_actor` receive, no `function_view`, no waiting on futures.
//   Hand the work off and answer later through the responder.
// - `responder` and `stream` are thread-safe: use them from any thread, also
//   after the server stopped (then they do nothing).
// - Register routes before `start()`.
// - Never call `stop()` (or destroy the server) from a handler.
#pragma once

#include "adapters/http/text.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ledgerd::http {

namespace detail {
struct responder_state;
struct stream_state;
} // namespace detail

/// Configuration of a `server`.
struct server_options {
  /// Address to bind: an IP literal or a host name resolved at start().
  std::string host = "127.0.0.1";

  /// Port to bind; 0 picks an ephemeral port (see `server::port()`).
  uint16_t port = 0;

  /// Largest accepted request body; larger bodies get 413.
  std::size_t max_body_bytes = 1024 * 1024;

  /// Largest accepted request header block; larger ones get 431.
  std::size_t max_header_bytes = 16 * 1024;

  /// Deadline for reading one whole request (header and body), counted from
  /// the moment the server starts waiting for it; this also bounds how long
  /// an idle keep-alive connection stays open. Slow clients (slowloris) are
  /// disconnected when it passes.
  std::chrono::milliseconds read_timeout = std::chrono::seconds{30};

  /// Deadline for writing one response.
  std::chrono::milliseconds write_timeout = std::chrono::seconds{30};

  /// How long a handler may take to respond before the client gets 503.
  std::chrono::milliseconds handler_timeout = std::chrono::seconds{30};

  /// At most this many connections at once; further ones get 503 and are
  /// closed.
  std::size_t max_connections = 256;

  /// How long `stop()` lets in-flight requests finish before it closes
  /// their connections.
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds{5};

  /// Largest backlog of unsent event-stream data per connection; a slower
  /// consumer is disconnected.
  std::size_t max_stream_backlog_bytes = 1024 * 1024;
};

/// One parsed request, copied out of Beast: a plain value, safe to send to
/// other threads or put into messages.
struct request {
  /// Method as sent, e.g. "GET".
  std::string method;

  /// Request target as sent, e.g. "/webhooks/fortnox/t1?x=1".
  std::string target;

  /// Path part of the target, not decoded, e.g. "/webhooks/fortnox/t1".
  std::string path;

  /// Values of the route's `{name}` segments, percent-decoded.
  std::map<std::string, std::string> params;

  /// Query parameters, percent-decoded ('+' is a space); the last one wins
  /// when a name repeats.
  std::map<std::string, std::string> query;

  /// Header fields with lower-cased names; repeated fields are joined with
  /// ", ".
  std::map<std::string, std::string> headers;

  /// Request body (at most `server_options::max_body_bytes`).
  std::string body;

  /// Peer as "ip:port" ("[ip]:port" for IPv6).
  std::string remote_address;

  /// Value of header `name` (any case), or "" when absent.
  std::string header(std::string_view name) const;

  friend bool operator==(const request&, const request&) = default;
};

/// What a handler answers.
struct response {
  /// HTTP status code (200..999; anything else is sent as 500). 204 and 304
  /// are sent without a body.
  int status = 200;

  /// Content-Type; omitted when empty.
  std::string content_type = "text/plain; charset=utf-8";

  /// Response body.
  std::string body;

  /// More header fields, appended as given. Content-Length,
  /// Transfer-Encoding and Connection are managed by the server and ignored
  /// here.
  std::vector<std::pair<std::string, std::string>> headers;

  /// A JSON response: `application/json` with `body.dump()`.
  static response json(int status, const nlohmann::json& body);

  /// A plain-text response.
  static response text(int status, std::string body);

  /// The JSON error body every route answers with: `{"error": message}`,
  /// plus `"field"` naming the offending input when one is given.
  static response error(int status, const std::string& message,
                        const std::string& field = {});

  friend bool operator==(const response&, const response&) = default;
};

/// One-shot, copyable, thread-safe answer channel for one request. All copies
/// share one state: the first `respond` wins, later ones are ignored. When
/// the last copy is destroyed without a response, the client gets 500, so a
/// forgotten reply never hangs a client. A default-constructed responder does
/// nothing.
class responder {
public:
  responder() = default;

  explicit responder(std::shared_ptr<detail::responder_state> state)
    : state_(std::move(state)) {}

  /// Sends `res` to the client (posted to the connection's io thread).
  /// Returns false when a copy already responded. Does nothing visible when
  /// the client is gone, the handler timeout already answered 503, or the
  /// server stopped.
  bool respond(response res) const;

  /// True once any copy has responded.
  bool responded() const;

private:
  std::shared_ptr<detail::responder_state> state_;
};

/// Copyable, thread-safe handle to an open server-sent-events response
/// (`text/event-stream`, chunked). When the last copy is destroyed, the
/// server ends the response and closes the connection.
class stream {
public:
  stream() = default;

  explicit stream(std::shared_ptr<detail::stream_state> state)
    : state_(std::move(state)) {}

  /// Sends one event; each line of `data` becomes a `data:` line. Returns
  /// false when the stream is closed (the event is dropped).
  bool send(std::string data) const;

  /// Sends one event of type `event` (an `event:` line before the data).
  bool send(std::string_view event, std::string data) const;

  /// True once the client went away, the server stopped, the consumer fell
  /// behind, or `close()` was called.
  bool closed() const;

  /// Ends the response and closes the connection.
  void close() const;

private:
  std::shared_ptr<detail::stream_state> state_;
};

/// Handles a request on the io thread; must not block (see file comment).
using handler = std::function<void(const request&, responder)>;

/// Starts an event stream on the io thread; must not block.
using stream_handler = std::function<void(const request&, stream)>;

/// Decides on the io thread, before the stream starts, whether to refuse it:
/// a response (e.g. 401) refuses, nullopt admits. Must not block.
using stream_admission = std::function<std::optional<response>(const request&)>;

/// An HTTP/1.1 server with keep-alive, exact segment routing with `{name}`
/// placeholders and graceful shutdown. The server answers by itself: 404
/// (no route), 405 with Allow (path known, method not; HEAD is not mapped to
/// GET), 413 (body too large, also before the body when the client sent
/// `Expect: 100-continue`), 431 (header too large), 400 (malformed), 500
/// (handler threw or dropped its responder), 503 (handler timeout, too many
/// connections). Error bodies are JSON: `{"error":"..."}`.
class server {
public:
  explicit server(server_options opts = {});

  /// Calls `stop()`.
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Registers `h` for `method` (e.g. "POST") on `pattern`, e.g.
  /// "/webhooks/{provider}/{tenant}". Segments match exactly; `{name}` matches
  /// any one non-empty segment. When several patterns match a path, the one
  /// with a literal segment at the first differing position wins; for equal
  /// patterns the first registration wins. Only before `start()`; throws
  /// std::logic_error afterwards or for a malformed pattern.
  void route(std::string method, std::string_view pattern, handler h);

  /// Registers a server-sent-events route for GET on `pattern`; `admit`,
  /// when set, may refuse a request with a plain response first.
  void route_stream(std::string_view pattern, stream_handler h,
                    stream_admission admit = {});

  /// Binds, listens and starts the io thread. Throws std::system_error
  /// naming the address when resolving, binding or listening fails, and
  /// std::logic_error when called twice.
  void start();

  /// The bound port; valid after `start()`.
  uint16_t port() const;

  /// Stops accepting, closes idle connections, lets in-flight requests finish
  /// until `shutdown_grace`, then closes the rest and joins the io thread.
  /// Idempotent; a no-op before `start()`. Throws std::logic_error when
  /// called on the io thread (from a handler).
  void stop();

  /// Implementation, defined in server.cpp.
  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

/// Parses a query string ("a=1&b=x%20y") into a map (last value wins).
std::map<std::string, std::string> parse_query(std::string_view query);

} // namespace ledgerd::http
