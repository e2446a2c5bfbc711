#include "adapters/webhooks/ingest.hpp"

#include "adapters/http/asio.hpp"
#include "adapters/http/server.hpp"
#include "adapters/log.hpp"
#include "adapters/pg/inbox.hpp"
#include "state/webhook_signature.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

namespace ledgerd {

namespace {

using nlohmann::json;

http::response error(int status, const std::string& message,
                     const std::string& field = {}) {
  json body{{"error", message}};
  if (!field.empty())
    body["field"] = field;
  return http::response::json(status, body);
}

/// The entity a webhook body names: data.entity, else the type's prefix
/// ("invoice.updated"). Empty when neither says customer or invoice.
std::string entity_of(const json& body) {
  std::string entity;
  if (auto d = body.find("data"); d != body.end() && d->is_object())
    entity = d->value("entity", "");
  if (entity.empty() && body.contains("type") && body["type"].is_string())
    entity = body["type"].get<std::string>().substr(
      0, body["type"].get<std::string>().find('.'));
  return entity == "customer" || entity == "invoice" ? entity : "";
}

} // namespace

std::string webhook_source(const std::string& provider) {
  return "webhook:" + provider;
}

struct webhook_ingest::impl {
  webhook_ingest_options opts;
  /// tenant id -> key bytes of its secrets.
  std::map<std::string, std::vector<std::string>> keys;
  boost::asio::thread_pool pool;

  explicit impl(webhook_ingest_options o)
    : opts(std::move(o))
    , pool(opts.workers) {
    for (const auto& t : opts.cfg->tenants)
      for (const auto& s : t.webhooks.secrets)
        if (auto k = state::webhook_key(s))
          keys[t.id].push_back(std::move(*k));
  }

  http::response handle(const http::request& req) {
    const auto& tenant_id = req.params.at("tenant");
    const auto& provider = req.params.at("provider");
    const auto* tenant = opts.cfg->find_tenant(tenant_id);
    if (tenant == nullptr)
      return error(404, "unknown tenant '" + tenant_id + "'", "tenant");
    bool connected = false;
    for (const auto& c : tenant->connections)
      connected
        = connected || (c.enabled && config::to_string(c.provider) == provider);
    if (!connected)
      return error(
        404, "tenant '" + tenant_id + "' has no " + provider + " connection",
        "provider");
    auto k = keys.find(tenant_id);
    if (k == keys.end())
      return error(401, "webhooks are not configured for this tenant");
    auto verdict = state::webhook_verify(
      k->second,
      {req.header("webhook-id"), req.header("webhook-timestamp"),
       req.header("webhook-signature")},
      req.body, opts.now(),
      std::chrono::duration_cast<std::chrono::seconds>(
        tenant->webhooks.tolerance));
    if (verdict != state::webhook_verdict::ok) {
      log::warn("webhooks", "webhook refused",
                {{"tenant", tenant_id},
                 {"provider", provider},
                 {"reason", state::to_string(verdict)}});
      return error(401, std::string{state::to_string(verdict)});
    }
    auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return error(400, "the body is not a JSON object", "body");
    if (entity_of(body).empty())
      return error(400, "data.entity (or type) must name customer or invoice",
                   "data.entity");
    auto id = body.find("data") != body.end() && body["data"].is_object()
                ? body["data"].value("id", json{})
                : json{};
    if (!id.is_string() || id.get<std::string>().empty())
      return error(400, "data.id must be the record's provider id", "data.id");
    auto conn = opts.db->acquire(opts.acquire_timeout);
    auto stored = pg::store_inbox_event(*conn, {webhook_source(provider),
                                                req.header("webhook-id"),
                                                tenant_id, req.body});
    if (stored && opts.stored)
      opts.stored();
    return http::response::json(202, {{"stored", stored}});
  }
};

webhook_ingest::webhook_ingest(webhook_ingest_options opts)
  : impl_(std::make_unique<impl>(std::move(opts))) {}

webhook_ingest::~webhook_ingest() {
  impl_->pool.join();
}

void webhook_ingest::add_routes(http::server& srv) {
  srv.route(
    "POST", "/webhooks/{provider}/{tenant}",
    [st = impl_.get()](const http::request& req, http::responder res) {
      boost::asio::post(st->pool, [st, req, res] {
        try {
          res.respond(st->handle(req));
        } catch (const std::exception& e) {
          log::warn("webhooks", "webhook not stored", {{"error", e.what()}});
          res.respond(error(503, "the event could not be stored"));
        }
      });
    });
}

} // namespace ledgerd
