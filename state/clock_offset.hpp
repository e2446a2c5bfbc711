// How far a provider's clock is off ours, read from an answer: its `Date`
// header (whole seconds, RFC 9110 6.6.1) against our clock when the answer
// arrived. Provider change times (Visma ChangedUtc / ModifiedUtc) are on the
// provider's clock; last_write_wins compares them with local change times
// on ours, so a provider a few minutes behind would make its later edits
// look older and lose them (ledgerd-sim quirk clock_offset_s).
#pragma once

#include <chrono>

namespace ledgerd::state {

/// Smaller offsets are not told apart from a round trip and the Date
/// header's truncation to the second, and read as zero.
inline constexpr std::chrono::milliseconds clock_offset_floor{1000};

/// How far the clock that stamped `date` is ahead of ours (negative:
/// behind), given our clock `received_at` when its answer arrived. `date`
/// is truncated: the server's time lies within the second after it, so the
/// middle of that second is taken. Zero under clock_offset_floor.
std::chrono::milliseconds
clock_ahead(std::chrono::sys_seconds date,
            std::chrono::system_clock::time_point received_at);

/// `provider_time` (on a clock `ahead` of ours) on our clock.
std::chrono::system_clock::time_point
on_our_clock(std::chrono::system_clock::time_point provider_time,
             std::chrono::milliseconds ahead);

} // namespace ledgerd::state
