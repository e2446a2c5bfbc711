// HTTP/1.1 client on Boost.Beast with its own io_context on one dedicated
// thread (like the server). Asynchronous: `send` returns at once and calls
// the completion on the io thread; callers bridge to actors with
// `caf::anon_send` from the completion (caf-0.17-notes.md §11). No CAF here.
//
// - Keep-alive connection pool per host (scheme, host, port) with a size
//   limit; requests beyond it queue (FIFO) until a connection frees.
// - https:// with certificate and host-name verification (OpenSSL, system
//   trust store or a given CA file); http:// allowed (loopback stand-ins).
// - Connect, read (idle between bytes) and total deadlines per request.
// - gzip: sends `Accept-Encoding: gzip` and inflates gzip responses; request
//   bodies above `gzip_request_min_bytes` are sent gzip-compressed with
//   `Content-Encoding: gzip` when the request allows it.
// - Every request carries an id (`X-Request-Id`, generated when absent) that
//   the logs and the result name.
// - Every outcome is classified (`failure`), see `classify_status`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ledgerd::http {

/// How a request ended, as the rest of the engine needs to know it.
enum class failure : uint8_t {
  /// 2xx/3xx: a usable response.
  none,
  /// DNS, connect, reset, TLS handshake, truncated or malformed response.
  network,
  /// A connect, read or total deadline passed. The request may or may not
  /// have reached the server (unknown outcome for writes).
  timeout,
  /// 401 or 403.
  auth,
  /// 404 (and 410).
  not_found,
  /// 400, 409, 422 and other 4xx: permanent, retrying cannot help.
  validation,
  /// 429 (see `result::retry_after`).
  rate_limited,
  /// 5xx (and 408): worth retrying.
  transient,
};

/// "none", "network", "timeout", ...
std::string_view to_string(failure x);

/// The class of a received HTTP status code.
failure classify_status(int status);

/// One outgoing request.
struct client_request {
  /// "GET", "POST", "PUT", "DELETE", ...
  std::string method = "GET";
  /// Absolute URL: http[s]://host[:port]/path[?query]. Query values must be
  /// encoded already (see `url_encode`).
  std::string url;
  /// Extra header fields (Host, Content-Length, Accept-Encoding and
  /// X-Request-Id are managed by the client unless given here).
  std::vector<std::pair<std::string, std::string>> headers;
  /// Request body (sent when non-empty or the method is POST/PUT/PATCH).
  std::string body;
  /// Compress the body with gzip when it is at least
  /// `client_options::gzip_request_min_bytes` long.
  bool allow_gzip_body = false;
  /// Overrides of the client's defaults for this request; zero = default.
  std::chrono::milliseconds total_timeout{0};
  /// Request id for logs and `X-Request-Id`; generated when empty.
  std::string request_id;
  /// An idempotent request that met a stale keep-alive connection (no
  /// answer at all) goes once more on a fresh one. Off for rate-limited
  /// provider calls: a server may have counted the first one (a reset
  /// after it read the request), and a second send needs a grant of its
  /// own; the caller retries instead.
  bool retry_stale = true;
};

/// The outcome of one request.
struct client_result {
  failure error = failure::none;
  /// HTTP status; 0 when no response was received.
  int status = 0;
  /// Header fields with lower-cased names (repeats joined with ", ").
  std::map<std::string, std::string> headers;
  /// Body, inflated when the server sent gzip.
  std::string body;
  /// Human-readable reason for failures without a response (e.g.
  /// "connect to 127.0.0.1:9 refused"), else the status reason.
  std::string message;
  /// For 429 (and 503): the Retry-After header in seconds, or zero.
  std::chrono::milliseconds retry_after{0};
  /// The request id that was sent.
  std::string request_id;
  /// From handing the request to the client to the completion.
  std::chrono::microseconds elapsed{0};
  /// Our wall clock at the completion: with the answer's Date it tells how
  /// far the server's clock is off ours.
  std::chrono::system_clock::time_point received_at{};
  /// True when the request was (maybe partly) written before a failure:
  /// for a write, its outcome on the server is unknown.
  bool maybe_sent = false;

  bool ok() const {
    return error == failure::none;
  }

  /// Value of header `name` (lower case), or "" when absent.
  std::string header(std::string_view name) const;
};

struct client_options {
  /// At most this many open connections per (scheme, host, port).
  std::size_t max_connections_per_host = 8;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds{10};
  /// Longest silence while waiting for response bytes.
  std::chrono::milliseconds read_timeout = std::chrono::seconds{30};
  /// Whole request including queueing for a connection.
  std::chrono::milliseconds total_timeout = std::chrono::seconds{60};
  /// Idle keep-alive connections are closed after this.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds{30};
  /// Request bodies at least this long are gzip-compressed when allowed.
  std::size_t gzip_request_min_bytes = 8 * 1024;
  /// Largest accepted (inflated) response body; larger is a network failure.
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  /// Verify server certificates and host names for https://.
  bool verify_tls = true;
  /// PEM file with trusted CAs; empty = the system's default paths.
  std::string ca_file;
  std::string user_agent = "ledgerd";
};

/// Pool statistics (for metrics and tests).
struct client_stats {
  /// Connections opened since start (TCP connects).
  uint64_t connects = 0;
  /// Requests sent on a reused keep-alive connection.
  uint64_t reused = 0;
  /// Currently open connections over all hosts.
  uint64_t open = 0;
  /// Requests waiting for a connection.
  uint64_t queued = 0;
};

using completion = std::function<void(client_result)>;

class client {
public:
  /// Starts the io thread. Throws std::system_error when the trusted CAs
  /// (`ca_file` or the system's default paths) cannot be loaded.
  explicit client(client_options opts = {});

  /// Calls `stop()`.
  ~client();

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `req`; `done` runs exactly once on the io thread (or, after
  /// `stop()`, on the caller's thread with a network failure). `done` must
  /// not block. Thread-safe.
  void send(client_request req, completion done);

  /// Blocking convenience for tools and tests: sends and waits. Never call
  /// it on the io thread (from a completion).
  client_result send_sync(client_request req);

  client_stats stats() const;

  /// Fails queued and in-flight requests (network, "client stopped"),
  /// closes connections and joins the io thread. Idempotent.
  void stop();

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

/// Percent-encodes `x` for a query value or path segment (unreserved
/// characters stay; space becomes %20).
std::string url_encode(std::string_view x);

/// Builds "a=1&b=x%20y" from name/value pairs (values encoded).
std::string
make_query(const std::vector<std::pair<std::string, std::string>>& params);

} // namespace ledgerd::http
