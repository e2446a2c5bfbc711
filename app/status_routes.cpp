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

using db_health_fn = std::function<void(const db_health&)>;

// Asks the supervisor for the current health actor, then asks it; errors
// answer 503. Runs inside a bridge actor.
void ask_db_health(caf::event_based_actor* bridge, const supervisor_actor& sup,
                   http::responder res, db_health_fn on_health) {
  bridge->request(sup, ask_timeout, caf::get_atom_v, std::string{"health"})
    .then(
      [=](const caf::actor& child) {
        auto hdl = caf::actor_cast<health_actor>(child);
        bridge->request(hdl, ask_timeout, health_atom_v)
          .then(
            [=](const db_health& db) {
              on_health(db);
            },
            [res](caf::error& err) {
              res.respond(unavailable(err));
            });
      },
      [res](caf::error& err) {
        res.respond(unavailable(err));
      });
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

json status_json(const status_context& ctx, const supervisor_status& sup,
                 const db_health& db) {
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
  };
}

void status(const status_context& ctx, http::responder res) {
  ctx.sys->spawn([res, ctx](caf::event_based_actor* bridge) {
    bridge->request(ctx.supervisor, ask_timeout, health_atom_v)
      .then(
        [=](const supervisor_status& sup) {
          ask_db_health(bridge, ctx.supervisor, res, [=](const db_health& db) {
            res.respond(http::response::json(200, status_json(ctx, sup, db)));
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
