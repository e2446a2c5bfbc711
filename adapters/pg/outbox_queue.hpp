// ledgerd.outbox consumed as a queue (SYNC-PROPERTIES.md §3.5, prop 14):
// claim unprocessed rows with FOR UPDATE SKIP LOCKED, enqueue their push
// jobs, mark them processed, all in one transaction. Never read by id
// position: ids are allocated at insert, not at commit, so a lower id can
// become visible after a higher one.
#pragma once

#include "adapters/pg/connection.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ledgerd::pg {

using wall_time = std::chrono::system_clock::time_point;

struct outbox_entry {
  int64_t id = 0;
  std::string tenant;
  /// customer | invoice
  std::string entity;
  std::string local_id;
  /// insert | update | delete
  std::string op;
  wall_time changed_at;
};

/// Up to `limit` unprocessed rows (of `tenant`, or of every tenant when
/// empty) by id, locked until the transaction ends; rows locked by other
/// claimers are skipped. Must run inside a transaction (throws
/// std::logic_error otherwise: the locks would end with the statement).
std::vector<outbox_entry> claim_outbox(connection& conn, int limit,
                                       const std::string& tenant = {});

/// Sets processed_at = now() on the still unprocessed rows among `ids`.
void mark_outbox_processed(connection& conn, const std::vector<int64_t>& ids);

/// Unprocessed rows (of `tenant`, or of every tenant when empty).
int64_t count_outbox_pending(connection& conn, const std::string& tenant = {});

} // namespace ledgerd::pg
