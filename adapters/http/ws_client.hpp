// WebSocket client on Boost.Beast with its own io_context on one dedicated
// thread (like the HTTP server and client). No CAF here: callers bridge to
// actors with `caf::anon_send` from the callbacks (caf-0.17-notes.md §11).
//
// - ws:// and wss:// (TLS with certificate and host-name verification
//   against the system trust store or a given CA file, SNI).
// - One connection at a time; `connect` again replaces it.
// - A deadline covers resolve, TCP connect, TLS and WebSocket handshakes.
// - A dead peer is noticed: after half the idle timeout without any frame a
//   ping is sent, and when nothing at all arrives for the whole idle timeout
//   the connection is closed ("timeout").
//
// Threading: the callbacks run on the io thread and must not block it.
// `send_text`, `close` and `connect` are thread-safe; calls made from one
// thread take effect in the order they were made.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ledgerd::http {

/// The parts of a ws:// or wss:// URL.
struct ws_url {
  bool tls = false;
  std::string host;
  /// Explicit or the scheme's default ("80", "443").
  std::string port;
  /// Path and query, at least "/".
  std::string target;
};

/// Parses "ws[s]://host[:port][/path][?query]" (IPv6 hosts in brackets);
/// nullopt for anything else.
std::optional<ws_url> parse_ws_url(std::string_view url);

struct ws_options {
  /// Deadline for resolving, connecting and both handshakes together.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds{10};
  /// Longest silence of the peer: a ping goes out after half of it, and the
  /// connection is given up after all of it.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds{60};
  /// PEM file of trusted CAs for wss://; empty = the system trust store.
  std::string ca_file;
  /// Larger incoming messages close the connection.
  std::size_t max_message_bytes = 4 * 1024 * 1024;
};

class ws_client {
public:
  /// The handshake succeeded: sending makes sense now.
  using open_handler = std::function<void()>;
  /// One whole text (or binary) message arrived.
  using text_handler = std::function<void(std::string)>;
  /// The connection ended or could not be made; `reason` says why. Called
  /// exactly once per `connect`, except when the client is destroyed first.
  using closed_handler = std::function<void(std::string reason)>;

  /// Starts the io thread. Throws when `ca_file` cannot be loaded.
  explicit ws_client(ws_options opts = {});

  /// Drops the connection without callbacks and joins the io thread. Never
  /// call it from a callback.
  ~ws_client();

  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  /// Connects to `url`; a current connection is closed first (its
  /// on_closed runs with "replaced").
  void connect(std::string url, open_handler on_open, text_handler on_text,
               closed_handler on_closed);

  /// Queues a text message on the current connection; dropped when there is
  /// none or it is closed. Messages queued before the handshake completes
  /// go out right after it.
  void send_text(std::string text);

  /// Closes the current connection with a close frame (normal closure).
  void close();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace ledgerd::http
