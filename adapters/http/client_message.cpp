#include "adapters/http/client_message.hpp"

#include "adapters/http/gzip.hpp"
#include "adapters/http/text.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace ledgerd::http::detail {

namespace {

/// A token (RFC 9110) for method and field names: rejects anything that could
/// smuggle a line break or separator into the request head.
bool is_token(std::string_view x) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !x.empty() && std::all_of(x.begin(), x.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || extra.find(c) != std::string_view::npos;
  });
}

bool safe_value(std::string_view x) {
  return x.find_first_of(std::string_view{"\r\n\0", 3})
         == std::string_view::npos;
}

/// 16 random hex digits.
std::string random_id() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  auto x = gen();
  std::string out(16, '0');
  for (auto& c : out) {
    c = digits[x & 0xF];
    x >>= 4;
  }
  return out;
}

/// Parses "PORT" (1..65535).
std::optional<uint16_t> parse_port(std::string_view x) {
  if (x.empty() || x.size() > 5)
    return std::nullopt;
  unsigned n = 0;
  for (char c : x) {
    if (c < '0' || c > '9')
      return std::nullopt;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  if (n == 0 || n > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(n);
}

/// Splits "host[:port]" or "[v6]:port" into `out`.
bool parse_authority(std::string_view authority, client_url& out) {
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return false;
    out.host = lower(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      return false;
    port = after.empty() ? after : after.substr(1);
  } else {
    auto colon = authority.find(':');
    out.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      port = authority.substr(colon + 1);
  }
  out.port = out.default_port();
  if (!port.empty()) {
    auto n = parse_port(port);
    if (!n)
      return false;
    out.port = *n;
  }
  return !out.host.empty();
}

} // namespace

std::optional<client_url> parse_url(std::string_view url) {
  auto bad_char = std::any_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F;
  });
  auto sep = url.find("://");
  if (bad_char || sep == std::string_view::npos)
    return std::nullopt;
  client_url out;
  auto scheme = lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https")
    return std::nullopt;
  out.tls = scheme == "https";
  auto rest = url.substr(sep + 3);
  auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos
      || !parse_authority(authority, out))
    return std::nullopt;
  auto target
    = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  target = target.substr(0, target.find('#'));
  out.target = std::string{target};
  if (out.target.empty() || out.target.front() != '/')
    out.target.insert(out.target.begin(), '/');
  return out;
}

/// Builds the request head and body; throws std::invalid_argument for fields
/// that would corrupt the head.
request_message build_message(const client_request& req, const client_url& url,
                              const std::string& id,
                              const client_options& opts) {
  if (!is_token(req.method))
    throw std::invalid_argument("invalid method");
  request_message msg;
  msg.version(11);
  msg.method_string(req.method);
  msg.target(url.target);
  for (const auto& [name, value] : req.headers) {
    if (!is_token(name) || !safe_value(value))
      throw std::invalid_argument("invalid header field " + name);
    msg.insert(name, value);
  }
  auto set_default = [&msg](bhttp::field f, std::string_view value) {
    if (msg.find(f) == msg.end() && !value.empty())
      msg.set(f, beast::string_view{value.data(), value.size()});
  };
  set_default(bhttp::field::host, url.host_field());
  set_default(bhttp::field::user_agent, opts.user_agent);
  set_default(bhttp::field::accept_encoding, "gzip");
  msg.set("X-Request-Id", id);
  if (req.allow_gzip_body && !req.body.empty()
      && req.body.size() >= opts.gzip_request_min_bytes) {
    msg.body() = gzip_compress(req.body);
    msg.set(bhttp::field::content_encoding, "gzip");
  } else {
    msg.body() = req.body;
  }
  msg.prepare_payload();
  // Beast omits an empty PATCH body's length; the contract sends it.
  if (req.body.empty() && req.method == "PATCH")
    msg.content_length(0);
  return msg;
}

/// The caller's id (field or header), else a fresh one.
std::string request_id_of(const client_request& req) {
  if (!req.request_id.empty())
    return req.request_id;
  for (const auto& [name, value] : req.headers)
    if (lower(name) == "x-request-id" && !value.empty())
      return value;
  return random_id();
}

} // namespace ledgerd::http::detail
