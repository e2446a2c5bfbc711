#include "adapters/webhooks/ingest.hpp"

#include "adapters/http/server.hpp"
#include "adapters/http/worker_pool.hpp"
#include "adapters/log.hpp"
#include "adapters/pg/inbox.hpp"
#include "state/webhook_signature.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>

namespace ledgerd {

namespace {

using nlohmann::json;

http::response error(int status, const std::string& message,
                     const std::string& field = {}) {
  return http::response::error(status, message, field);
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
  worker_pool pool;
  /// steady_clock ticks of the last wake-up sent to the inbox relay.
  std::atomic<int64_t> last_wake{0};

  explicit impl(webhook_ingest_options o)
    : opts(std::move(o))
    , pool(opts.workers, opts.max_queued) {
    for (const auto& t : opts.cfg->tenants)
      for (const auto& s : t.webhooks.secrets)
        if (auto k = state::webhook_key(s))
          keys[t.id].push_back(std::move(*k));
  }

  void wake();

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
    if (stored)
      wake();
    return http::response::json(202, {{"stored", stored}});
  }
};

void webhook_ingest::impl::wake() {
  // One wake-up per interval is enough: a relay round claims every stored
  // event, and its own timer catches what arrives after the round began.
  // At 2,000 webhooks/s this saves 2,000 empty claim queries a second.
  if (!opts.stored)
    return;
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto last = last_wake.load(std::memory_order_relaxed);
  auto gap = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
               opts.wake_interval)
               .count();
  if (now - last < gap
      || !last_wake.compare_exchange_strong(last, now,
                                            std::memory_order_relaxed))
    return;
  opts.stored();
}

webhook_ingest::webhook_ingest(webhook_ingest_options opts)
  : impl_(std::make_unique<impl>(std::move(opts))) {}

// The pool's destructor runs what is queued, then joins its threads.
webhook_ingest::~webhook_ingest() = default;

void webhook_ingest::add_routes(http::server& srv) {
  srv.route(
    "POST", "/webhooks/{provider}/{tenant}",
    [st = impl_.get()](const http::request& req, http::responder res) {
      auto queued = st->pool.submit([st, req, res] {
        try {
          res.respond(st->handle(req));
        } catch (const std::exception& e) {
          log::warn("webhooks", "webhook not stored", {{"error", e.what()}});
          res.respond(error(503, "the event could not be stored"));
        }
      });
      // Overloaded: the sender retries later (Standard Webhooks senders
      // back off on 503); nothing was stored.
      if (!queued)
        res.respond(error(503, "too many webhooks in flight, retry later"));
    });
}

} // namespace ledgerd
