#include "sim/admin_api.hpp"

#include <stdexcept>

#include "sim/fortnox_api.hpp"
#include "sim/fortnox_model.hpp"
#include "sim/seed_data.hpp"
#include "sim/visma_api.hpp"
#include "sim/visma_model.hpp"

namespace ledgerd::sim {

namespace {

using json = nlohmann::json;

api_response error(int status, const std::string& message) {
  return api_response::of(status, {{"error", message}});
}

json admin_record(const record& r) {
  return {{"id", r.id},
          {"modified_utc", format_utc(r.modified, true)},
          {"modified_stockholm", format_stockholm_wall(r.modified)},
          {"data", r.data}};
}

json tenant_summary(const tenant& t, const world& w) {
  const auto* c = w.tokens.client_of(t.key());
  json j
    = {{"provider", t.provider},          {"tenant", t.name},
       {"tenant_id", t.tenant_id},        {"client_id", c ? c->client_id : ""},
       {"customers", t.customers.size()}, {"invoices", t.invoices.size()}};
  if (t.provider == "visma")
    j["drafts"] = t.drafts.size();
  return j;
}

api_response stats(world& w) {
  auto j = w.limits.stats();
  j["refreshes"] = w.tokens.refreshes();
  j["token_throttled"] = w.token_throttled;
  j["requests_total"] = w.requests_total;
  return api_response::of(200, std::move(j));
}

/// {"profile"?: P, NAME: VALUE, ...}: the profile first, then each quirk;
/// nothing changes when any of them is unknown.
api_response set_quirks(world& w, const api_request& req) {
  auto spec = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (spec.is_discarded() || !spec.is_object())
    return error(400, "body must be a JSON object of quirk names and values");
  auto next = w.options.quirks;
  if (auto p = spec.find("profile"); p != spec.end()) {
    auto q = p->is_string() ? quirk_set::profile(p->get<std::string>())
                            : std::nullopt;
    if (!q)
      return error(400, "profile must be \"default\" or \"adversarial\"");
    next = *q;
  }
  for (const auto& [name, value] : spec.items()) {
    if (name == "profile")
      continue;
    auto text = value.is_string() ? value.get<std::string>() : value.dump();
    if (auto err = next.set(name, text); !err.empty())
      return error(400, err);
  }
  for (const auto& [name, value] : next.values())
    w.set_quirk(name, value);
  return api_response::of(200, json(w.options.quirks.values()));
}

api_response set_faults(world& w, const api_request& req) {
  auto spec = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (spec.is_discarded())
    return error(400, "body is not JSON");
  one_shot_actions now;
  try {
    now = w.faults.configure(spec);
  } catch (const std::exception& e) {
    return error(400, e.what());
  }
  if (now.expire_tokens)
    w.tokens.expire_all(token_store::clock::now());
  if (now.websocket_disconnect && w.on_websocket_disconnect)
    w.on_websocket_disconnect();
  return api_response::of(200, w.faults.to_json());
}

/// JSON merge patch into a record, "behind the engine's back".
api_response patch_record(world& w, tenant& t, const std::string& kind,
                          record& r, const std::string& body) {
  auto patch = json::parse(body, nullptr, false);
  if (patch.is_discarded() || !patch.is_object())
    return error(400, "body must be a JSON object");
  bool was_cancelled = r.data.value("Cancelled", false);
  r.data.merge_patch(patch);
  bool invoice = kind != "customers"; // drafts are invoice-shaped
  std::string type = "customer-updated-v2";
  if (invoice && t.provider == "fortnox") {
    fortnox::recompute_totals(r.data);
    type = !was_cancelled && r.data.value("Cancelled", false)
             ? "invoice-cancelled-v1"
             : "invoice-updated-v1";
  } else if (invoice) {
    visma::recompute_totals(r.data);
  }
  w.touch(t, kind, r, type);
  if (t.provider == "visma")
    visma::set_modified(r.data, invoice, r.modified);
  return api_response::of(200, admin_record(r));
}

api_response delete_record(world& w, tenant& t, const std::string& kind,
                           record& r) {
  if (kind == "customers") {
    auto id = r.id;
    t.customers.erase(id);
    w.publish(t, "customers", id, "customer-deleted-v1");
    return api_response::empty(204);
  }
  if (kind == "drafts") {
    t.drafts.erase(std::string{r.id});
    return api_response::empty(204);
  }
  // Invoices are never deleted by the providers: cancel (Fortnox) or void.
  if (t.provider == "visma")
    return void_invoice(w, t, r);
  r.data["Cancelled"] = true;
  w.touch(t, kind, r, "invoice-cancelled-v1");
  return api_response::of(200, admin_record(r));
}

/// POST /sim/tenants/{p}/{t}/customers: a customer made as a person in the
/// provider's UI would (no API request counted, no limit spent), then the
/// body merged in as a patch.
api_response create_customer(world& w, tenant& t, const std::string& body) {
  auto patch = json::parse(body.empty() ? "{}" : body, nullptr, false);
  if (patch.is_discarded() || !patch.is_object())
    return error(400, "body must be a JSON object");
  auto id = t.provider == "fortnox"
              ? fortnox_foreign_create(w, t, "customers", "")
              : visma_foreign_create(w, t, "customers", "");
  auto* r = t.customers.find(id);
  if (!patch.empty())
    patch_record(w, t, "customers", *r, patch.dump());
  return api_response::of(201, admin_record(*r));
}

/// The records of `kind` ("customers", "invoices", Visma "drafts"); null
/// for any other kind.
record_store* store_of(tenant& t, const std::string& kind) {
  if (kind == "customers")
    return &t.customers;
  if (kind == "invoices")
    return &t.invoices;
  if (kind == "drafts" && t.provider == "visma")
    return &t.drafts;
  return nullptr;
}

/// /sim/tenants/{provider}/{tenant}/...
api_response tenant_route(world& w, const api_request& req) {
  const auto& seg = req.segments;
  auto* t = w.find_tenant(seg[2] + "/" + seg[3]);
  if (!t)
    return error(404, "no such tenant");
  if (seg.size() == 5 && seg[4] == "tokens" && req.method == "POST")
    return api_response::of(
      200, w.tokens.add_tenant(*w.tokens.client_of(t->key()), std::nullopt,
                               std::nullopt, token_store::clock::now()));
  auto* store = seg.size() >= 5 ? store_of(*t, seg[4]) : nullptr;
  if (!store)
    return error(404, "no such route");
  const auto& kind = seg[4];
  if (seg.size() == 5 && req.method == "POST" && kind == "customers")
    return create_customer(w, *t, req.body);
  if (seg.size() == 5 && req.method == "GET") {
    auto out = json::array();
    for (const auto* r : store->all())
      out.push_back(admin_record(*r));
    return api_response::of(200, std::move(out));
  }
  auto* r = seg.size() >= 6 ? store->find(seg[5]) : nullptr;
  if (!r || seg.size() > 7)
    return error(404, "no such record");
  if (seg.size() == 7) // as a person in the Visma UI converts a draft
    return seg[6] == "convert" && kind == "drafts" && req.method == "POST"
             ? convert_draft(w, *t, *r)
             : error(404, "no such route");
  if (req.method == "GET")
    return api_response::of(200, admin_record(*r));
  if (req.method == "PUT" || req.method == "PATCH")
    return patch_record(w, *t, kind, *r, req.body);
  if (req.method == "DELETE")
    return delete_record(w, *t, kind, *r);
  return error(405, "method not allowed");
}

api_response tenants(world& w, const api_request& req) {
  if (req.segments.size() >= 4)
    return tenant_route(w, req);
  if (req.segments.size() != 2)
    return error(404, "no such route");
  if (req.method == "GET") {
    auto out = json::array();
    for (const auto& [key, t] : w.tenants)
      out.push_back(tenant_summary(t, w));
    return api_response::of(200, std::move(out));
  }
  if (req.method != "POST")
    return error(405, "method not allowed");
  auto spec = json::parse(req.body, nullptr, false);
  if (spec.is_discarded())
    return error(400, "body is not JSON");
  try {
    return api_response::of(201, create_tenant(w, spec));
  } catch (const std::exception& e) {
    return error(400, e.what());
  }
}

std::optional<std::string> opt_string(const json& spec, const char* key) {
  if (!spec.contains(key))
    return std::nullopt;
  return spec.at(key).get<std::string>();
}

} // namespace

json create_tenant(world& w, const json& spec) {
  if (!spec.is_object())
    throw std::invalid_argument("tenant spec must be an object");
  tenant t;
  t.provider = spec.value("provider", "");
  t.name = spec.value("tenant", "");
  if (t.provider != "fortnox" && t.provider != "visma")
    throw std::invalid_argument("provider must be fortnox or visma");
  if (t.name.empty() || t.name.find('/') != std::string::npos)
    throw std::invalid_argument("tenant needs a name without '/'");
  if (w.tenants.count(t.key()) > 0)
    throw std::invalid_argument("tenant exists: " + t.key());
  t.tenant_id
    = spec.value("tenant_id", static_cast<int64_t>(29302 + w.tenants.size()));
  seed_tenant(t, spec.value("customers", std::size_t{0}),
              spec.value("invoices", std::size_t{0}),
              spec.value("seed", uint64_t{1}));
  oauth_client c{t.provider, t.key(), spec.value("client_id", "client"),
                 spec.value("client_secret", "secret"), t.tenant_id};
  auto tokens = w.tokens.add_tenant(
    std::move(c), opt_string(spec, "refresh_token"),
    opt_string(spec, "access_token"), token_store::clock::now());
  tokens["tenant_id"] = t.tenant_id;
  auto key = t.key();
  w.tenants.emplace(key, std::move(t));
  return tokens;
}

api_response admin_api(world& w, const api_request& req) {
  const auto& seg = req.segments; // "sim", ...
  if (seg.size() >= 2 && seg[1] == "tenants")
    return tenants(w, req);
  if (seg.size() == 2 && seg[1] == "faults") {
    if (req.method == "GET")
      return api_response::of(200, w.faults.to_json());
    if (req.method == "POST")
      return set_faults(w, req);
  }
  if (seg.size() == 2 && seg[1] == "quirks") {
    if (req.method == "GET")
      return api_response::of(200, json(w.options.quirks.values()));
    if (req.method == "POST")
      return set_quirks(w, req);
  }
  if (seg.size() == 2 && seg[1] == "stats" && req.method == "GET")
    return stats(w);
  if (seg.size() == 2 && seg[1] == "reset" && req.method == "POST") {
    w.reset();
    if (w.on_websocket_disconnect)
      w.on_websocket_disconnect();
    return api_response::of(200, {{"result", "ok"}});
  }
  return error(404, "no such route");
}

} // namespace ledgerd::sim
