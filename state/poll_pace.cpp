#include "state/poll_pace.hpp"

namespace ledgerd::state {

bool events_flowing(poll_clock::time_point now,
                    std::optional<poll_clock::time_point> last_event,
                    poll_clock::duration interval) {
  return last_event && now - *last_event < interval;
}

bool poll_due(poll_clock::time_point now,
              std::optional<poll_clock::time_point> last_event,
              std::optional<poll_clock::time_point> last_poll,
              poll_clock::duration interval, uint32_t stretch) {
  if (!last_poll || stretch <= 1 || !events_flowing(now, last_event, interval))
    return true;
  // A small tolerance: ticks come a little late, never early.
  return now - *last_poll >= interval * stretch - interval / 2;
}

} // namespace ledgerd::state
