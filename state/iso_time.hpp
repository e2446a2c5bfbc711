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

/// An HTTP `Date` value in IMF-fixdate form (RFC 9110 5.6.7), "Tue, 31 Jan
/// 2023 11:39:51 GMT". nullopt for anything else (the obsolete RFC 850 and
/// asctime forms included): a server clock read wrongly is worse than none.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view x);

} // namespace ledgerd::state
