#include "app/status_routes.hpp"

#include "adapters/http/server.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

namespace ledgerd {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

/// How long an HTTP request may wait for an actor.
constexpr auto ask_timeout = 5s;

json to_json(const db_health& h) {
  return {{"ok", h.ok},
          {"error", h.error},
          {"probes", h.probes},
          {"failures_in_a_row", h.failures_in_a_row}};
}

http::response unavailable(const caf::error& err) {
  return http::response::json(
    503, {{"status", "unavailable"}, {"error", to_string(err)}});
}

// Asks the supervisor for the current handle of child `name` (it changes on
// restart), then asks that child for its health_atom reply; errors answer
// 503. Runs inside a bridge actor.
template<class Handle, class Reply>
void ask_child(caf::event_based_actor* bridge, const supervisor_actor& sup,
               std::string name, http::responder res,
               std::function<void(const Reply&)> on_reply) {
  bridge->request(sup, ask_timeout, caf::get_atom_v, std::move(name))
    .then(
      [=](const caf::actor& child) {
        auto hdl = caf::actor_cast<Handle>(child);
        bridge->request(hdl, ask_timeout, health_atom_v)
          .then(
            [=](const Reply& reply) {
              on_reply(reply);
            },
            [res](caf::error& err) {
              res.respond(unavailable(err));
            });
      },
      [res](caf::error& err) {
        res.respond(unavailable(err));
      });
}

void ask_db_health(caf::event_based_actor* bridge, const supervisor_actor& sup,
                   http::responder res,
                   std::function<void(const db_health&)> on_health) {
  ask_child<health_actor, db_health>(bridge, sup, "health", std::move(res),
                                     std::move(on_health));
}

// Each request gets a short-lived bridge actor that owns the continuation:
// neither the io thread nor a CAF worker blocks (caf-0.17-notes.md §11).
void healthz(const status_context& ctx, http::responder res) {
  ctx.sys->spawn([res, sup = ctx.supervisor](caf::event_based_actor* bridge) {
    ask_db_health(bridge, sup, res, [res](const db_health& db) {
      auto body = json{{"status", db.ok ? "ok" : "degraded"},
                       {"database", to_json(db)}};
      res.respond(http::response::json(db.ok ? 200 : 503, body));
    });
  });
}

json to_json(const dispatcher_status& d) {
  return {{"running", d.running},       {"buffered", d.buffered},
          {"claimed", d.claimed},       {"completed", d.completed},
          {"retried", d.retried},       {"failed", d.failed},
          {"lease_lost", d.lease_lost}, {"reaped", d.reaped},
          {"draining", d.draining}};
}

void ask_jobs(caf::event_based_actor* bridge, const supervisor_actor& sup,
              http::responder res,
              std::function<void(const dispatcher_status&)> on_status) {
  ask_child<dispatcher_actor, dispatcher_status>(
    bridge, sup, "dispatcher", std::move(res), std::move(on_status));
}

json to_json(const connection_status& c) {
  return {{"tenant", c.tenant},       {"provider", c.provider},
          {"state", c.state},         {"reason", c.reason},
          {"refreshes", c.refreshes}, {"calls", c.calls},
          {"waiting", c.waiting},     {"in_flight", c.in_flight}};
}

// Asks every provider actor for its state, in parallel; an actor that does
// not answer is listed as unavailable. Calls `done` once with all of them.
void ask_connections(caf::event_based_actor* bridge, const status_context& ctx,
                     std::function<void(json)> done) {
  struct gathered {
    json items = json::array();
    size_t missing = 0;
  };
  auto g = std::make_shared<gathered>();
  g->missing = ctx.connections.size();
  if (g->missing == 0) {
    done(g->items);
    return;
  }
  auto add = [g, done](json item) {
    g->items.push_back(std::move(item));
    if (--g->missing == 0)
      done(g->items);
  };
  for (const auto& name : ctx.connections) {
    auto failed = [add, name](caf::error& err) {
      add(
        {{"name", name}, {"state", "unavailable"}, {"reason", to_string(err)}});
    };
    bridge->request(ctx.supervisor, ask_timeout, caf::get_atom_v, name)
      .then(
        [=](const caf::actor& child) {
          bridge
            ->request(caf::actor_cast<provider_actor>(child), ask_timeout,
                      caf::get_atom_v)
            .then(
              [add](const connection_status& c) {
                add(to_json(c));
              },
              failed);
        },
        failed);
  }
}

json status_json(const status_context& ctx, const supervisor_status& sup,
                 const db_health& db, const dispatcher_status& jobs) {
  auto uptime = std::chrono::steady_clock::now() - ctx.started;
  return {
    {"node_id", ctx.node_id},
    {"version", LEDGERD_VERSION},
    {"uptime_s",
     std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
    {"tenants", ctx.tenants},
    {"children", sup.running},
    {"restarts", sup.restarts},
    {"draining", sup.draining},
    {"database", to_json(db)},
    {"jobs", to_json(jobs)},
  };
}

void status(const status_context& ctx, http::responder res) {
  ctx.sys->spawn([res, ctx](caf::event_based_actor* bridge) {
    bridge->request(ctx.supervisor, ask_timeout, health_atom_v)
      .then(
        [=](const supervisor_status& sup) {
          ask_db_health(bridge, ctx.supervisor, res, [=](const db_health& db) {
            ask_jobs(bridge, ctx.supervisor, res,
                     [=](const dispatcher_status& jobs) {
                       ask_connections(bridge, ctx, [=](json connections) {
                         auto body = status_json(ctx, sup, db, jobs);
                         body["connections"] = std::move(connections);
                         res.respond(http::response::json(200, body));
                       });
                     });
          });
        },
        [res](caf::error& err) {
          res.respond(unavailable(err));
        });
  });
}

} // namespace

void add_status_routes(http::server& srv, status_context ctx) {
  srv.route("GET", "/healthz",
            [ctx](const http::request&, http::responder res) {
              healthz(ctx, std::move(res));
            });
  srv.route("GET", "/v1/status",
            [ctx](const http::request&, http::responder res) {
              status(ctx, std::move(res));
            });
}

} // namespace ledgerd
