#include "actors/sync_children.hpp"

#include "actors/connections.hpp"
#include "actors/event_stream.hpp"
#include "actors/inbox_relay.hpp"
#include "actors/outbox_relay.hpp"
#include "actors/tenant.hpp"
#include "adapters/pg/offset_store.hpp"

#include <caf/actor_system.hpp>

namespace ledgerd {

namespace {

child_spec event_stream_child(std::shared_ptr<const sync_env> env,
                              event_stream_options opts) {
  opts.notify_disconnects = true;
  opts.offsets
    = std::make_shared<pg::offset_store>(env->db, env->acquire_timeout);
  auto name = "event_stream/" + opts.stream_key;
  return {name, [env, opts](caf::actor_system& sys) mutable {
            // Resolved at each (re)start: the supervisor may have replaced
            // the token service or the router since.
            opts.tokens
              = env->dir->get<token_service_actor>(token_service_name);
            opts.sink = env->dir->get<event_sink_actor>(event_router_name);
            // Detached: offsets are read and written through libpq.
            return caf::actor_cast<caf::actor>(
              sys.spawn<caf::detached>(event_stream, opts));
          }};
}

} // namespace

std::vector<child_spec> sync_children(std::shared_ptr<const sync_env> env,
                                      std::string listen_conninfo) {
  auto out = tenant_children(env);
  outbox_relay_options relay;
  relay.listen_conninfo = std::move(listen_conninfo);
  out.push_back({"outbox_relay", [env, relay](caf::actor_system& sys) {
                   // Detached: it blocks on PostgreSQL.
                   return sys.spawn<caf::detached>(outbox_relay, env, relay);
                 }});
  out.push_back({"inbox_relay", [env](caf::actor_system& sys) {
                   // Detached: it blocks on PostgreSQL and the tenants.
                   auto hdl = sys.spawn<caf::detached>(inbox_relay, env,
                                                       inbox_relay_options{});
                   env->dir->put(inbox_relay_name, hdl);
                   return hdl;
                 }});
  out.push_back({"event_router", [env](caf::actor_system& sys) {
                   auto hdl = sys.spawn(tenant_router, env->dir);
                   env->dir->put(event_router_name, hdl);
                   return caf::actor_cast<caf::actor>(hdl);
                 }});
  for (auto& opts : event_streams_of(*env->cfg))
    out.push_back(event_stream_child(env, std::move(opts)));
  return out;
}

} // namespace ledgerd
