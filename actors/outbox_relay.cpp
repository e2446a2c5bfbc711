#include "actors/outbox_relay.hpp"

#include "adapters/log.hpp"
#include "adapters/pg/outbox_queue.hpp"
#include "messages/type_ids.hpp"

#include <caf/event_based_actor.hpp>

namespace ledgerd {

namespace {

using nlohmann::json;

/// Push jobs for one change: one per enabled connection of the tenant that
/// syncs the entity. False when a push of the record is running now.
bool enqueue_pushes(const sync_env& env, const pg::outbox_entry& e) {
  const auto* t = env.cfg->find_tenant(e.tenant);
  if (t == nullptr)
    return true; // not ours to sync
  auto kind = e.entity == "customer" ? config::entity_kind::customers
                                     : config::entity_kind::invoices;
  if (!t->sync.syncs(kind))
    return true;
  bool all_pending = true;
  for (const auto& c : t->connections) {
    if (!c.enabled)
      continue;
    auto provider = std::string{config::to_string(c.provider)};
    job_spec spec;
    spec.tenant = e.tenant;
    spec.provider = provider;
    spec.kind = "push";
    spec.payload = json{{"entity", e.entity}, {"local_id", e.local_id}}.dump();
    spec.priority = 2;
    spec.dedup_key = push_key(e.tenant, provider, e.entity, e.local_id);
    auto r = env.jobs->enqueue(spec, env.now());
    if (!r.created) {
      auto existing = env.jobs->find(r.id);
      if (existing && existing->state == "processing")
        all_pending = false;
    }
  }
  return all_pending;
}

} // namespace

size_t relay_outbox_once(const sync_env& env, int batch) {
  auto conn = env.db->acquire(env.acquire_timeout);
  pg::transaction tx{*conn};
  auto rows = pg::claim_outbox(*conn, batch);
  std::vector<int64_t> done;
  for (const auto& row : rows)
    if (enqueue_pushes(env, row))
      done.push_back(row.id);
  pg::mark_outbox_processed(*conn, done);
  tx.commit();
  return done.size();
}

caf::behavior outbox_relay(caf::stateful_actor<outbox_relay_state>* self,
                           std::shared_ptr<const sync_env> env,
                           outbox_relay_options opts) {
  if (!opts.listen_conninfo.empty()) {
    auto hdl = caf::actor_cast<caf::actor>(self);
    self->state.listener = std::make_unique<pg::notify_listener>(
      opts.listen_conninfo, "ledgerd_outbox", [hdl] {
        caf::anon_send(hdl, tick_atom_v);
      });
  }
  self->send(self, tick_atom_v, true);
  return {
    // Wake-ups (NOTIFY or timer): one round now.
    [self, env, opts](tick_atom) {
      try {
        while (relay_outbox_once(*env, opts.batch)
               == static_cast<size_t>(opts.batch)) {
        }
      } catch (const std::exception& e) {
        log::warn("outbox", "relay round failed", {{"error", e.what()}});
      }
    },
    // The timer: a round, then the next timer.
    [self, opts](tick_atom, bool) {
      self->send(self, tick_atom_v);
      self->delayed_send(self, opts.interval, tick_atom_v, true);
    },
    [self](drain_atom) {
      self->state.listener.reset();
      return true;
    },
  };
}

} // namespace ledgerd
