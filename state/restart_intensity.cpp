#include "state/restart_intensity.hpp"

namespace ledgerd::state {

restart_intensity::restart_intensity(size_t max_restarts, duration period)
  : max_restarts_(max_restarts)
  , period_(period) {}

bool restart_intensity::try_restart(time_point now) {
  forget_before(now);
  if (restarts_.size() >= max_restarts_)
    return false;
  restarts_.push_back(now);
  return true;
}

size_t restart_intensity::recent(time_point now) {
  forget_before(now);
  return restarts_.size();
}

void restart_intensity::forget_before(time_point now) {
  // A restart exactly `period` ago has left the window.
  while (!restarts_.empty() && now - restarts_.front() >= period_)
    restarts_.pop_front();
}

} // namespace ledgerd::state
