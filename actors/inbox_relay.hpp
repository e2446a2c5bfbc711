// The inbox relay: hands stored webhook events (ledgerd.inbox) to their
// tenant actors, which turn them into pulls of the named records. Claimed
// as a queue (FOR UPDATE SKIP LOCKED); an event is marked processed in the
// claiming transaction only once its tenant actor has enqueued the pull,
// so a crash in between replays it (harmlessly: the pull is deduplicated).
#pragma once

#include "actors/sync_env.hpp"

#include <caf/stateful_actor.hpp>

#include <chrono>
#include <memory>

namespace ledgerd {

/// Directory name of the inbox relay.
inline constexpr auto inbox_relay_name = "inbox";

struct inbox_relay_options {
  int batch = 200;
  /// Rounds without a wake-up.
  std::chrono::milliseconds interval{500};
};

struct inbox_relay_state {
  static inline const char* name = "inbox_relay";
};

/// Spawn detached: it blocks on PostgreSQL and on the tenant actors.
caf::behavior inbox_relay(caf::stateful_actor<inbox_relay_state>* self,
                          std::shared_ptr<const sync_env> env,
                          inbox_relay_options opts);

/// One round; returns the events marked processed. Exposed for tests.
size_t relay_inbox_once(caf::actor_system& sys, const sync_env& env, int batch);

} // namespace ledgerd
