// Fencing a job's side effects by its lease (DESIGN.md, jobs): a job that
// lost its lease (expired and reaped, or claimed again elsewhere) must not
// go on writing, not only not report. Every write of a sync run checks its
// lease first, on the connection and inside the transaction of the write:
// the row lock (FOR SHARE) makes the write and the lease one unit, since the
// reaper (SKIP LOCKED) passes the job over until the write committed, and a
// finish or renewal of another holder waits for it.
#pragma once

#include "adapters/pg/connection.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ledgerd::pg {

/// Thrown by fence_lease when the job's lease is gone.
class lease_lost : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// True while job `id` is processing under (owner, attempt); in a
/// transaction, also keeps it so until the transaction ends.
bool holds_lease(connection& conn, int64_t id, const std::string& owner,
                 int32_t attempt);

/// holds_lease, or throws lease_lost.
void fence_lease(connection& conn, int64_t id, const std::string& owner,
                 int32_t attempt);

} // namespace ledgerd::pg
