// ledgerd.inbox: received events keyed by (source, event id), so a
// redelivered event is stored once and handled once. Stored before the
// sender gets its 2xx; handled later (claimed as a queue, like the outbox).
#pragma once

#include "adapters/pg/connection.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace ledgerd::pg {

struct inbox_event {
  /// E.g. "webhook:fortnox".
  std::string source;
  std::string event_id;
  std::string tenant;
  /// The body as received (JSON text).
  std::string payload;
};

/// Stores `e` unless (source, event_id) is there already; true when stored
/// now. Throws std::invalid_argument when the payload is not JSON.
bool store_inbox_event(connection& conn, const inbox_event& e);

/// Unprocessed events, oldest first, locked FOR UPDATE SKIP LOCKED: call it
/// in a transaction and mark what was handled before committing.
std::vector<inbox_event> claim_inbox(connection& conn, int limit);

void mark_inbox_processed(connection& conn, const inbox_event& e);

/// Events stored (all, or unprocessed only).
int64_t count_inbox(connection& conn, bool unprocessed_only = false);

} // namespace ledgerd::pg
