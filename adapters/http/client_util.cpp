// The HTTP client's pure helpers: failure classes and URL encoding.
#include "adapters/http/client.hpp"

#include <array>

namespace ledgerd::http {

std::string_view to_string(failure x) {
  static constexpr std::array<std::string_view, 8> names{
    "none",      "network",    "timeout",      "auth",
    "not_found", "validation", "rate_limited", "transient"};
  auto i = static_cast<std::size_t>(x);
  return i < names.size() ? names[i] : "unknown";
}

failure classify_status(int status) {
  if (status >= 200 && status < 400)
    return failure::none;
  switch (status) {
  case 401:
  case 403:
    return failure::auth;
  case 404:
  case 410:
    return failure::not_found;
  case 408:
    return failure::transient;
  case 429:
    return failure::rate_limited;
  default:
    break;
  }
  if (status >= 400 && status < 500)
    return failure::validation;
  if (status >= 500 && status < 600)
    return failure::transient;
  // 1xx without a final response, or nonsense: the exchange failed.
  return failure::network;
}

std::string client_result::header(std::string_view name) const {
  auto i = headers.find(std::string{name});
  return i == headers.end() ? std::string{} : i->second;
}

std::string url_encode(std::string_view x) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(x.size());
  for (unsigned char c : x) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                      || (c >= '0' && c <= '9') || c == '-' || c == '_'
                      || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0x0F];
    }
  }
  return out;
}

std::string
make_query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty())
      out += '&';
    out += url_encode(name);
    out += '=';
    out += url_encode(value);
  }
  return out;
}

} // namespace ledgerd::http
