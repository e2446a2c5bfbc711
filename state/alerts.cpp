#include "state/alerts.hpp"

namespace ledgerd::state {

std::optional<alert_transition>
alert_tracker::update(bool holds, double value, alert_clock::time_point now) {
  last_value_ = value;
  if (!holds) {
    holding_since_.reset();
    if (!firing_since_)
      return std::nullopt;
    firing_since_.reset();
    return alert_transition{alert_transition::resolved, value};
  }
  if (!holding_since_)
    holding_since_ = now;
  if (firing_since_ || now - *holding_since_ < hold_)
    return std::nullopt;
  firing_since_ = now;
  return alert_transition{alert_transition::fired, value};
}

} // namespace ledgerd::state
