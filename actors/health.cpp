#include "actors/health.hpp"

#include "adapters/log.hpp"

#include <caf/all.hpp>

namespace ledgerd {

namespace {

void run_probe(health_actor::stateful_pointer<health_state> self) {
  auto& st = self->state;
  auto failure = st.probe();
  ++st.latest.probes;
  if (failure) {
    // Log the transition into failure once, not every interval.
    if (st.latest.failures_in_a_row++ == 0)
      log::warn("health", "database probe failed", {{"error", *failure}});
    st.latest.ok = false;
    st.latest.error = *failure;
    return;
  }
  if (st.latest.failures_in_a_row > 0)
    log::info("health", "database probe recovered",
              {{"failed_probes", st.latest.failures_in_a_row}});
  st.latest.ok = true;
  st.latest.error.clear();
  st.latest.failures_in_a_row = 0;
}

} // namespace

health_actor::behavior_type
health(health_actor::stateful_pointer<health_state> self, probe_fn probe,
       caf::timespan interval) {
  self->state.probe = std::move(probe);
  self->state.interval = interval;
  self->send(self, tick_atom_v);
  return {
    [self](tick_atom) {
      run_probe(self);
      self->delayed_send(self, self->state.interval, tick_atom_v);
    },
    [self](health_atom) {
      return self->state.latest;
    },
    [](drain_atom) {
      return true;
    },
  };
}

} // namespace ledgerd
