// ISO 8601 UTC times as the providers and the job payloads write them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ledgerd::state {

/// "2024-05-01T10:00:00Z": whole seconds, always UTC.
std::string format_iso_utc(std::chrono::sys_seconds t);

/// "2024-05-01", "2024-05-01T10:00", "2024-05-01T10:00:00.123Z": the date
/// and wall time read as UTC to the second (fractions and zone suffixes are
/// ignored: the providers that send them send UTC). nullopt when the date or
/// time is not valid.
std::optional<std::chrono::sys_seconds> parse_iso_utc(std::string_view x);

} // namespace ledgerd::state
