#include "app/api_routes.hpp"

#include "actors/conflict_resolution.hpp"
#include "actors/tenant.hpp"
#include "adapters/http/server.hpp"
#include "adapters/http/worker_pool.hpp"
#include "adapters/pg/conflict_table.hpp"
#include "adapters/pg/cursor_table.hpp"
#include "adapters/pg/error.hpp"
#include "adapters/pg/link_table.hpp"
#include "state/iso_time.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <charconv>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>

namespace ledgerd {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

/// How long a request may wait for an actor.
constexpr auto ask_timeout = 5s;

/// How long a manual sync may wait for its tenant actor (it writes the batch
/// and its jobs before it answers).
constexpr auto sync_timeout = 30s;

/// Tasks that may wait for a worker; more get 503.
constexpr size_t max_queued = 256;

/// Largest page of a list.
constexpr int64_t max_limit = 1000;

/// What every handler shares.
struct api_state {
  api_context ctx;
  std::shared_ptr<worker_pool> workers;
};

using state_ptr = std::shared_ptr<const api_state>;

// -- answers ------------------------------------------------------------------

http::response error(int status, const std::string& message,
                     const std::string& field = {}) {
  return http::response::error(status, message, field);
}

http::response unauthorized() {
  auto res = error(401, "unauthorized");
  res.headers.emplace_back("WWW-Authenticate", "Bearer");
  return res;
}

/// The text a CAF error carries (its context string), else its rendering.
std::string error_text(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return to_string(err);
}

/// Answer for an actor that did not answer as hoped.
http::response actor_failure(const caf::error& err) {
  if (err == caf::sec::invalid_argument)
    return error(400, error_text(err));
  if (err == caf::sec::request_timeout)
    return error(503, "timed out waiting for the engine");
  return error(503, "engine unavailable: " + error_text(err));
}

json iso(std::optional<pg::wall_time> t) {
  if (!t)
    return nullptr;
  return state::format_iso_utc(std::chrono::floor<std::chrono::seconds>(*t));
}

json json_or_text(const std::string& text) {
  if (text.empty())
    return nullptr;
  auto x = json::parse(text, nullptr, false);
  return x.is_discarded() ? json(text) : x;
}

json null_if_empty(const std::string& x) {
  return x.empty() ? json(nullptr) : json(x);
}

json to_json(const pg::job_row& j) {
  return {{"id", j.id},
          {"tenant", j.tenant},
          {"provider", j.provider},
          {"kind", j.kind},
          {"state", j.state},
          {"priority", j.priority},
          {"attempt", j.attempt},
          {"max_attempts", j.max_attempts},
          {"last_error", null_if_empty(j.last_error)},
          {"batch_id", j.batch_id ? json(*j.batch_id) : json(nullptr)},
          {"dedup_key", null_if_empty(j.dedup_key)},
          {"payload", json_or_text(j.payload)},
          {"run_at", iso(j.run_at)},
          {"finished_at", iso(j.finished_at)}};
}

json to_json(const pg::conflict_row& c) {
  return {{"id", c.id},
          {"tenant", c.tenant},
          {"provider", c.provider},
          {"entity", c.entity},
          {"local_id", c.local_id},
          {"remote_id", null_if_empty(c.remote_id)},
          {"field", c.field},
          {"base_value", c.base_value ? *c.base_value : json(nullptr)},
          {"local_value", c.local_value},
          {"remote_value", c.remote_value},
          {"status", c.status},
          {"resolution", null_if_empty(c.resolution)},
          {"resolved_value", c.resolved_value},
          {"resolved_by", null_if_empty(c.resolved_by)},
          {"created_at", iso(c.created_at)},
          {"resolved_at", iso(c.resolved_at)},
          {"applied_at", iso(c.applied_at)}};
}

// -- input --------------------------------------------------------------------

/// A bad request: 400 naming the field at fault.
struct bad_input {
  std::string field;
  std::string message;
};

/// Parses a decimal integer in [min, max]; throws bad_input naming `field`.
int64_t parse_int(const std::string& text, const std::string& field,
                  int64_t min, int64_t max) {
  int64_t x = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    throw bad_input{field,
                    field + " must be an integer (got \"" + text + "\")"};
  if (x < min || x > max)
    throw bad_input{field, field + " must be between " + std::to_string(min)
                             + " and " + std::to_string(max)};
  return x;
}

/// The id in path segment `name`.
int64_t path_id(const http::request& req, const std::string& name = "id") {
  return parse_int(req.params.at(name), name, 1,
                   std::numeric_limits<int64_t>::max());
}

/// Query parameter `name` as an integer in [min, max], if given.
std::optional<int64_t> query_int(const http::request& req,
                                 const std::string& name, int64_t min,
                                 int64_t max) {
  auto i = req.query.find(name);
  if (i == req.query.end())
    return std::nullopt;
  return parse_int(i->second, name, min, max);
}

std::optional<std::string> query_text(const http::request& req,
                                      const std::string& name) {
  auto i = req.query.find(name);
  if (i == req.query.end())
    return std::nullopt;
  return i->second;
}

/// Rejects query parameters other than `known` (a typo never passes
/// silently as "no filter").
void only_params(const http::request& req, std::set<std::string> known) {
  for (const auto& [name, value] : req.query)
    if (known.count(name) == 0)
      throw bad_input{name, "unknown query parameter " + name};
}

/// The body as a JSON object ("" = {}); rejects keys other than `known`.
json body_object(const http::request& req, std::set<std::string> known) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return json::object();
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded())
    throw bad_input{"body", "body is not valid JSON"};
  if (!body.is_object())
    throw bad_input{"body", "body must be a JSON object"};
  for (const auto& [key, value] : body.items())
    if (known.count(key) == 0)
      throw bad_input{key, "unknown field " + key};
  return body;
}

/// Optional string member `key` of `body` (null = absent).
std::optional<std::string> opt_string(const json& body,
                                      const std::string& key) {
  auto i = body.find(key);
  if (i == body.end() || i->is_null())
    return std::nullopt;
  if (!i->is_string())
    throw bad_input{key, key + " must be a string"};
  return i->get<std::string>();
}

// -- plumbing -----------------------------------------------------------------

/// Wraps a handler: checks the bearer token first and turns bad_input into
/// 400.
http::handler
guarded(state_ptr st,
        std::function<void(const http::request&, const http::responder&)> fn) {
  return
    [st, fn = std::move(fn)](const http::request& req, http::responder res) {
      if (!bearer_authorized(req.header("authorization"), st->ctx.tokens)) {
        res.respond(unauthorized());
        return;
      }
      try {
        fn(req, res);
      } catch (const bad_input& e) {
        res.respond(error(400, e.message, e.field));
      }
    };
}

/// Runs `fn` on the worker pool and sends its answer; a database failure
/// answers 503, anything else 500.
void on_worker(const state_ptr& st, const http::responder& res,
               std::function<http::response()> fn) {
  auto task = [res, fn = std::move(fn)] {
    try {
      res.respond(fn());
    } catch (const bad_input& e) {
      res.respond(error(400, e.message, e.field));
    } catch (const pg::error& e) {
      res.respond(error(503, std::string{"database unavailable: "} + e.what()));
    } catch (const std::exception& e) {
      res.respond(error(500, e.what()));
    }
  };
  if (!st->workers->submit(std::move(task)))
    res.respond(error(503, "too many requests in progress"));
}

pg::wall_time now_of(const sync_env& env) {
  return env.now();
}

// -- POST /v1/tenants/{t}/sync ------------------------------------------------

sync_request parse_sync(const config::tenant_config& t,
                        const http::request& req) {
  auto body = body_object(req, {"entity", "provider", "ids", "reconcile"});
  sync_request out;
  if (auto entity = opt_string(body, "entity")) {
    std::optional<config::entity_kind> kind;
    if (*entity == "customer")
      kind = config::entity_kind::customers;
    else if (*entity == "invoice")
      kind = config::entity_kind::invoices;
    else
      throw bad_input{"entity", "entity must be \"customer\" or \"invoice\""};
    if (!t.sync.syncs(*kind))
      throw bad_input{"entity",
                      "tenant " + t.id + " does not sync " + *entity + "s"};
    out.entity = *entity;
  }
  if (auto provider = opt_string(body, "provider")) {
    auto kind = config::from_string<config::provider_kind>(*provider);
    const auto* conn = kind ? t.connection(*kind) : nullptr;
    if (conn == nullptr || !conn->enabled)
      throw bad_input{"provider", "tenant " + t.id
                                    + " has no enabled connection to \""
                                    + *provider + "\""};
    out.provider = *provider;
  }
  if (auto i = body.find("ids"); i != body.end() && !i->is_null()) {
    if (!i->is_array() || i->empty())
      throw bad_input{"ids", "ids must be a non-empty array of strings"};
    if (i->size() > static_cast<size_t>(max_limit))
      throw bad_input{"ids", "ids may name at most " + std::to_string(max_limit)
                               + " records"};
    for (const auto& id : *i) {
      if (!id.is_string() || id.get<std::string>().empty())
        throw bad_input{"ids", "ids must be a non-empty array of strings"};
      out.remote_ids.push_back(id.get<std::string>());
    }
    if (out.entity.empty())
      throw bad_input{"entity", "entity is required with ids"};
  }
  if (auto i = body.find("reconcile"); i != body.end() && !i->is_null()) {
    if (!i->is_boolean())
      throw bad_input{"reconcile", "reconcile must be true or false"};
    out.reconcile = i->get<bool>();
    if (out.reconcile && !out.remote_ids.empty())
      throw bad_input{"reconcile",
                      "reconcile lists every record: not with ids"};
  }
  return out;
}

void post_sync(const state_ptr& st, const http::request& req,
               const http::responder& res) {
  const auto& env = *st->ctx.env;
  const auto& id = req.params.at("t");
  const auto* t = env.cfg->find_tenant(id);
  if (t == nullptr) {
    res.respond(error(404, "unknown tenant " + id, "tenant"));
    return;
  }
  auto sync = parse_sync(*t, req);
  auto tenant = env.dir->get<caf::actor>(tenant_actor_name(id));
  if (!tenant) {
    res.respond(error(503, "the tenant actor of " + id + " is not running"));
    return;
  }
  st->ctx.sys->spawn([res, tenant, sync](caf::event_based_actor* bridge) {
    bridge->request(tenant, sync_timeout, sync)
      .then(
        [res](int64_t batch) {
          res.respond(http::response::json(202, {{"batch_id", batch}}));
        },
        [res](caf::error& err) {
          res.respond(actor_failure(err));
        });
  });
}

// -- batches ------------------------------------------------------------------

void get_batch(const state_ptr& st, const http::request& req,
               const http::responder& res) {
  auto id = path_id(req);
  on_worker(st, res, [st, id] {
    auto& jobs = *st->ctx.env->jobs;
    auto b = jobs.batch(id);
    if (!b)
      return error(404, "unknown batch " + std::to_string(id), "id");
    pg::job_filter f;
    f.batch_id = id;
    f.state = "failed";
    f.limit = static_cast<size_t>(max_limit);
    auto failures = json::array();
    for (const auto& j : jobs.list(f))
      failures.push_back({{"job_id", j.id},
                          {"kind", j.kind},
                          {"provider", j.provider},
                          {"error", j.last_error},
                          {"payload", json_or_text(j.payload)}});
    return http::response::json(200, {{"id", b->id},
                                      {"tenant", b->tenant},
                                      {"kind", b->kind},
                                      {"state", b->state},
                                      {"total", b->total},
                                      {"completed", b->completed},
                                      {"failed", b->failed},
                                      {"finished_at", iso(b->finished_at)},
                                      {"failures", std::move(failures)}});
  });
}

void post_retry_failed(const state_ptr& st, const http::request& req,
                       const http::responder& res) {
  auto id = path_id(req);
  on_worker(st, res, [st, id] {
    auto& jobs = *st->ctx.env->jobs;
    if (!jobs.batch(id))
      return error(404, "unknown batch " + std::to_string(id), "id");
    auto n = jobs.retry_failed(id, now_of(*st->ctx.env));
    return http::response::json(200, {{"retried", n}});
  });
}

// -- jobs ---------------------------------------------------------------------

void get_jobs(const state_ptr& st, const http::request& req,
              const http::responder& res) {
  only_params(req,
              {"tenant", "state", "kind", "batch_id", "limit", "after_id"});
  pg::job_filter f;
  f.tenant = query_text(req, "tenant");
  f.state = query_text(req, "state");
  static const std::set<std::string> states{"pending", "processing",
                                            "completed", "failed"};
  if (f.state && states.count(*f.state) == 0)
    throw bad_input{"state",
                    "state must be pending, processing, completed or failed"};
  f.kind = query_text(req, "kind");
  f.batch_id
    = query_int(req, "batch_id", 1, std::numeric_limits<int64_t>::max());
  f.before_id
    = query_int(req, "after_id", 1, std::numeric_limits<int64_t>::max());
  auto limit = query_int(req, "limit", 1, max_limit).value_or(100);
  // One more than asked: tells whether a next page exists.
  f.limit = static_cast<size_t>(limit) + 1;
  on_worker(st, res, [st, f, limit] {
    auto rows = st->ctx.env->jobs->list(f);
    json next = nullptr;
    if (rows.size() > static_cast<size_t>(limit)) {
      rows.resize(static_cast<size_t>(limit));
      next = rows.back().id;
    }
    auto jobs = json::array();
    for (const auto& j : rows)
      jobs.push_back(to_json(j));
    return http::response::json(
      200, {{"jobs", std::move(jobs)}, {"next_after_id", next}});
  });
}

void post_job_retry(const state_ptr& st, const http::request& req,
                    const http::responder& res) {
  auto id = path_id(req);
  on_worker(st, res, [st, id] {
    auto& jobs = *st->ctx.env->jobs;
    auto name = "job " + std::to_string(id);
    switch (jobs.retry(id, now_of(*st->ctx.env))) {
    case pg::retry_result::retried:
      break;
    case pg::retry_result::not_found:
      return error(404, "unknown " + name, "id");
    case pg::retry_result::not_failed: {
      auto row = jobs.find(id);
      return error(409, name + " is " + (row ? row->state : "gone")
                          + "; only failed jobs can be retried");
    }
    case pg::retry_result::key_live:
      return error(409, name
                          + ": another pending or processing job does "
                            "the same work (same dedup key)");
    }
    auto row = jobs.find(id);
    return http::response::json(200, row ? to_json(*row) : json{{"id", id}});
  });
}

void post_job_cancel(const state_ptr& st, const http::request& req,
                     const http::responder& res) {
  auto id = path_id(req);
  on_worker(st, res, [st, id] {
    auto& jobs = *st->ctx.env->jobs;
    auto name = "job " + std::to_string(id);
    if (!jobs.cancel(id, now_of(*st->ctx.env))) {
      auto row = jobs.find(id);
      if (!row)
        return error(404, "unknown " + name, "id");
      return error(409, name + " is " + row->state
                          + "; only pending jobs can be cancelled");
    }
    auto row = jobs.find(id);
    return http::response::json(200, row ? to_json(*row) : json{{"id", id}});
  });
}

// -- conflicts ----------------------------------------------------------------

void get_conflicts(const state_ptr& st, const http::request& req,
                   const http::responder& res) {
  only_params(req, {"tenant", "status", "after_id", "limit"});
  pg::conflict_filter f;
  f.tenant = query_text(req, "tenant").value_or("");
  if (!f.tenant.empty() && st->ctx.env->cfg->find_tenant(f.tenant) == nullptr)
    throw bad_input{"tenant", "unknown tenant " + f.tenant};
  f.status = query_text(req, "status").value_or("");
  if (!f.status.empty() && f.status != "open" && f.status != "resolved")
    throw bad_input{"status", "status must be open or resolved"};
  f.after_id
    = query_int(req, "after_id", 0, std::numeric_limits<int64_t>::max())
        .value_or(0);
  auto limit = query_int(req, "limit", 1, max_limit).value_or(100);
  f.limit = static_cast<int>(limit) + 1;
  on_worker(st, res, [st, f, limit] {
    auto conn = st->ctx.env->db->acquire(st->ctx.env->acquire_timeout);
    auto rows = pg::list_conflicts(*conn, f);
    conn.release();
    json next = nullptr;
    if (rows.size() > static_cast<size_t>(limit)) {
      rows.resize(static_cast<size_t>(limit));
      next = rows.back().id;
    }
    auto out = json::array();
    for (const auto& c : rows)
      out.push_back(to_json(c));
    return http::response::json(
      200, {{"conflicts", std::move(out)}, {"next_after_id", next}});
  });
}

// -- remote_read_only records ------------------------------------------------

void get_read_only(const state_ptr& st, const http::request& req,
                   const http::responder& res) {
  only_params(req, {"tenant", "after", "limit"});
  auto tenant = query_text(req, "tenant").value_or("");
  if (!tenant.empty() && st->ctx.env->cfg->find_tenant(tenant) == nullptr)
    throw bad_input{"tenant", "unknown tenant " + tenant};
  auto after = query_text(req, "after").value_or("");
  if (!after.empty() && after.find('|') == std::string::npos)
    throw bad_input{"after", "after must be a next_after from an earlier page"};
  auto limit = query_int(req, "limit", 1, max_limit).value_or(100);
  on_worker(st, res, [st, tenant, after, limit] {
    auto conn = st->ctx.env->db->acquire(st->ctx.env->acquire_timeout);
    auto rows
      = pg::list_read_only(*conn, tenant, after, static_cast<int>(limit) + 1);
    conn.release();
    json next = nullptr;
    if (rows.size() > static_cast<size_t>(limit)) {
      rows.resize(static_cast<size_t>(limit));
      next = rows.back().since + "|" + rows.back().local_id;
    }
    auto out = json::array();
    for (const auto& r : rows)
      out.push_back({{"tenant", r.tenant},
                     {"provider", r.provider},
                     {"entity", r.entity},
                     {"local_id", r.local_id},
                     {"remote_id", r.remote_id},
                     {"state", "remote_read_only"},
                     {"reason", r.reason},
                     {"since", r.since}});
    return http::response::json(
      200, {{"records", std::move(out)}, {"next_after", next}});
  });
}

void post_resolve(const state_ptr& st, const http::request& req,
                  const http::responder& res) {
  auto id = path_id(req);
  auto body = body_object(req, {"resolution", "value", "by"});
  auto resolution = opt_string(body, "resolution");
  if (!resolution)
    throw bad_input{"resolution", "resolution is required"};
  if (*resolution != "local" && *resolution != "remote"
      && *resolution != "custom")
    throw bad_input{"resolution", "resolution must be local, remote or custom"};
  json value = nullptr;
  if (*resolution == "custom") {
    if (!body.contains("value"))
      throw bad_input{"value", "value is required for a custom resolution"};
    value = body["value"];
  } else if (body.contains("value")) {
    throw bad_input{"value", "value is only for a custom resolution"};
  }
  auto by = opt_string(body, "by").value_or("api");
  on_worker(st, res, [st, id, resolution = *resolution, value, by] {
    const auto& env = *st->ctx.env;
    {
      auto conn = env.db->acquire(env.acquire_timeout);
      if (!pg::find_conflict(*conn, id))
        return error(404, "unknown conflict " + std::to_string(id), "id");
    }
    resolution_result r;
    try {
      r = resolve_conflict(env, id, resolution, value, by);
    } catch (const std::invalid_argument& e) {
      // Known id and resolution: only a contradiction is left.
      return error(409, e.what());
    }
    return http::response::json(
      200, {{"resolved_now", r.resolved_now},
            {"job_id", r.job_id != 0 ? json(r.job_id) : json(nullptr)}});
  });
}

// -- POST /v1/tenants/{t}/resume ----------------------------------------------

/// Lifts a provider-drift pause of one entity of one connection: its pulls
/// run again from the cursor (the waiting ones at once).
void post_resume(const state_ptr& st, const http::request& req,
                 const http::responder& res) {
  const auto& id = req.params.at("t");
  const auto* t = st->ctx.env->cfg->find_tenant(id);
  if (t == nullptr) {
    res.respond(error(404, "unknown tenant " + id, "tenant"));
    return;
  }
  auto body = body_object(req, {"provider", "entity"});
  auto entity = opt_string(body, "entity");
  if (!entity || (*entity != "customer" && *entity != "invoice"))
    throw bad_input{"entity", "entity must be customer or invoice"};
  auto provider = opt_string(body, "provider");
  if (!provider && t->connections.size() == 1)
    provider = std::string{config::to_string(t->connections.front().provider)};
  if (!provider)
    throw bad_input{"provider", "provider is required: " + id
                                  + " has more than one connection"};
  bool known = false;
  for (const auto& c : t->connections)
    known = known || config::to_string(c.provider) == *provider;
  if (!known)
    throw bad_input{"provider", id + " has no " + *provider + " connection"};
  on_worker(st, res, [st, key = pg::link_key{id, *provider, *entity}] {
    auto conn = st->ctx.env->db->acquire(st->ctx.env->acquire_timeout);
    auto r = pg::resume_pulls(*conn, key);
    return http::response::json(
      200, {{"resumed", r.resumed}, {"pulls_woken", r.pulls_woken}});
  });
}

// -- GET /v1/tenants ----------------------------------------------------------

/// (tenant, provider) -> status of the connection's provider actor.
using status_map
  = std::map<std::pair<std::string, std::string>, connection_status>;

/// Asks every enabled connection's provider actor for its status, in
/// parallel; calls `done` once with the answers (a connection whose actor
/// is not running or does not answer is left out).
void ask_connections(caf::event_based_actor* bridge, const sync_env& env,
                     std::function<void(status_map)> done) {
  struct gathered {
    status_map items;
    size_t missing = 0;
    std::function<void(status_map)> done;
    void finish_one() {
      if (--missing == 0)
        done(std::move(items));
    }
  };
  auto g = std::make_shared<gathered>();
  g->done = std::move(done);
  std::vector<std::pair<std::pair<std::string, std::string>, provider_actor>>
    asks;
  for (const auto& t : env.cfg->tenants)
    for (const auto& c : t.connections) {
      if (!c.enabled)
        continue;
      auto provider = std::string{config::to_string(c.provider)};
      if (auto hdl = env.provider(t.id, provider))
        asks.emplace_back(std::pair{t.id, provider}, hdl);
    }
  g->missing = asks.size() + 1;
  for (auto& [key, hdl] : asks)
    bridge->request(hdl, ask_timeout, caf::get_atom_v)
      .then(
        [g, key = key](const connection_status& s) {
          g->items[key] = s;
          g->finish_one();
        },
        [g](const caf::error&) {
          g->finish_one();
        });
  g->finish_one();
}

json tenant_json(pg::connection& conn, const config::tenant_config& t,
                 const status_map& statuses, pg::wall_time now) {
  auto connections = json::array();
  auto cursors = json::array();
  for (const auto& c : t.connections) {
    auto provider = std::string{config::to_string(c.provider)};
    json item{{"provider", provider}, {"enabled", c.enabled}};
    if (!c.enabled) {
      item["state"] = "disabled";
      item["reason"] = nullptr;
    } else if (auto i = statuses.find({t.id, provider}); i != statuses.end()) {
      item["state"] = i->second.state;
      item["reason"] = null_if_empty(i->second.reason);
    } else {
      item["state"] = "unavailable";
      item["reason"] = "the provider actor is not running or did not answer";
    }
    item["needs_reauth"] = item["state"] == "needs_reauth";
    connections.push_back(std::move(item));
    for (auto kind : t.sync.entities) {
      auto entity
        = kind == config::entity_kind::customers ? "customer" : "invoice";
      auto cur = pg::load_cursor(conn, {t.id, provider, entity});
      json lag = nullptr;
      if (cur.watermark)
        lag = std::chrono::duration_cast<std::chrono::seconds>(now
                                                               - *cur.watermark)
                .count();
      cursors.push_back({{"provider", provider},
                         {"entity", entity},
                         {"watermark", iso(cur.watermark)},
                         {"lag_seconds", lag},
                         {"reconciled_at", iso(cur.reconciled_at)},
                         {"paused", null_if_empty(cur.paused_reason)}});
    }
  }
  auto last = conn.exec("api.last_sync",
                        "SELECT (extract(epoch FROM max(finished_at)) "
                        "* 1000000)::bigint FROM ledgerd.jobs_done "
                        "WHERE tenant = $1 AND kind = 'pull'",
                        t.id);
  std::optional<pg::wall_time> last_sync;
  if (auto us = last.get_optional<int64_t>(0, 0))
    last_sync = pg::wall_time{std::chrono::microseconds{*us}};
  return {{"id", t.id},
          {"name", t.name.empty() ? t.id : t.name},
          {"connections", std::move(connections)},
          {"last_sync", iso(last_sync)},
          {"cursors", std::move(cursors)},
          {"open_conflicts", pg::count_open_conflicts(conn, t.id)},
          {"remote_read_only", pg::count_read_only(conn, t.id)}};
}

void get_tenants(const state_ptr& st, const http::request&,
                 const http::responder& res) {
  st->ctx.sys->spawn([st, res](caf::event_based_actor* bridge) {
    ask_connections(bridge, *st->ctx.env, [st, res](status_map statuses) {
      on_worker(st, res, [st, statuses = std::move(statuses)] {
        const auto& env = *st->ctx.env;
        auto now = now_of(env);
        auto conn = env.db->acquire(env.acquire_timeout);
        auto out = json::array();
        for (const auto& t : env.cfg->tenants)
          out.push_back(tenant_json(*conn, t, statuses, now));
        return http::response::json(200, {{"tenants", std::move(out)}});
      });
    });
  });
}

// -- GET /readyz --------------------------------------------------------------

http::response not_ready(const std::string& reason) {
  return http::response::json(503,
                              {{"status", "unavailable"}, {"reason", reason}});
}

void readyz(const state_ptr& st, const http::responder& res) {
  st->ctx.sys->spawn([st, res](caf::event_based_actor* bridge) {
    const auto& sup = st->ctx.supervisor;
    bridge->request(sup, ask_timeout, health_atom_v)
      .then(
        [=](const supervisor_status& s) {
          if (s.draining) {
            res.respond(not_ready("the node is shutting down"));
            return;
          }
          std::set<std::string> running(s.running.begin(), s.running.end());
          std::string missing;
          for (const auto& name : st->ctx.children)
            if (running.count(name) == 0)
              missing += (missing.empty() ? "" : ", ") + name;
          if (!missing.empty()) {
            res.respond(not_ready("not running: " + missing));
            return;
          }
          bridge->request(sup, ask_timeout, caf::get_atom_v, "health")
            .then(
              [=](const caf::actor& child) {
                bridge
                  ->request(caf::actor_cast<health_actor>(child), ask_timeout,
                            health_atom_v)
                  .then(
                    [=](const db_health& db) {
                      if (db.probes == 0)
                        res.respond(not_ready("no database probe yet"));
                      else if (!db.ok)
                        res.respond(not_ready("database: " + db.error));
                      else
                        res.respond(http::response::json(
                          200, {{"status", "ready"},
                                {"children", s.running.size()}}));
                    },
                    [res](caf::error& err) {
                      res.respond(not_ready("health: " + error_text(err)));
                    });
              },
              [res](caf::error& err) {
                res.respond(not_ready("health: " + error_text(err)));
              });
        },
        [res](caf::error& err) {
          res.respond(not_ready("supervisor: " + error_text(err)));
        });
  });
}

} // namespace

bool bearer_authorized(std::string_view authorization,
                       const std::vector<std::string>& tokens) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size())
    return false;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i])
      return false;
  auto given = authorization.substr(scheme.size());
  while (!given.empty() && given.front() == ' ')
    given.remove_prefix(1);
  while (!given.empty() && given.back() == ' ')
    given.remove_suffix(1);
  // Every token is compared over its whole length, whatever matched before:
  // the time does not tell how much of a token was right.
  bool ok = false;
  for (const auto& token : tokens) {
    unsigned diff = given.size() == token.size() ? 0 : 1;
    for (size_t i = 0; i < token.size(); ++i) {
      auto a = static_cast<unsigned char>(i < given.size() ? given[i] : 0);
      diff |= a ^ static_cast<unsigned char>(token[i]);
    }
    ok |= (diff == 0) && !token.empty();
  }
  return ok;
}

void add_api_routes(http::server& srv, api_context ctx) {
  auto st = std::make_shared<api_state>();
  st->workers = std::make_shared<worker_pool>(ctx.workers, max_queued);
  st->ctx = std::move(ctx);
  state_ptr cst = st;
  using handler_fn
    = void (*)(const state_ptr&, const http::request&, const http::responder&);
  auto add = [&](const char* method, const char* pattern, handler_fn fn) {
    srv.route(method, pattern,
              guarded(cst, [cst, fn](const http::request& req,
                                     const http::responder& res) {
                fn(cst, req, res);
              }));
  };
  add("POST", "/v1/tenants/{t}/sync", post_sync);
  add("POST", "/v1/tenants/{t}/resume", post_resume);
  add("GET", "/v1/tenants", get_tenants);
  add("GET", "/v1/batches/{id}", get_batch);
  add("POST", "/v1/batches/{id}/retry-failed", post_retry_failed);
  add("GET", "/v1/jobs", get_jobs);
  add("POST", "/v1/jobs/{id}/retry", post_job_retry);
  add("POST", "/v1/jobs/{id}/cancel", post_job_cancel);
  add("GET", "/v1/conflicts", get_conflicts);
  add("POST", "/v1/conflicts/{id}/resolve", post_resolve);
  add("GET", "/v1/records/read-only", get_read_only);
  srv.route("GET", "/readyz", [cst](const http::request&, http::responder res) {
    readyz(cst, res);
  });
}

} // namespace ledgerd
