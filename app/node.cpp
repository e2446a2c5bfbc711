#include "app/node.hpp"

#include "actors/builtin_jobs.hpp"
#include "actors/connections.hpp"
#include "actors/dispatcher.hpp"
#include "actors/health.hpp"
#include "actors/inbox_relay.hpp"
#include "actors/monitor.hpp"
#include "actors/supervisor.hpp"
#include "actors/sync_children.hpp"
#include "actors/sync_jobs.hpp"
#include "adapters/http/client.hpp"
#include "adapters/http/server.hpp"
#include "adapters/log.hpp"
#include "adapters/pg/job_store.hpp"
#include "adapters/pg/migrations.hpp"
#include "adapters/pg/pool.hpp"
#include "adapters/provider/registry.hpp"
#include "adapters/webhooks/ingest.hpp"
#include "app/api_routes.hpp"
#include "app/console_routes.hpp"
#include "app/status_routes.hpp"
#include "app/telemetry_routes.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <csignal>
#include <memory>
#include <thread>
#include <unistd.h>

namespace ledgerd {

namespace {

using namespace std::chrono_literals;

/// How often the health actor probes the database.
constexpr auto health_interval = 5s;

// Turns SIGINT/SIGTERM into a shutdown_atom for the main loop. The signals
// are blocked in every thread (block() runs before any thread starts) and
// taken here with sigtimedwait, so no async-signal-safety games are needed.
class signal_watcher {
public:
  static void block() {
    auto set = signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }

  explicit signal_watcher(caf::actor target)
    : thread_([this, target] {
      watch(target);
    }) {}

  ~signal_watcher() {
    stop_ = true;
    thread_.join();
  }

private:
  static sigset_t signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
  }

  void watch(const caf::actor& target) {
    auto set = signals();
    timespec poll{0, 200'000'000};
    while (!stop_) {
      int sig = sigtimedwait(&set, nullptr, &poll);
      if (sig > 0) {
        log::info("node", "signal received", {{"signal", strsignal(sig)}});
        caf::anon_send(target, shutdown_atom_v);
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::shared_ptr<pg::pool> make_pool(const config::database_config& db) {
  pg::pool_options opts;
  opts.conninfo = db.url;
  opts.max_size = db.pool_size;
  return std::make_shared<pg::pool>(opts);
}

bool apply_migrations(pg::pool& db, const config::database_config& cfg) {
  try {
    auto conn = db.acquire(cfg.acquire_timeout);
    auto report = pg::migrate(*conn);
    log::info("node", "database schema up to date",
              {{"version", report.current_version},
               {"applied", report.applied.size()}});
    return true;
  } catch (const std::exception& e) {
    log::error("node", "cannot prepare the database, stopping",
               {{"error", e.what()}});
    return false;
  }
}

probe_fn database_probe(std::shared_ptr<pg::pool> db,
                        config::duration timeout) {
  return [db, timeout]() -> std::optional<std::string> {
    try {
      auto conn = db->acquire(timeout);
      // Not ready while the schema is newer than this node (it claims
      // nothing then, see the dispatcher).
      if (auto why = pg::schema_mismatch(*conn); !why.empty())
        return why;
      return std::nullopt;
    } catch (const std::exception& e) {
      return std::string{e.what()};
    }
  };
}

void configure_actor_system(caf::actor_system_config& cfg,
                            const config::node_config& node) {
  register_messages(cfg);
  const auto& sched = node.node.scheduler;
  cfg.set("scheduler.policy",
          caf::atom_from_string(config::to_string(sched.policy)));
  cfg.set("scheduler.max-threads", sched.threads);
  cfg.set("scheduler.max-throughput", 100);
}

dispatcher_options dispatching(const config::node_config& cfg,
                               std::shared_ptr<const actor_directory> dir) {
  const auto& jobs = cfg.jobs;
  dispatcher_options opts;
  opts.dir = std::move(dir);
  opts.owner = cfg.node.node_id + ":" + std::to_string(getpid());
  opts.concurrency = jobs.concurrency;
  opts.per_tenant_concurrency = jobs.per_tenant_concurrency;
  opts.lease = jobs.lease;
  opts.retain_completed = jobs.retain_completed;
  opts.retain_failed = jobs.retain_failed;
  opts.listen_conninfo = cfg.database.url;
  auto runner = std::make_shared<job_runner_options>();
  runner->backoff.base = jobs.retry_base;
  runner->backoff.cap = jobs.retry_cap;
  opts.runner = std::move(runner);
  return opts;
}

/// What the sync jobs, the tenant actors and the /v1 routes share.
std::shared_ptr<sync_env>
make_sync_env(std::shared_ptr<pg::pool> db,
              std::shared_ptr<const config::node_config> shared_cfg) {
  auto env = std::make_shared<sync_env>();
  env->db = db;
  env->cfg = shared_cfg;
  env->dir = std::make_shared<actor_directory>();
  env->acquire_timeout = shared_cfg->database.acquire_timeout;
  env->jobs = std::make_shared<pg::job_store>(db, env->acquire_timeout);
  return env;
}

/// How long ago each provider was last used by a job: a crashed
/// predecessor's requests still count in the provider's window. When the
/// database cannot say, every provider counts as used just now.
std::map<std::string, caf::timespan> predecessor_ages(pg::job_store& jobs) {
  std::map<std::string, caf::timespan> out;
  try {
    for (auto& [provider, age] :
         jobs.provider_activity_ages(std::chrono::minutes{10}))
      out[provider] = age;
  } catch (const std::exception& e) {
    log::warn("node",
              "cannot read recent provider activity, waiting out "
              "one window of every provider",
              {{"error", e.what()}});
    for (auto name : provider::known_providers())
      out[std::string{name}] = caf::timespan{0};
  }
  return out;
}

std::vector<child_spec>
long_lived_children(std::shared_ptr<pg::pool> db,
                    std::shared_ptr<const config::node_config> shared_cfg,
                    std::shared_ptr<http::client> client,
                    std::shared_ptr<sync_env> env) {
  const auto& cfg = *shared_cfg;
  auto dir = env->dir;
  auto timeout = cfg.database.acquire_timeout;
  auto registry = std::make_shared<job_registry>();
  add_builtin_jobs(*registry);
  auto store = env->jobs;
  add_sync_jobs(*registry, env);
  std::vector<child_spec> out{
    {"health",
     [db, timeout](caf::actor_system& sys) {
       // Detached: the probe blocks on libpq.
       return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(
         health, database_probe(db, timeout), caf::timespan{health_interval}));
     }},
    rate_limiter_child(dir, predecessor_ages(*store)),
    {"dispatcher",
     [store, registry, opts = dispatching(cfg, dir)](caf::actor_system& sys) {
       // Detached: the job store blocks on libpq.
       return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(
         dispatcher, store, std::shared_ptr<const job_registry>{registry},
         opts));
     }},
  };
  // Metrics and alerts.
  monitor_options monitoring;
  monitoring.env = env;
  monitoring.node_id = cfg.node.node_id;
  monitoring.version = LEDGERD_VERSION;
  out.push_back(monitor_child(std::move(monitoring)));
  // The provider side: token service and one actor per connection.
  for (auto& child :
       connection_children(shared_cfg, db, std::move(client), dir))
    out.push_back(std::move(child));
  // The sync side: tenant actors, outbox relay, event streams.
  for (auto& child : sync_children(env, cfg.database.url))
    out.push_back(std::move(child));
  return out;
}

/// Child names of the enabled connections' provider actors.
std::vector<std::string> connection_names(const config::node_config& cfg) {
  std::vector<std::string> out;
  for (const auto& t : cfg.tenants)
    for (const auto& c : t.connections)
      if (c.enabled)
        out.push_back(provider_child_name(t.id, config::to_string(c.provider)));
  return out;
}

supervisor_options supervision(const config::supervisor_config& cfg) {
  return {cfg.max_restarts, caf::timespan{cfg.restart_period}};
}

/// Drains the supervisor within the grace period and waits until it is gone.
void graceful_shutdown(caf::scoped_actor& self, const supervisor_actor& sup,
                       config::duration grace) {
  log::info("node", "shutting down",
            {{"grace", config::format_duration(grace)}});
  self->request(sup, grace + 1s, drain_atom_v, caf::timespan{grace})
    .receive(
      [](bool in_time) {
        if (!in_time)
          log::warn("node", "grace period over, in-flight work was cut");
      },
      [](caf::error& err) {
        log::warn("node", "drain failed", {{"error", to_string(err)}});
      });
  self->send_exit(sup, caf::exit_reason::user_shutdown);
  self->wait_for(sup);
}

/// Starts the HTTP server; false (logged) when it cannot listen.
bool start_http(http::server& server, const config::listen_address& addr) {
  try {
    server.start();
    log::info(
      "node", "listening",
      {{"url", "http://" + addr.host + ":" + std::to_string(server.port())}});
    return true;
  } catch (const std::exception& e) {
    log::error("node", "cannot listen, stopping", {{"error", e.what()}});
    return false;
  }
}

/// Waits for a signal (graceful shutdown) or the supervisor's death.
int main_loop(caf::scoped_actor& self, const supervisor_actor& sup,
              http::server& server, config::duration grace) {
  int status = exit_ok;
  bool running = true;
  self->receive_while(running)(
    [&](shutdown_atom) {
      running = false;
      server.stop(); // stop taking work first
      graceful_shutdown(self, sup, grace);
    },
    [&](const caf::down_msg& dm) {
      running = false;
      log::error("node", "supervisor stopped, stopping the node",
                 {{"reason", to_string(dm.reason)}});
      server.stop();
      status = exit_failure;
    });
  return status;
}

} // namespace

int run_node(const config::node_config& cfg) {
  signal_watcher::block();
  log::info("node", "starting",
            {{"node_id", cfg.node.node_id},
             {"version", LEDGERD_VERSION},
             {"tenants", cfg.tenants.size()}});
  auto db = make_pool(cfg.database);
  if (!apply_migrations(*db, cfg.database))
    return exit_failure;
  caf::actor_system_config caf_cfg;
  configure_actor_system(caf_cfg, cfg);
  // Declared before the actor system, so it is destroyed after it: bridge
  // actors may still hold responders into it.
  http::server_options http_opts;
  http_opts.host = cfg.node.listen.host;
  http_opts.port = cfg.node.listen.port;
  http_opts.max_body_bytes = cfg.api.max_body_bytes;
  // Shared by the children, the /v1 routes and the webhook ingest.
  auto shared_cfg = std::make_shared<const config::node_config>(cfg);
  auto env = make_sync_env(db, shared_cfg);
  // Webhooks are stored by a worker pool and handed on by the inbox relay,
  // found through the directory; declared before the server, which calls
  // into it until it stops.
  webhook_ingest_options hooks;
  hooks.cfg = shared_cfg;
  hooks.db = db;
  hooks.acquire_timeout = cfg.database.acquire_timeout;
  hooks.stored = [dir = env->dir] {
    if (auto relay = dir->get<caf::actor>(inbox_relay_name))
      caf::anon_send(relay, tick_atom_v);
  };
  webhook_ingest webhooks{hooks};
  http::server server{http_opts};
  webhooks.add_routes(server);
  // Provider requests of all connections share one client (one io thread,
  // keep-alive pools per host); it outlives the actors that use it.
  auto client = std::make_shared<http::client>();
  caf::actor_system sys{caf_cfg};
  auto children = long_lived_children(db, shared_cfg, client, env);
  std::vector<std::string> child_names;
  for (const auto& c : children)
    child_names.push_back(c.name);
  auto sup
    = sys.spawn(supervisor, std::move(children), supervision(cfg.supervisor));
  env->dir->put(supervisor_name, sup);
  caf::scoped_actor self{sys};
  self->monitor(sup);
  add_status_routes(server, {&sys, sup, cfg.node.node_id,
                             std::chrono::steady_clock::now(),
                             cfg.tenants.size(), connection_names(cfg)});
  add_console_routes(server);
  api_context api;
  api.sys = &sys;
  api.supervisor = sup;
  api.children = std::move(child_names);
  api.env = env;
  api.tokens = cfg.api.tokens;
  add_api_routes(server, std::move(api));
  add_telemetry_routes(server, {&sys, env->dir, cfg.api.tokens});
  if (cfg.api.tokens.empty())
    log::warn("node", "no [api] tokens configured: the /v1 API answers 401");
  if (!start_http(server, cfg.node.listen)) {
    self->send_exit(sup, caf::exit_reason::user_shutdown);
    self->wait_for(sup);
    return exit_failure;
  }
  signal_watcher signals{caf::actor_cast<caf::actor>(self)};
  auto status = main_loop(self, sup, server, cfg.node.shutdown_grace);
  log::info("node", "stopped", {{"status", status}});
  return status;
}

} // namespace ledgerd
