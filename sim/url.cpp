#include "sim/url.hpp"

#include "adapters/http/text.hpp"

namespace ledgerd::sim {

namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

std::optional<std::string> base64_decode(std::string_view s) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=')
      break;
    int v = base64_value(c);
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z')
      a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i])
      return false;
  }
  return true;
}

} // namespace

std::string url_decode(std::string_view s) {
  return http::percent_decode(s, true);
}

std::map<std::string, std::string> parse_form(std::string_view s) {
  std::map<std::string, std::string> out;
  while (!s.empty()) {
    auto amp = s.find('&');
    auto pair = s.substr(0, amp);
    auto eq = pair.find('=');
    if (!pair.empty())
      out[url_decode(pair.substr(0, eq))]
        = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos)
      break;
    s.remove_prefix(amp + 1);
  }
  return out;
}

std::string_view query_part(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view{}
                                     : target.substr(q + 1);
}

std::vector<std::string> path_segments(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  while (!target.empty()) {
    if (target.front() == '/') {
      target.remove_prefix(1);
      continue;
    }
    auto slash = target.find('/');
    auto seg = target.substr(0, slash);
    // Path segments keep '+' literal; only %XX is decoded.
    out.push_back(http::percent_decode(seg, false));
    if (slash == std::string_view::npos)
      break;
    target.remove_prefix(slash);
  }
  return out;
}

std::optional<std::pair<std::string, std::string>>
basic_credentials(std::string_view authorization) {
  if (!starts_with_ci(authorization, "basic "))
    return std::nullopt;
  auto decoded = base64_decode(authorization.substr(6));
  if (!decoded)
    return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos)
    return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::optional<std::string> bearer_token(std::string_view authorization) {
  if (!starts_with_ci(authorization, "bearer "))
    return std::nullopt;
  auto token = authorization.substr(7);
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  if (token.empty())
    return std::nullopt;
  return std::string{token};
}

} // namespace ledgerd::sim
