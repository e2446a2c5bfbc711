// Case-insensitive substring match, as the providers' search parameters do
// (Fortnox documents ILIKE '%x%').
#pragma once

#include <string>
#include <string_view>

namespace ledgerd::sim {

inline std::string ascii_lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

inline bool contains_ci(std::string_view haystack, std::string_view needle) {
  return ascii_lower(haystack).find(ascii_lower(needle)) != std::string::npos;
}

} // namespace ledgerd::sim
