// Lenient reads of provider JSON. Providers drift between types (Fortnox
// sends CurrencyRate as "1" in lists and 1 in details, Credit as "false",
// quantities as "0") and key casings (ErrorInformation's error/Error), so
// adapters read fields through these helpers instead of json::get.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledgerd::provider::lenient {

/// The member `key` of object `j`, nullptr when `j` is no object or the
/// member is absent or null.
const nlohmann::json* find(const nlohmann::json& j, std::string_view key);

/// Like `find`, with the key compared ASCII case-insensitively.
const nlohmann::json* find_ci(const nlohmann::json& j, std::string_view key);

/// A string, or a number/bool as its JSON text ("2000434"); std::nullopt
/// when absent, null or structured.
std::optional<std::string> text(const nlohmann::json& j);
std::optional<std::string> text(const nlohmann::json& j, std::string_view key);

/// Like `text`, but "" (or all blanks) also counts as absent: providers send
/// null and "" for the same unset field.
std::optional<std::string> nonempty(const nlohmann::json& j,
                                    std::string_view key);

/// A number or numeric string as units of 10^-scale (state::parse_decimal).
std::optional<int64_t> decimal(const nlohmann::json& j, std::string_view key,
                               int scale);

/// true/false, "true"/"false" (any case), 1/0, "1"/"0".
std::optional<bool> boolean(const nlohmann::json& j, std::string_view key);

/// A non-negative integer given as number or string.
std::optional<uint64_t> count(const nlohmann::json& j, std::string_view key);

/// Parses `body`; a discarded (null) value when it is not JSON.
nlohmann::json parse(std::string_view body);

} // namespace ledgerd::provider::lenient
