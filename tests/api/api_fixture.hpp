// The /v1 admin API end to end: a fresh migrated database, a threaded actor
// system with a supervisor running the health actor (over a switchable
// probe) and the tenant actors of two tenants (acme on Fortnox, nordvik on
// Visma; their providers point at a closed port: the API only needs the
// job, batch and conflict plumbing), and the real HTTP server on port 0
// with the API routes, called with the real HTTP client.
#pragma once

#include "actors/health.hpp"
#include "actors/supervisor.hpp"
#include "actors/tenant.hpp"
#include "adapters/http/client.hpp"
#include "adapters/http/server.hpp"
#include "app/api_routes.hpp"
#include "config/load_config.hpp"
#include "tests/support/actor_system_fixture.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/quiet_log.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace ledgerd::test {

struct api_options {
  /// [api] tokens of the node.
  std::vector<std::string> tokens{"s3cret-token", "second-token"};
  /// Children /readyz expects besides those the supervisor runs.
  std::vector<std::string> extra_children;
};

/// One HTTP answer.
struct api_reply {
  int status = 0;
  nlohmann::json body;
  std::map<std::string, std::string> headers;
};

struct api_fixture : actor_system_fixture {
  quiet_log quiet;
  test_database db;
  std::shared_ptr<pg::pool> pool;
  std::shared_ptr<sync_env> env = std::make_shared<sync_env>();
  std::shared_ptr<std::atomic<bool>> db_ok
    = std::make_shared<std::atomic<bool>>(true);
  supervisor_actor sup;
  std::unique_ptr<http::server> server;
  http::client client;
  std::string token = "s3cret-token";
  /// Names of the supervisor's children.
  std::vector<std::string> started_children;

  explicit api_fixture(api_options opts = {})
    : pool(migrated_pool(db, 4)) {
    env->db = pool;
    env->cfg = std::make_shared<const config::node_config>(make_config());
    env->dir = std::make_shared<actor_directory>();
    env->jobs = std::make_shared<pg::job_store>(pool, std::chrono::seconds{10});
    env->acquire_timeout = std::chrono::seconds{10};
    std::vector<child_spec> children;
    children.push_back(
      {"health", [ok = db_ok](caf::actor_system& sys) {
         probe_fn probe = [ok]() -> std::optional<std::string> {
           if (*ok)
             return std::nullopt;
           return std::string{"connection refused"};
         };
         return caf::actor_cast<caf::actor>(sys.spawn(
           health, probe, caf::timespan{std::chrono::milliseconds{20}}));
       }});
    for (auto& c : tenant_children(env))
      children.push_back(std::move(c));
    for (const auto& c : children)
      started_children.push_back(c.name);
    auto names = started_children;
    for (const auto& n : opts.extra_children)
      names.push_back(n);
    sup = sys.spawn(supervisor, std::move(children), supervisor_options{});
    // Each tenant actor polls every connection and entity once at start:
    // wait for those 4 pulls and drop them, so that every test starts from
    // an empty queue.
    REQUIRE(eventually([&] {
      return sql("SELECT count(*) FROM ledgerd.jobs") == "4";
    }));
    db.exec("DELETE FROM ledgerd.jobs");
    http::server_options so;
    so.port = 0;
    so.max_body_bytes = 4096;
    server = std::make_unique<http::server>(so);
    api_context ctx;
    ctx.sys = &sys;
    ctx.supervisor = sup;
    ctx.children = std::move(names);
    ctx.env = env;
    ctx.tokens = opts.tokens;
    add_api_routes(*server, std::move(ctx));
    server->start();
  }

  ~api_fixture() {
    server->stop();
    client.stop();
    // Stops the children one by one (the tenant actors do not speak the
    // drain protocol), then the supervisor.
    for (const auto& name : started_children) {
      self->request(sup, std::chrono::seconds{10}, caf::get_atom_v, name)
        .receive(
          [&](const caf::actor& child) {
            self->send_exit(child, caf::exit_reason::user_shutdown);
            self->wait_for(child);
          },
          [](caf::error&) {});
    }
    self->send_exit(sup, caf::exit_reason::user_shutdown);
    self->wait_for(sup);
  }

  config::node_config make_config() const {
    std::string text = "[database]\nurl = \"" + db.conninfo() + "\"\n"
                       + "[[tenants]]\nid = \"acme\"\nname = \"Acme AB\"\n"
                         "[[tenants.connections]]\nprovider = \"fortnox\"\n"
                         "base_url = \"http://127.0.0.1:9/fortnox\"\n"
                         "token_url = \"http://127.0.0.1:9/token\"\n"
                         "websocket_url = \"ws://127.0.0.1:9/topics\"\n"
                         "client_id = \"id\"\nclient_secret = \"secret\"\n"
                         "[tenants.sync]\npoll_interval = \"1h\"\n"
                         "[[tenants]]\nid = \"nordvik\"\n"
                         "[[tenants.connections]]\nprovider = \"visma\"\n"
                         "base_url = \"http://127.0.0.1:9/visma\"\n"
                         "token_url = \"http://127.0.0.1:9/token\"\n"
                         "client_id = \"id\"\nclient_secret = \"secret\"\n"
                         "[tenants.sync]\npoll_interval = \"1h\"\n";
    auto r = config::parse_config(text, "api-test.toml");
    INFO(config::format_problems(r.problems()));
    REQUIRE(r.ok());
    return r.config();
  }

  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(server->port()) + target;
  }

  /// Sends a request with `auth` as the Authorization header ("" = none).
  api_reply send(const std::string& method, const std::string& target,
                 const std::string& body, const std::string& auth) {
    http::client_request req;
    req.method = method;
    req.url = url(target);
    req.body = body;
    if (!body.empty())
      req.headers.emplace_back("Content-Type", "application/json");
    if (!auth.empty())
      req.headers.emplace_back("Authorization", auth);
    auto res = client.send_sync(req);
    INFO(method << " " << target << " -> " << res.status << " " << res.body
                << " " << res.message);
    REQUIRE(res.status != 0);
    api_reply out;
    out.status = res.status;
    out.headers = res.headers;
    if (!res.body.empty())
      out.body = nlohmann::json::parse(res.body, nullptr, false);
    return out;
  }

  /// An authorized request.
  api_reply call(const std::string& method, const std::string& target,
                 const nlohmann::json& body = nullptr) {
    return send(method, target, body.is_null() ? "" : body.dump(),
                "Bearer " + token);
  }

  std::string sql(const std::string& text) const {
    return db.query_value(text);
  }

  int64_t count(const std::string& text) const {
    return std::stoll(sql(text));
  }

  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::now();
  }

  /// Enqueues a job directly.
  int64_t enqueue(const std::string& tenant, const std::string& kind = "noop",
                  int64_t batch = 0, const std::string& key = {}) {
    job_spec spec;
    spec.tenant = tenant;
    spec.provider = tenant == "acme" ? "fortnox" : "visma";
    spec.kind = kind;
    spec.payload = R"({"entity":"customer"})";
    spec.batch_id = batch;
    spec.dedup_key = key;
    return env->jobs->enqueue(spec, now()).id;
  }

  /// Claims every due job and finishes `id` with `next_state` and `error`;
  /// the other claimed jobs are put back (pending).
  void finish(int64_t id, const std::string& next_state,
              const std::string& error = {}) {
    pg::claim_request req;
    req.owner = "test";
    req.limit = 1000;
    req.per_tenant_limit = 1000;
    req.now = now();
    std::vector<job_outcome> outs;
    bool found = false;
    for (const auto& j : env->jobs->claim(req)) {
      job_outcome o;
      o.id = j.id;
      o.lease_owner = j.lease_owner;
      o.attempt = j.attempt;
      o.next_state = j.id == id ? next_state : "pending";
      o.error = j.id == id ? error : "";
      found |= j.id == id;
      outs.push_back(o);
    }
    REQUIRE(found);
    // A retryable "pending" must not use up the test's jobs: max_attempts
    // is 8, and no test claims more than a few times.
    REQUIRE(env->jobs->finish(outs, now()).empty());
  }

  /// Fails `id` for good (permanent error).
  void fail(int64_t id, const std::string& error) {
    finish(id, "failed", error);
  }
};

} // namespace ledgerd::test
