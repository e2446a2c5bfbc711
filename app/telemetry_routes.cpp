#include "app/telemetry_routes.hpp"

#include "actors/metrics_reporter.hpp"
#include "adapters/http/server.hpp"
#include "app/api_routes.hpp"
#include "messages/actors.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

namespace ledgerd {

namespace {

using namespace std::chrono_literals;
using ctx_ptr = std::shared_ptr<const telemetry_context>;

constexpr auto ask_timeout = 5s;

/// 401 unless the request carries one of the admin tokens.
std::optional<http::response> refuse_unauthorized(const telemetry_context& ctx,
                                                  const http::request& req) {
  if (bearer_authorized(req.header("authorization"), ctx.tokens))
    return std::nullopt;
  auto res = http::response::error(401, "unauthorized");
  res.headers.emplace_back("WWW-Authenticate", "Bearer");
  return res;
}

/// Asks the monitor for `what` in a bridge actor; `on_text` gets its
/// answer, `on_error` a 503 reason.
template<class Atom, class OnText, class OnError>
void ask_monitor(const telemetry_context& ctx, Atom what, OnText on_text,
                 OnError on_error) {
  auto mon = ctx.dir->get<monitor_actor>(monitor_name);
  if (!mon) {
    on_error("the monitor is not running");
    return;
  }
  ctx.sys->spawn([mon, what, on_text, on_error](caf::event_based_actor* self) {
    self->request(mon, ask_timeout, what)
      .then(
        [on_text](const std::string& text) {
          on_text(text);
        },
        [on_error](caf::error& err) {
          on_error(to_string(err));
        });
  });
}

/// Answers with the monitor's text for `what` as `content_type`, or 503.
template<class Atom>
void answer_from_monitor(const ctx_ptr& ctx, Atom what,
                         std::string content_type, const http::responder& res) {
  ask_monitor(
    *ctx, what,
    [res, content_type](const std::string& text) {
      http::response out;
      out.status = 200;
      out.content_type = content_type;
      out.body = text;
      out.headers.emplace_back("Cache-Control", "no-cache");
      res.respond(std::move(out));
    },
    [res](const std::string& why) {
      res.respond(http::response::error(503, "monitor unavailable: " + why));
    });
}

/// Feeds one event stream until the client goes away: a snapshot now, then
/// one every interval (a slow monitor delays the next, never piles up).
void run_stream(const ctx_ptr& ctx, http::stream out) {
  ctx->sys->spawn([ctx, out](caf::event_based_actor* self) -> caf::behavior {
    self->send(self, tick_atom_v);
    return {
      [self, ctx, out](tick_atom) {
        if (out.closed()) {
          self->quit();
          return;
        }
        auto next = [self, ctx] {
          self->delayed_send(self, ctx->stream_interval, tick_atom_v);
        };
        auto mon = ctx->dir->get<monitor_actor>(monitor_name);
        if (!mon) {
          out.send(
            "error",
            nlohmann::json{{"error", "the monitor is not running"}}.dump());
          next();
          return;
        }
        self->request(mon, ask_timeout, telemetry_atom_v)
          .then(
            [out, next](const std::string& text) {
              out.send("telemetry", text);
              next();
            },
            [out, next](caf::error& err) {
              out.send("error",
                       nlohmann::json{{"error", to_string(err)}}.dump());
              next();
            });
      },
    };
  });
}

} // namespace

void add_telemetry_routes(http::server& srv, telemetry_context ctx) {
  auto shared = std::make_shared<const telemetry_context>(std::move(ctx));
  srv.route(
    "GET", "/metrics", [shared](const http::request&, http::responder res) {
      answer_from_monitor(shared, metrics_atom_v,
                          "text/plain; version=0.0.4; charset=utf-8", res);
    });
  srv.route("GET", "/v1/telemetry",
            [shared](const http::request& req, http::responder res) {
              if (auto refused = refuse_unauthorized(*shared, req))
                res.respond(std::move(*refused));
              else
                answer_from_monitor(shared, telemetry_atom_v,
                                    "application/json", res);
            });
  srv.route_stream(
    "/v1/telemetry/stream",
    [shared](const http::request&, http::stream out) {
      run_stream(shared, std::move(out));
    },
    [shared](const http::request& req) {
      return refuse_unauthorized(*shared, req);
    });
}

} // namespace ledgerd
