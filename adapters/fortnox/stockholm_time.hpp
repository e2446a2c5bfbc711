// Fortnox interprets `lastmodified` as Europe/Stockholm wall time
// (provider-facts.md §1.5). A pure conversion with the EU summer-time rule
// (since 1996: from the last Sunday of March 01:00 UTC to the last Sunday of
// October 01:00 UTC the offset is +2 h, else +1 h), so no tz database.
#pragma once

#include <chrono>
#include <string>

namespace ledgerd::fortnox {

/// The UTC offset of Stockholm at `utc`: 1 h or 2 h.
std::chrono::hours stockholm_offset(std::chrono::sys_seconds utc);

/// `utc` as Stockholm wall time, "YYYY-MM-DD HH:MM:SS".
std::string stockholm_wall_time(std::chrono::sys_seconds utc);

/// The wall time to send as a lower bound (`lastmodified`) for `utc`: one
/// that every reading puts at or before `utc`. In the autumn fold the hour
/// from 02:00 repeats, and which of its two instants Fortnox takes is [U];
/// a summer-time bound read as the winter instant would start an hour late
/// and skip that hour's changes, so such a bound moves back an hour.
std::string stockholm_lower_bound(std::chrono::sys_seconds utc);

} // namespace ledgerd::fortnox
