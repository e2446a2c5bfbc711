// A stable version string for records whose provider has none (Fortnox):
// FNV-1a 64 of the canonical JSON text, as 16 hex digits. Not a security
// hash: it only has to change when the mapped content changes.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace ledgerd::provider {

/// FNV-1a 64 of `bytes`, 16 lower-case hex digits.
std::string fnv1a_hex(std::string_view bytes);

/// `fnv1a_hex` of `canonical.dump()` (sorted keys, so stable).
std::string content_version(const nlohmann::json& canonical);

} // namespace ledgerd::provider
