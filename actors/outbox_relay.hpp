// The outbox relay: turns local changes (ledgerd.outbox rows written by the
// capture triggers) into push jobs, one per record and connection. The
// outbox is claimed as a queue (FOR UPDATE SKIP LOCKED), never read by
// position, so rows that commit out of id order are not skipped; NOTIFY
// only wakes it, a timer covers lost notifications. A row is marked
// processed in the transaction that claimed it, after its jobs are
// enqueued; when the record's push is already running, the row stays for
// the next round, so that push's successor sees the change.
#pragma once

#include "actors/sync_env.hpp"
#include "adapters/pg/notify_listener.hpp"

#include <caf/stateful_actor.hpp>

#include <memory>

namespace ledgerd {

struct outbox_relay_options {
  /// Listen for NOTIFY on ledgerd_outbox here ("" = timer only).
  std::string listen_conninfo;
  /// Rows claimed per round.
  int batch = 200;
  /// Rounds without a notification.
  std::chrono::milliseconds interval{1000};
};

struct outbox_relay_state {
  std::unique_ptr<pg::notify_listener> listener;
  static inline const char* name = "outbox_relay";
};

/// Spawn detached: it blocks on PostgreSQL.
caf::behavior outbox_relay(caf::stateful_actor<outbox_relay_state>* self,
                           std::shared_ptr<const sync_env> env,
                           outbox_relay_options opts);

/// Moves one round of outbox rows into push jobs; returns the rows marked
/// processed. Exposed for tests.
size_t relay_outbox_once(const sync_env& env, int batch);

} // namespace ledgerd
