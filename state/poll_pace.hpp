// When a poll tick should really poll. Polling never stops (it is the
// safety net for lost events), but while events flow for a connection it
// slows down by a factor; as soon as no event came for one normal
// interval (or the stream said it is down, which forgets the last event),
// ticks poll at the normal pace again.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace ledgerd::state {

using poll_clock = std::chrono::steady_clock;

/// `interval`: the normal poll interval (the tick period). `stretch` >= 1.
bool poll_due(poll_clock::time_point now,
              std::optional<poll_clock::time_point> last_event,
              std::optional<poll_clock::time_point> last_poll,
              poll_clock::duration interval, uint32_t stretch);

/// Whether events count as flowing at `now`.
bool events_flowing(poll_clock::time_point now,
                    std::optional<poll_clock::time_point> last_event,
                    poll_clock::duration interval);

} // namespace ledgerd::state
