// Internal to the HTTP client: URL parsing and building the request
// message. Separate from client.cpp so that the connection handling there
// stays readable and these pure parts can be tested alone.
#pragma once

#include "adapters/http/asio.hpp"
#include "adapters/http/client.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledgerd::http::detail {

/// The parts of an absolute http[s] URL the client needs.
struct client_url {
  bool tls = false;
  /// Lower case, without IPv6 brackets.
  std::string host;
  uint16_t port = 0;
  /// "/path?query", never empty.
  std::string target;

  uint16_t default_port() const {
    return tls ? 443 : 80;
  }

  /// "host:port", IPv6 in brackets.
  std::string authority() const {
    auto h = host.find(':') == std::string::npos ? host : "[" + host + "]";
    return h + ":" + std::to_string(port);
  }

  /// The pool key.
  std::string key() const {
    return (tls ? "https://" : "http://") + authority();
  }

  std::string host_field() const {
    auto h = host.find(':') == std::string::npos ? host : "[" + host + "]";
    return port == default_port() ? h : h + ":" + std::to_string(port);
  }

  /// The path for logs: the query may carry credentials.
  std::string_view path() const {
    return std::string_view{target}.substr(0, target.find('?'));
  }
};

/// Parses an absolute http:// or https:// URL; std::nullopt for anything
/// else (other schemes, user info, bad ports, spaces or control characters).
std::optional<client_url> parse_url(std::string_view url);

using request_message = bhttp::request<bhttp::string_body>;

/// Builds the request head and body (gzip-compressed when allowed and large
/// enough). Throws std::invalid_argument for a method or header field that
/// would corrupt the head.
request_message build_message(const client_request& req, const client_url& url,
                              const std::string& id,
                              const client_options& opts);

/// The caller's request id (field, else an X-Request-Id header), else 16
/// random hex digits.
std::string request_id_of(const client_request& req);

} // namespace ledgerd::http::detail
