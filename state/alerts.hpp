// The life of one alert rule without threads or I/O: the rule fires once
// its condition has held for `hold`, and resolves as soon as it no longer
// holds. What the condition measures is the monitor's business.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace ledgerd::state {

using alert_clock = std::chrono::system_clock;

struct alert_transition {
  enum kind_t : uint8_t { fired, resolved } kind;
  double value = 0;
};

class alert_tracker {
public:
  explicit alert_tracker(alert_clock::duration hold)
    : hold_(hold) {}

  /// Feeds whether the condition holds at `now` for the measured `value`;
  /// returns a transition when the rule starts or stops firing.
  std::optional<alert_transition> update(bool holds, double value,
                                         alert_clock::time_point now);

  bool firing() const {
    return firing_since_.has_value();
  }
  std::optional<alert_clock::time_point> firing_since() const {
    return firing_since_;
  }
  double last_value() const {
    return last_value_;
  }

private:
  alert_clock::duration hold_;
  double last_value_ = 0;
  std::optional<alert_clock::time_point> holding_since_;
  std::optional<alert_clock::time_point> firing_since_;
};

} // namespace ledgerd::state
