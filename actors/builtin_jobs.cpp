#include "actors/builtin_jobs.hpp"

namespace ledgerd {

void add_builtin_jobs(job_registry& registry) {
  registry.add("noop", [](caf::event_based_actor*, const job&, job_done done) {
    done(job_result::success());
  });
}

} // namespace ledgerd
