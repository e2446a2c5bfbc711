#include "actors/inbox_relay.hpp"

#include "actors/tenant.hpp"
#include "adapters/log.hpp"
#include "adapters/pg/inbox.hpp"
#include "messages/type_ids.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

namespace ledgerd {

namespace {

using nlohmann::json;

/// The provider event a stored webhook stands for.
provider_event event_of(const pg::inbox_event& e) {
  auto body = json::parse(e.payload, nullptr, false);
  provider_event ev;
  ev.provider = e.source.substr(e.source.find(':') + 1);
  ev.tenant = e.tenant;
  ev.offset = e.event_id;
  if (!body.is_object())
    return ev;
  ev.type = body.value("type", "");
  if (auto d = body.find("data"); d != body.end() && d->is_object()) {
    ev.topic = d->value("entity", "");
    if (auto id = d->find("id"); id != d->end() && id->is_string())
      ev.entity_id = id->get<std::string>();
  }
  if (ev.topic.empty())
    ev.topic = ev.type.substr(0, ev.type.find('.'));
  return ev;
}

} // namespace

size_t relay_inbox_once(caf::actor_system& sys, const sync_env& env,
                        int batch) {
  auto conn = env.db->acquire(env.acquire_timeout);
  pg::transaction tx{*conn};
  auto events = pg::claim_inbox(*conn, batch);
  caf::scoped_actor self{sys};
  size_t done = 0;
  for (const auto& e : events) {
    auto tenant = env.dir->get<caf::actor>(tenant_actor_name(e.tenant));
    if (!tenant)
      continue; // restarting: next round
    bool handled = false;
    self->request(tenant, std::chrono::seconds{10}, event_of(e))
      .receive(
        [&](bool ok) {
          handled = ok;
        },
        [&](const caf::error& err) {
          log::warn("inbox", "tenant did not take the event",
                    {{"tenant", e.tenant}, {"error", to_string(err)}});
        });
    if (handled) {
      pg::mark_inbox_processed(*conn, e);
      ++done;
    }
  }
  tx.commit();
  return done;
}

caf::behavior inbox_relay(caf::stateful_actor<inbox_relay_state>* self,
                          std::shared_ptr<const sync_env> env,
                          inbox_relay_options opts) {
  self->send(self, tick_atom_v, true);
  return {
    // Wake-ups (a stored webhook, or the timer): one round now.
    [self, env, opts](tick_atom) {
      try {
        while (relay_inbox_once(self->system(), *env, opts.batch)
               == static_cast<size_t>(opts.batch)) {
        }
      } catch (const std::exception& e) {
        log::warn("inbox", "relay round failed", {{"error", e.what()}});
      }
    },
    [self, opts](tick_atom, bool) {
      self->send(self, tick_atom_v);
      self->delayed_send(self, opts.interval, tick_atom_v, true);
    },
    [](drain_atom) {
      return true;
    },
  };
}

} // namespace ledgerd
