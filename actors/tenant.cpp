#include "actors/tenant.hpp"

#include "actors/metrics_reporter.hpp"
#include "adapters/log.hpp"
#include "messages/type_ids.hpp"

#include <caf/event_based_actor.hpp>

namespace ledgerd {

namespace {

using nlohmann::json;
using self_ptr = caf::stateful_actor<tenant_state>*;

std::string entity_of(config::entity_kind x) {
  return x == config::entity_kind::customers ? "customer" : "invoice";
}

/// Events name their topic in the plural ("invoices", "customers").
std::string entity_of_topic(const std::string& topic) {
  if (topic.starts_with("customer"))
    return "customer";
  if (topic.starts_with("invoice"))
    return "invoice";
  return {};
}

job_spec pull_spec(const std::string& tenant, const std::string& provider,
                   const std::string& entity, int16_t priority,
                   const std::vector<std::string>& remote_ids = {}) {
  job_spec spec;
  spec.tenant = tenant;
  spec.provider = provider;
  spec.kind = "pull";
  json payload{{"entity", entity}};
  if (!remote_ids.empty())
    payload["remote_ids"] = remote_ids;
  spec.payload = payload.dump();
  spec.priority = priority;
  spec.dedup_key = pull_key(tenant, provider, entity,
                            remote_ids.size() == 1 ? remote_ids.front() : "");
  if (remote_ids.size() > 1)
    spec.dedup_key.clear();
  return spec;
}

/// Enqueues `spec`; false (logged) when the database is unavailable: the
/// trigger is then retried by its timer or redelivered by its source.
bool enqueue(const sync_env& env, const job_spec& spec) {
  try {
    env.jobs->enqueue(spec, env.now());
    return true;
  } catch (const std::exception& e) {
    log::warn(
      "tenant", "cannot enqueue",
      {{"tenant", spec.tenant}, {"kind", spec.kind}, {"error", e.what()}});
    return false;
  }
}

int64_t manual_sync(const sync_env& env, const config::tenant_config& t,
                    const sync_request& req) {
  std::vector<job_spec> specs;
  for (const auto& c : t.connections) {
    auto provider = std::string{config::to_string(c.provider)};
    if (!c.enabled || (!req.provider.empty() && req.provider != provider))
      continue;
    for (auto kind : t.sync.entities) {
      auto entity = entity_of(kind);
      if (!req.entity.empty() && req.entity != entity)
        continue;
      auto spec = pull_spec(t.id, provider, entity, 3, req.remote_ids);
      if (req.reconcile) {
        spec.kind = "reconcile";
        spec.dedup_key = t.id + ":" + provider + ":reconcile:" + entity;
      }
      specs.push_back(std::move(spec));
    }
  }
  if (specs.empty())
    throw std::invalid_argument("nothing to sync for that provider/entity");
  auto batch = env.jobs->create_batch(
    t.id, req.reconcile ? "reconcile" : "manual_sync", env.now());
  for (auto& spec : specs)
    spec.batch_id = batch;
  // A pull that is already pending or running (a poll, say) takes the
  // request's place: it becomes part of the batch instead of a twin.
  std::vector<int64_t> existing;
  for (const auto& e : env.jobs->enqueue_batch(specs, env.now()))
    if (!e.created)
      existing.push_back(e.id);
  if (!existing.empty())
    env.jobs->attach_to_batch(existing, batch, env.now());
  return batch;
}

} // namespace

std::string tenant_actor_name(const std::string& id) {
  return "tenant/" + id;
}

caf::behavior tenant_actor(self_ptr self, std::shared_ptr<const sync_env> env,
                           std::string tenant) {
  const auto& cfg = env->tenant(tenant);
  // Every entity of every connection polls at once, then on its interval;
  // reconciliation first runs one interval after the start.
  for (const auto& c : cfg.connections) {
    if (!c.enabled)
      continue;
    auto provider = std::string{config::to_string(c.provider)};
    for (auto kind : cfg.sync.entities) {
      self->send(self, poll_atom_v, provider, entity_of(kind));
      self->delayed_send(self, cfg.sync.reconcile_interval, reconcile_atom_v,
                         provider, entity_of(kind));
    }
  }
  return {
    [self, env, tenant](poll_atom, const std::string& provider,
                        const std::string& entity) {
      const auto& t = env->tenant(tenant);
      self->delayed_send(self, t.sync.poll_interval, poll_atom_v, provider,
                         entity);
      // Its mailbox, on the timer it already has (no extra wake-ups).
      if (auto mon = env->dir->get<caf::actor>(monitor_name))
        caf::anon_send(mon,
                       metric_report{"tenant", self->mailbox().size(), {}});
      auto& st = self->state;
      auto now = state::poll_clock::now();
      auto key = provider + "/" + entity;
      auto opt = [](const auto& m, const std::string& k) {
        auto i = m.find(k);
        return i == m.end()
                 ? std::nullopt
                 : std::optional<state::poll_clock::time_point>{i->second};
      };
      if (!state::poll_due(now, opt(st.last_event, provider),
                           opt(st.last_poll, key), t.sync.poll_interval,
                           t.sync.event_stretch))
        return; // events flow: this tick is skipped
      st.last_poll[key] = now;
      // A connection that needs re-authorization pauses the tenant's
      // polling (every call would fail at once) until a person fixes it.
      auto hdl = env->provider(tenant, provider);
      if (!hdl) {
        enqueue(*env, pull_spec(tenant, provider, entity, 1));
        return;
      }
      self->request(hdl, std::chrono::seconds{10}, caf::get_atom_v)
        .then(
          [env, tenant, provider, entity](const connection_status& st) {
            if (st.state == "needs_reauth") {
              log::warn("tenant",
                        "sync paused: connection needs "
                        "re-authorization",
                        {{"tenant", tenant},
                         {"provider", provider},
                         {"reason", st.reason}});
              return;
            }
            enqueue(*env, pull_spec(tenant, provider, entity, 1));
          },
          [env, tenant, provider, entity](const caf::error&) {
            enqueue(*env, pull_spec(tenant, provider, entity, 1));
          });
    },
    [self, env, tenant](reconcile_atom, const std::string& provider,
                        const std::string& entity) {
      const auto& t = env->tenant(tenant);
      auto spec = pull_spec(tenant, provider, entity, 0);
      spec.kind = "reconcile";
      spec.dedup_key = tenant + ":" + provider + ":reconcile:" + entity;
      enqueue(*env, spec);
      self->delayed_send(self, t.sync.reconcile_interval, reconcile_atom_v,
                         provider, entity);
    },
    [self, env, tenant](const provider_event& ev) {
      if (ev.type == stream_down_event) {
        self->state.last_event.erase(ev.provider);
        return true;
      }
      self->state.last_event[ev.provider] = state::poll_clock::now();
      auto entity = entity_of_topic(ev.topic);
      // An event we cannot use is handled: nothing to pull for it.
      if (entity.empty() || ev.entity_id.empty())
        return true;
      return enqueue(*env,
                     pull_spec(tenant, ev.provider, entity, 2, {ev.entity_id}));
    },
    [env, tenant](const sync_request& req) -> caf::result<int64_t> {
      try {
        return manual_sync(*env, env->tenant(tenant), req);
      } catch (const std::exception& e) {
        return caf::make_error(caf::sec::invalid_argument, e.what());
      }
    },
    // Drain protocol: every message is handled to its end before the next
    // (its jobs are durable rows), so nothing is in flight between them.
    [](drain_atom) {
      return true;
    },
  };
}

std::vector<child_spec> tenant_children(std::shared_ptr<const sync_env> env) {
  std::vector<child_spec> out;
  for (const auto& t : env->cfg->tenants) {
    auto name = tenant_actor_name(t.id);
    out.push_back({name, [env, name, id = t.id](caf::actor_system& sys) {
                     auto hdl = sys.spawn(tenant_actor, env, id);
                     env->dir->put(name, hdl);
                     return hdl;
                   }});
  }
  return out;
}

event_router_actor::behavior_type
tenant_router(event_router_actor::pointer self,
              std::shared_ptr<actor_directory> dir) {
  return {
    [self, dir](const provider_event& ev) -> caf::result<bool> {
      auto tenant = dir->get<caf::actor>(tenant_actor_name(ev.tenant));
      if (!tenant)
        return false;
      auto rp = self->make_response_promise<bool>();
      self->request(tenant, std::chrono::seconds{30}, ev)
        .then(
          [rp](bool ok) mutable {
            rp.deliver(ok);
          },
          [rp](caf::error&) mutable {
            rp.deliver(false);
          });
      return rp;
    },
    // Drain protocol: the events in flight belong to the streams, which
    // wait for their answers themselves.
    [](drain_atom) {
      return true;
    },
  };
}

} // namespace ledgerd
