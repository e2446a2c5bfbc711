// Dependency-free text helpers for HTTP: ASCII case and percent-decoding.
// Header-only so that the client, the server and the provider simulator
// (sim/, which links neither CAF nor ledgerd_core) share one implementation.
#pragma once

#include <string>
#include <string_view>

namespace ledgerd::http {

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `x` in ASCII lower case.
inline std::string lower(std::string_view x) {
  std::string out{x};
  for (auto& c : out)
    c = ascii_lower(c);
  return out;
}

/// ASCII case-insensitive equality.
inline bool iequals(std::string_view x, std::string_view y) {
  if (x.size() != y.size())
    return false;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (ascii_lower(x[i]) != ascii_lower(y[i]))
      return false;
  return true;
}

/// The value of a hex digit, -1 for any other character.
inline int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Percent-decodes `x`; with `plus_is_space`, '+' becomes ' ' (query
/// strings and forms). Malformed escapes are kept as they are.
inline std::string percent_decode(std::string_view x, bool plus_is_space) {
  std::string out;
  out.reserve(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    auto c = x[i];
    if (c == '%' && i + 2 < x.size()) {
      auto hi = hex_value(x[i + 1]);
      auto lo = hex_value(x[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(c == '+' && plus_is_space ? ' ' : c);
  }
  return out;
}

} // namespace ledgerd::http
