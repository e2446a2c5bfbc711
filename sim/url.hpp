// URL and form decoding, and HTTP Basic credentials.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ledgerd::sim {

/// Percent-decoding; '+' becomes a space (query strings and forms).
std::string url_decode(std::string_view s);

/// "a=1&b=x+y" -> {a: "1", b: "x y"}.
std::map<std::string, std::string> parse_form(std::string_view s);

/// "/a/b%20c?x" -> {"a", "b c"}; the query part is ignored.
std::vector<std::string> path_segments(std::string_view target);

/// The part after '?', or empty.
std::string_view query_part(std::string_view target);

/// "Basic base64(id:secret)" -> {id, secret}.
std::optional<std::pair<std::string, std::string>>
basic_credentials(std::string_view authorization);

/// "Bearer xyz" -> "xyz" (scheme case-insensitive).
std::optional<std::string> bearer_token(std::string_view authorization);

} // namespace ledgerd::sim
