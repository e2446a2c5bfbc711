// Messages of the metrics protocol: actors aggregate samples in a
// state::metric_buffer and flush them to the monitor as one report.
#pragma once

#include "state/metrics.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ledgerd::state {

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_sample& x) {
  return f(caf::meta::type_name("metric_sample"), x.name, x.labels, x.value,
           x.buckets);
}

} // namespace ledgerd::state

namespace ledgerd {

/// What one actor sends the monitor: its type (for actor counts), its
/// mailbox size at the flush, and what it aggregated since the last one.
struct metric_report {
  std::string actor_type;
  uint64_t mailbox = 0;
  std::vector<state::metric_sample> samples;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_report& x) {
  return f(caf::meta::type_name("metric_report"), x.actor_type, x.mailbox,
           x.samples);
}

} // namespace ledgerd
