// Wall-clock formats the providers use, and Europe/Stockholm conversion.
//
// Stockholm is CET (UTC+1) with CEST (UTC+2) from the last Sunday of March
// 01:00 UTC to the last Sunday of October 01:00 UTC (EU rule since 1996).
// Computed by hand: localtime_r with TZ is process-global, not thread safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ledgerd::sim {

using sys_ms = std::chrono::sys_time<std::chrono::milliseconds>;

sys_ms utc_now();

/// True while Stockholm observes summer time at `utc`.
bool stockholm_dst(sys_ms utc);

/// "2024-01-02T03:04:05Z", or with ".678" before the Z when `millis`.
std::string format_utc(sys_ms t, bool millis);

/// ISO 8601 date or date-time; 'T' or ' ' separator; optional fraction;
/// 'Z', "+HH:MM" or no zone (taken as UTC). Also OData's datetime'...'.
std::optional<sys_ms> parse_utc(std::string_view text);

/// Stockholm wall time with offset: "2017-12-28T14:59:16.500+01:00".
std::string format_stockholm_iso(sys_ms utc);

/// An HTTP Date (IMF-fixdate): "Tue, 31 Jan 2023 11:39:51 GMT".
std::string format_http_date(sys_ms utc);

/// Stockholm wall time as Fortnox writes it: "2024-01-02 03:04:05".
std::string format_stockholm_wall(sys_ms utc);

/// Fortnox `lastmodified`: "YYYY-MM-DD[ HH:MM[:SS]]" Stockholm wall time.
/// In the autumn fold the wall time names two instants: the earlier
/// (summer time) one, or with `fold_later` the winter one, an hour later.
std::optional<sys_ms> parse_stockholm_wall(std::string_view text,
                                           bool fold_later = false);

} // namespace ledgerd::sim
