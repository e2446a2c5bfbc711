// The tenant actor: one per tenant. Turns its triggers into deduplicated
// jobs: poll timers (pull per connection and entity), reconciliation
// timers, provider events (pull of the named record) and manual sync
// requests (manual priority, in a batch). Bursts coalesce in the job
// store: at most one live pull per (tenant, provider, entity) and one per
// named record, so a thousand events for one record make one pull.
#pragma once

#include "actors/supervisor.hpp"
#include "actors/sync_env.hpp"
#include "messages/sync.hpp"
#include "state/poll_pace.hpp"

#include <caf/stateful_actor.hpp>

#include <map>
#include <memory>
#include <string>

namespace ledgerd {

struct tenant_state {
  /// Last provider event per provider (the stream's down notice erases it).
  std::map<std::string, state::poll_clock::time_point> last_event;
  /// Last real poll per "provider/entity".
  std::map<std::string, state::poll_clock::time_point> last_poll;
  static inline const char* name = "tenant";
};

/// Directory name of tenant `id`'s actor: "tenant/<id>".
std::string tenant_actor_name(const std::string& id);

/// Handles: (poll_atom, provider, entity), (reconcile_atom, provider,
/// entity), provider_event -> bool (true once the pull is enqueued),
/// sync_request -> int64_t batch id, and drain_atom -> true.
caf::behavior tenant_actor(caf::stateful_actor<tenant_state>* self,
                           std::shared_ptr<const sync_env> env,
                           std::string tenant);

/// One supervised tenant actor per configured tenant, each recorded in the
/// directory under tenant_actor_name.
std::vector<child_spec> tenant_children(std::shared_ptr<const sync_env> env);

/// An event sink that also speaks the drain protocol (as a supervised child).
using event_router_actor
  = event_sink_actor::extend<caf::replies_to<drain_atom>::with<bool>>;

/// The sink of event streams: hands each event to its tenant's actor and
/// answers what that actor answers (false for unknown tenants).
event_router_actor::behavior_type
tenant_router(event_router_actor::pointer self,
              std::shared_ptr<actor_directory> dir);

} // namespace ledgerd
