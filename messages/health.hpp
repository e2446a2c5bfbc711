// Messages about the node's own health.
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

namespace ledgerd {

/// Result of the latest database probe.
struct db_health {
  /// True when the latest probe succeeded.
  bool ok = false;
  /// The latest probe's error; empty when ok.
  std::string error;
  /// Probes run so far (0: none yet, `ok` is false until the first).
  uint64_t probes = 0;
  /// Consecutive failed probes.
  uint64_t failures_in_a_row = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, db_health& x) {
  return f(caf::meta::type_name("db_health"), x.ok, x.error, x.probes,
           x.failures_in_a_row);
}

} // namespace ledgerd
