#include "adapters/pg/job_fence.hpp"

namespace ledgerd::pg {

bool holds_lease(connection& conn, int64_t id, const std::string& owner,
                 int32_t attempt) {
  auto res = conn.exec("jobs.holds_lease",
                       "SELECT 1 FROM ledgerd.jobs WHERE id = $1 AND state ="
                       " 'processing' AND lease_owner = $2 AND attempt = $3"
                       " FOR SHARE",
                       id, owner, attempt);
  return res.rows() > 0;
}

void fence_lease(connection& conn, int64_t id, const std::string& owner,
                 int32_t attempt) {
  if (!holds_lease(conn, id, owner, attempt))
    throw lease_lost("job " + std::to_string(id) + " lost its lease (attempt "
                     + std::to_string(attempt) + " of " + owner
                     + "): its writes stop here");
}

} // namespace ledgerd::pg
