// Job kinds every node knows, whatever the providers.
#pragma once

#include "actors/job_registry.hpp"

namespace ledgerd {

/// Registers:
/// - "noop": completes at once; for smoke tests, benchmarks and checking
///   that the queue moves (`ledgerctl` and scripts/bench use it).
void add_builtin_jobs(job_registry& registry);

} // namespace ledgerd
