#include "actors/monitor.hpp"

#include "actors/connections.hpp"
#include "adapters/log.hpp"
#include "state/iso_time.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace ledgerd {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using self_ptr = monitor_actor::stateful_pointer<monitor_state>;
using wall_clock = std::chrono::system_clock;
using label_map = std::map<std::string, std::string>;

/// How long the monitor waits for another actor's answer.
constexpr auto ask_timeout = 2s;
/// The console's history: one point every 5 s for 10 minutes.
constexpr auto history_step = 5s;
constexpr auto history_span = 10min;

double seconds(wall_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

json iso(std::optional<wall_clock::time_point> t) {
  if (!t)
    return nullptr;
  return state::format_iso_utc(std::chrono::floor<std::chrono::seconds>(*t));
}

label_map
to_label_map(const std::map<std::string, std::string, std::less<>>& x) {
  return {x.begin(), x.end()};
}

// -- gathering ----------------------------------------------------------------

void read_database(self_ptr self) {
  auto& st = self->state;
  const auto& env = *st.opts.env;
  try {
    {
      auto conn = env.db->acquire(env.acquire_timeout);
      st.db = pg::read_sync_state(*conn);
      st.conflicts = pg::list_conflicts(*conn, {"", "open", 0, 50});
      st.read_only = pg::list_read_only(*conn, "", "", 50);
      st.paused = pg::list_paused(*conn);
    }
    pg::job_filter failed;
    failed.state = "failed";
    failed.limit = 20;
    st.failures = env.jobs->list(failed);
    st.db_error.clear();
  } catch (const std::exception& e) {
    if (st.db_error.empty())
      log::warn("monitor", "cannot read the sync state", {{"error", e.what()}});
    st.db_error = e.what();
  }
}

// Asks the other actors for their state; their answers land in the state
// and are used from the next tick on (no tick waits for anyone).
void ask_actors(self_ptr self) {
  auto& st = self->state;
  const auto& env = *st.opts.env;
  if (auto lim = env.dir->get<rate_limiter_actor>(limiter_name))
    self->request(lim, ask_timeout, caf::get_atom_v)
      .then([self](std::vector<bucket_report>& xs) {
        self->state.buckets = std::move(xs);
      });
  for (const auto& t : env.cfg->tenants)
    for (const auto& c : t.connections) {
      if (!c.enabled)
        continue;
      auto provider = std::string{config::to_string(c.provider)};
      auto key = std::pair{t.id, provider};
      auto hdl = env.provider(t.id, provider);
      if (!hdl) {
        st.connections.erase(key);
        continue;
      }
      self->request(hdl, ask_timeout, caf::get_atom_v)
        .then(
          [self, key](connection_status& s) {
            self->state.connections[key] = std::move(s);
          },
          [self, key](caf::error&) {
            self->state.connections.erase(key);
          });
    }
  auto sup = env.dir->get<supervisor_actor>(supervisor_name);
  if (!sup)
    return;
  self->request(sup, ask_timeout, health_atom_v)
    .then([self, sup](supervisor_status& s) {
      for (const auto& name : s.running) {
        bool stream = name.starts_with("event_stream/");
        if (!stream && name != "dispatcher")
          continue;
        self->request(sup, ask_timeout, caf::get_atom_v, name)
          .then([self, name, stream](const caf::actor& child) {
            if (stream)
              self
                ->request(caf::actor_cast<event_stream_actor>(child),
                          ask_timeout, caf::get_atom_v)
                .then([self, name](event_stream_status& es) {
                  self->state.streams[name] = std::move(es);
                });
            else
              self
                ->request(caf::actor_cast<dispatcher_actor>(child), ask_timeout,
                          health_atom_v)
                .then([self](dispatcher_status& d) {
                  self->state.dispatcher = d;
                });
          });
      }
      self->state.supervisor = std::move(s);
    });
}

// -- gauges -------------------------------------------------------------------

void set_queue_gauges(monitor_state& st) {
  st.store.clear("ledgerd_jobs");
  for (const auto& q : st.db.queue)
    st.store.set("ledgerd_jobs", {q.state, std::to_string(q.priority)},
                 static_cast<double>(q.jobs));
  st.store.set("ledgerd_jobs_oldest_pending_seconds", {},
               st.db.oldest_pending_seconds);
  st.store.clear("ledgerd_sync_lag_seconds");
  for (const auto& [key, lag] : st.db.cursor_lag) {
    const auto& [tenant, provider, entity] = key;
    st.store.set("ledgerd_sync_lag_seconds", {tenant, provider, entity}, lag);
  }
  st.store.clear("ledgerd_conflicts_open");
  for (const auto& t : st.opts.env->cfg->tenants) {
    auto i = st.db.open_conflicts.find(t.id);
    st.store.set(
      "ledgerd_conflicts_open", {t.id},
      i == st.db.open_conflicts.end() ? 0.0 : static_cast<double>(i->second));
  }
  // Every connection's entities: 0 while they run, so an alert resolves.
  st.store.clear("ledgerd_sync_paused");
  for (const auto& t : st.opts.env->cfg->tenants)
    for (const auto& c : t.connections)
      for (const auto* entity : {"customer", "invoice"})
        st.store.set("ledgerd_sync_paused",
                     {t.id, std::string{to_string(c.provider)}, entity}, 0.0);
  for (const auto& p : st.paused)
    st.store.set("ledgerd_sync_paused", {p.tenant, p.provider, p.entity}, 1.0);
  st.store.clear("ledgerd_records_remote_read_only");
  for (const auto& t : st.opts.env->cfg->tenants) {
    auto i = st.db.remote_read_only.find(t.id);
    st.store.set(
      "ledgerd_records_remote_read_only", {t.id},
      i == st.db.remote_read_only.end() ? 0.0 : static_cast<double>(i->second));
  }
}

/// A bucket's limit scaled to a minute and its waiting requests.
struct bucket_figures {
  double limit_per_minute = 0;
  uint64_t waiting = 0;
};

bucket_figures figures_of(const bucket_report& b) {
  bucket_figures out;
  auto window = std::chrono::duration<double>(b.window).count();
  if (window > 0)
    out.limit_per_minute = static_cast<double>(b.limit) * 60 / window;
  for (auto w : b.waiters)
    out.waiting += w;
  return out;
}

void set_bucket_gauges(monitor_state& st) {
  for (auto name : {"ledgerd_rate_limit_requests_per_minute",
                    "ledgerd_rate_limit_limit_per_minute",
                    "ledgerd_rate_limit_waiting_requests",
                    "ledgerd_rate_limit_throttled_total"})
    st.store.clear(name);
  for (const auto& b : st.buckets) {
    auto f = figures_of(b);
    st.store.set("ledgerd_rate_limit_requests_per_minute", {b.key},
                 static_cast<double>(b.grants_last_minute));
    st.store.set("ledgerd_rate_limit_limit_per_minute", {b.key},
                 f.limit_per_minute);
    st.store.set("ledgerd_rate_limit_waiting_requests", {b.key},
                 static_cast<double>(f.waiting));
    st.store.set("ledgerd_rate_limit_throttled_total", {b.key},
                 static_cast<double>(b.throttled));
  }
}

/// The state shown for a connection: its actor's, or "unavailable".
std::string connection_state(const monitor_state& st, const std::string& tenant,
                             const std::string& provider) {
  auto i = st.connections.find({tenant, provider});
  return i == st.connections.end() ? "unavailable" : i->second.state;
}

void set_actor_gauges(monitor_state& st) {
  st.store.clear("ledgerd_connections");
  std::map<std::string, double> by_state{
    {"ok", 0}, {"refreshing", 0}, {"needs_reauth", 0}, {"unavailable", 0}};
  for (const auto& t : st.opts.env->cfg->tenants)
    for (const auto& c : t.connections)
      if (c.enabled)
        by_state[connection_state(st, t.id,
                                  std::string{config::to_string(c.provider)})]
          += 1;
  for (const auto& [state, n] : by_state)
    st.store.set("ledgerd_connections", {state}, n);
  // Actor counts: the supervisor's running children by type (the name up
  // to the first '/'), plus the job actors the dispatcher runs.
  std::map<std::string, double> types;
  for (const auto& name : st.supervisor.running)
    types[name.substr(0, name.find('/'))] += 1;
  types["job"] = static_cast<double>(st.dispatcher.running);
  st.store.clear("ledgerd_actors");
  for (const auto& [type, n] : types)
    st.store.set("ledgerd_actors", {type}, n);
  for (const auto& [type, n] : st.mailboxes)
    st.store.set("ledgerd_actor_mailbox_messages", {type},
                 static_cast<double>(n));
  st.mailboxes.clear();
  for (const auto& [child, n] : st.supervisor.child_restarts)
    st.store.set("ledgerd_supervisor_restarts_total", {child},
                 static_cast<double>(n));
  auto now = caf::make_timestamp();
  for (const auto& [name, s] : st.streams) {
    auto key = name.substr(std::string_view{"event_stream/"}.size());
    st.store.set("ledgerd_event_stream_up", {key},
                 s.state == "subscribed" ? 1 : 0);
    st.store.set("ledgerd_event_stream_events_total", {key},
                 static_cast<double>(s.events));
    if (s.last_activity != caf::timestamp{})
      st.store.set(
        "ledgerd_event_stream_lag_seconds", {key},
        std::chrono::duration<double>(now - s.last_activity).count());
  }
}

void set_node_gauges(monitor_state& st, wall_clock::time_point now) {
  auto pool = st.opts.env->db->stats();
  st.store.set("ledgerd_db_pool_connections", {"idle"},
               static_cast<double>(pool.idle));
  st.store.set("ledgerd_db_pool_connections", {"in_use"},
               static_cast<double>(pool.in_use));
  st.store.set("ledgerd_db_pool_max_connections", {},
               static_cast<double>(pool.max_size));
  st.store.set("ledgerd_db_pool_waiting_threads", {},
               static_cast<double>(pool.waiters));
  st.store.set("ledgerd_uptime_seconds", {}, seconds(now - st.opts.started));
}

// -- history ------------------------------------------------------------------

double queue_count(const monitor_state& st, std::string_view state) {
  double n = 0;
  for (const auto& q : st.db.queue)
    if (q.state == state)
      n += static_cast<double>(q.jobs);
  return n;
}

void record_point(monitor_state& st, wall_clock::time_point now) {
  monitor_state::point p;
  p.t = now;
  p.api_calls = st.store.sum("ledgerd_provider_requests_total");
  p.records = st.store.sum("ledgerd_records_synced_total");
  p.completed
    = st.store.sum("ledgerd_jobs_finished_total", {{"outcome", "completed"}});
  p.failed
    = st.store.sum("ledgerd_jobs_finished_total", {{"outcome", "failed"}});
  p.pending = queue_count(st, "pending");
  p.processing = queue_count(st, "processing");
  st.totals.push_back(p);
  while (st.totals.size() > 2 && now - st.totals[1].t >= 1h)
    st.totals.pop_front();
  auto hour_ago = st.totals.front();
  st.store.set("ledgerd_records_synced_last_hour", {},
               p.records - hour_ago.records);
}

/// The point closest to `span` before the latest (the oldest one if the
/// history is shorter).
const monitor_state::point& point_before(const monitor_state& st,
                                         wall_clock::duration span) {
  auto target = st.totals.back().t - span;
  for (auto i = st.totals.rbegin(); i != st.totals.rend(); ++i)
    if (i->t <= target)
      return *i;
  return st.totals.front();
}

// -- alerts -------------------------------------------------------------------

/// The rule's value now: a gauge's or counter's current value, a counter's
/// increase over the window (or the share matching ratio_of), or a
/// histogram's quantile over the window.
double measure(monitor_state& st, monitor_state::rule& r,
               wall_clock::time_point now) {
  const auto& cfg = r.cfg;
  auto where = to_label_map(cfg.labels);
  const auto* family = state::find_metric(cfg.metric);
  if (family == nullptr)
    return 0;
  if (cfg.window == config::duration::zero())
    return st.store.sum(cfg.metric, where, cfg.aggregate_max);
  std::vector<double> inputs;
  if (family->type == state::metric_type::histogram) {
    for (auto n : st.store.histogram_totals(cfg.metric, where))
      inputs.push_back(static_cast<double>(n));
  } else {
    inputs.push_back(st.store.sum(cfg.metric, where));
    if (!cfg.ratio_of.empty()) {
      auto both = where;
      for (const auto& [k, v] : cfg.ratio_of)
        both[k] = v;
      inputs.push_back(st.store.sum(cfg.metric, both));
    }
  }
  r.past.emplace_back(now, inputs);
  while (r.past.size() > 2 && now - r.past[1].first >= cfg.window)
    r.past.pop_front();
  const auto& old = r.past.front().second;
  auto delta = [&](size_t i) {
    return i < old.size() ? inputs[i] - old[i] : inputs[i];
  };
  if (family->type == state::metric_type::histogram) {
    std::vector<uint64_t> counts;
    for (size_t i = 0; i < inputs.size(); ++i)
      counts.push_back(static_cast<uint64_t>(std::max(delta(i), 0.0)));
    return state::histogram_quantile(*cfg.quantile, family->buckets, counts);
  }
  if (cfg.ratio_of.empty())
    return delta(0);
  auto total = delta(0);
  return total > 0 ? delta(1) / total : 0;
}

json alert_json(const monitor_state& st, const monitor_state::rule& r) {
  const auto& cfg = r.cfg;
  return {{"rule", cfg.name},
          {"metric", cfg.metric},
          {"severity", config::to_string(cfg.severity)},
          {"state", r.tracker.firing() ? "firing" : "resolved"},
          {"value", r.tracker.last_value()},
          {"threshold", cfg.threshold},
          {"since", iso(r.tracker.firing_since())},
          {"summary", cfg.metric + " = " + json(r.tracker.last_value()).dump()
                        + (r.tracker.firing() ? " (firing)" : " (resolved)")},
          {"node", st.opts.node_id}};
}

void evaluate_alerts(monitor_state& st, wall_clock::time_point now) {
  for (auto& r : st.rules) {
    auto value = measure(st, r, now);
    auto change = r.tracker.update(r.cfg.holds(value), value, now);
    st.store.set("ledgerd_alerts_firing", {r.cfg.name},
                 r.tracker.firing() ? 1 : 0);
    if (!change)
      continue;
    auto body = alert_json(st, r);
    body["at"] = iso(now);
    if (change->kind == state::alert_transition::fired)
      log::warn(
        "monitor", "alert firing",
        {{"rule", r.cfg.name}, {"metric", r.cfg.metric}, {"value", value}});
    else
      log::info(
        "monitor", "alert resolved",
        {{"rule", r.cfg.name}, {"metric", r.cfg.metric}, {"value", value}});
    if (st.notifier)
      st.notifier->post(body.dump());
  }
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  auto now = st.opts.env->now();
  read_database(self);
  set_queue_gauges(st);
  set_bucket_gauges(st);
  set_actor_gauges(st);
  set_node_gauges(st, now);
  record_point(st, now);
  evaluate_alerts(st, now);
  ask_actors(self);
  self->delayed_send(self, st.opts.env->cfg->monitor.interval, tick_atom_v);
}

void on_report(self_ptr self, const metric_report& r) {
  auto& st = self->state;
  for (const auto& s : r.samples)
    if (!st.store.apply(s))
      st.store.apply({"ledgerd_metric_samples_rejected_total", {}, 1, {}});
  if (!r.actor_type.empty()) {
    auto& m = st.mailboxes[r.actor_type];
    m = std::max(m, r.mailbox);
  }
}

} // namespace

// -- telemetry ----------------------------------------------------------------

namespace {

json tenants_json(const monitor_state& st) {
  auto out = json::array();
  for (const auto& t : st.opts.env->cfg->tenants)
    for (const auto& c : t.connections) {
      if (!c.enabled)
        continue;
      auto provider = std::string{config::to_string(c.provider)};
      auto state = connection_state(st, t.id, provider);
      json reason = nullptr;
      if (auto i = st.connections.find({t.id, provider});
          i != st.connections.end() && !i->second.reason.empty())
        reason = i->second.reason;
      // The connection's worst entity; the map is ordered by tenant and
      // provider, so this reads only its own entries.
      json lag = nullptr;
      for (auto i = st.db.cursor_lag.lower_bound({t.id, provider, ""});
           i != st.db.cursor_lag.end() && std::get<0>(i->first) == t.id
           && std::get<1>(i->first) == provider;
           ++i)
        lag
          = lag.is_null() ? i->second : std::max(lag.get<double>(), i->second);
      std::optional<wall_clock::time_point> last;
      if (auto i = st.db.last_sync.find(t.id); i != st.db.last_sync.end())
        last = i->second;
      auto conflicts = st.db.open_conflicts.find(t.id);
      auto read_only = st.db.remote_read_only.find(t.id);
      out.push_back(
        {{"tenant", t.id},
         {"provider", provider},
         {"state", state},
         {"reason", reason},
         {"needs_reauth", state == "needs_reauth"},
         {"last_sync", iso(last)},
         {"cursor_lag_seconds", lag},
         {"open_conflicts",
          conflicts == st.db.open_conflicts.end() ? 0 : conflicts->second},
         {"remote_read_only",
          read_only == st.db.remote_read_only.end() ? 0 : read_only->second}});
    }
  return out;
}

json rate_limits_json(const monitor_state& st) {
  auto out = json::array();
  for (const auto& b : st.buckets) {
    auto f = figures_of(b);
    out.push_back({{"bucket", b.key},
                   {"used_per_minute", b.grants_last_minute},
                   {"limit_per_minute", f.limit_per_minute},
                   {"in_flight", b.in_flight},
                   {"waiting", f.waiting},
                   {"throttled_total", b.throttled}});
  }
  return out;
}

json queue_json(const monitor_state& st) {
  auto rows = json::array();
  for (const auto& q : st.db.queue)
    rows.push_back(
      {{"state", q.state}, {"priority", q.priority}, {"jobs", q.jobs}});
  return {{"pending", queue_count(st, "pending")},
          {"processing", queue_count(st, "processing")},
          {"failed", queue_count(st, "failed")},
          {"completed", st.store.sum("ledgerd_jobs_finished_total",
                                     {{"outcome", "completed"}})},
          {"by_state_priority", std::move(rows)},
          {"oldest_pending_seconds", st.db.oldest_pending_seconds}};
}

/// Per-second rate of `field` over the last `span`.
double rate(const monitor_state& st, double monitor_state::point::*field,
            wall_clock::duration span) {
  if (st.totals.size() < 2)
    return 0;
  const auto& old = point_before(st, span);
  const auto& now = st.totals.back();
  auto dt = seconds(now.t - old.t);
  return dt > 0 ? (now.*field - old.*field) / dt : 0;
}

json throughput_json(const monitor_state& st) {
  using point = monitor_state::point;
  const auto* family = state::find_metric("ledgerd_job_duration_seconds");
  return {{"jobs_completed_per_second", rate(st, &point::completed, 10s)},
          {"jobs_failed_per_second", rate(st, &point::failed, 10s)},
          {"api_calls_per_second", rate(st, &point::api_calls, 10s)},
          {"records_synced_last_hour",
           st.store.value("ledgerd_records_synced_last_hour", {})},
          {"sync_p95_seconds",
           state::histogram_quantile(
             0.95, family->buckets,
             st.store.histogram_totals("ledgerd_job_duration_seconds"))}};
}

json history_json(const monitor_state& st) {
  using point = monitor_state::point;
  auto out = json::array();
  if (st.totals.empty())
    return out;
  auto end = st.totals.back().t;
  std::optional<wall_clock::time_point> last;
  const point* prev = nullptr;
  for (const auto& p : st.totals) {
    if (end - p.t > history_span)
      continue;
    if (last && p.t - *last < history_step)
      continue;
    auto dt = prev ? seconds(p.t - prev->t) : 0.0;
    auto per_s = [&](double point::*f) {
      return prev && dt > 0 ? (p.*f - prev->*f) / dt : 0.0;
    };
    out.push_back({{"t", std::chrono::duration_cast<std::chrono::seconds>(
                           p.t.time_since_epoch())
                           .count()},
                   {"pending", p.pending},
                   {"processing", p.processing},
                   {"completed_per_second", per_s(&point::completed)},
                   {"failed_per_second", per_s(&point::failed)},
                   {"api_calls_per_second", per_s(&point::api_calls)}});
    last = p.t;
    prev = &p;
  }
  return out;
}

json actors_json(const monitor_state& st) {
  std::map<std::string, uint64_t> counts;
  for (const auto& name : st.supervisor.running)
    ++counts[name.substr(0, name.find('/'))];
  counts["job"] = st.dispatcher.running;
  auto out = json::array();
  for (const auto& [type, n] : counts)
    out.push_back({{"type", type},
                   {"count", n},
                   {"mailbox_max",
                    st.store.value("ledgerd_actor_mailbox_messages", {type})}});
  return out;
}

json supervisor_json(const monitor_state& st) {
  auto children = json::array();
  for (const auto& name : st.supervisor.running) {
    auto i = st.supervisor.child_restarts.find(name);
    children.push_back(
      {{"name", name},
       {"running", true},
       {"restarts", i == st.supervisor.child_restarts.end() ? 0 : i->second}});
  }
  return {{"restarts", st.supervisor.restarts},
          {"children", std::move(children)}};
}

json failures_json(const monitor_state& st) {
  auto out = json::array();
  for (const auto& j : st.failures)
    out.push_back({{"job_id", j.id},
                   {"tenant", j.tenant},
                   {"provider", j.provider},
                   {"kind", j.kind},
                   {"error", j.last_error},
                   {"finished_at", iso(j.finished_at)}});
  return out;
}

json conflicts_json(const monitor_state& st) {
  auto out = json::array();
  for (const auto& c : st.conflicts)
    out.push_back({{"id", c.id},
                   {"tenant", c.tenant},
                   {"provider", c.provider},
                   {"entity", c.entity},
                   {"local_id", c.local_id},
                   {"field", c.field},
                   {"local_value", c.local_value},
                   {"remote_value", c.remote_value},
                   {"created_at", iso(c.created_at)}});
  return out;
}

json read_only_json(const monitor_state& st) {
  auto out = json::array();
  for (const auto& r : st.read_only)
    out.push_back({{"tenant", r.tenant},
                   {"provider", r.provider},
                   {"entity", r.entity},
                   {"local_id", r.local_id},
                   {"remote_id", r.remote_id},
                   {"reason", r.reason},
                   {"since", r.since}});
  return out;
}

json paused_json(const monitor_state& st) {
  auto out = json::array();
  for (const auto& p : st.paused)
    out.push_back({{"tenant", p.tenant},
                   {"provider", p.provider},
                   {"entity", p.entity},
                   {"reason", p.reason},
                   {"since", p.since}});
  return out;
}

json alerts_json(const monitor_state& st) {
  auto out = json::array();
  for (const auto& r : st.rules)
    if (r.tracker.firing())
      out.push_back(alert_json(st, r));
  return out;
}

json totals_json(const monitor_state& st) {
  return {{"api_calls", st.store.sum("ledgerd_provider_requests_total")},
          {"api_429", st.store.sum("ledgerd_provider_requests_total",
                                   {{"status", "429"}})},
          {"records_synced", st.store.sum("ledgerd_records_synced_total")},
          {"jobs_completed", st.store.sum("ledgerd_jobs_finished_total",
                                          {{"outcome", "completed"}})},
          {"jobs_failed", st.store.sum("ledgerd_jobs_finished_total",
                                       {{"outcome", "failed"}})}};
}

std::string telemetry(const monitor_state& st) {
  auto now = st.opts.env->now();
  json out{{"time", iso(now)},
           {"node",
            {{"id", st.opts.node_id},
             {"version", st.opts.version},
             {"uptime_seconds", seconds(now - st.opts.started)}}},
           {"tenants", tenants_json(st)},
           {"rate_limits", rate_limits_json(st)},
           {"queue", queue_json(st)},
           {"throughput", throughput_json(st)},
           {"history", history_json(st)},
           {"actors", actors_json(st)},
           {"supervisor", supervisor_json(st)},
           {"failures", failures_json(st)},
           {"conflicts", conflicts_json(st)},
           {"read_only", read_only_json(st)},
           {"paused", paused_json(st)},
           {"alerts", alerts_json(st)},
           {"totals", totals_json(st)}};
  if (!st.db_error.empty())
    out["database_error"] = st.db_error;
  return out.dump();
}

} // namespace

monitor_actor::behavior_type
monitor(monitor_actor::stateful_pointer<monitor_state> self,
        monitor_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  const auto& cfg = *st.opts.env->cfg;
  for (const auto& rule : cfg.alerts)
    st.rules.push_back(
      {rule,
       state::alert_tracker{
         std::chrono::duration_cast<wall_clock::duration>(rule.for_duration)},
       {}});
  if (!cfg.monitor.alert_webhook.empty()) {
    webhook_notifier_options n;
    n.url = cfg.monitor.alert_webhook;
    n.attempts = cfg.monitor.alert_webhook_attempts;
    n.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      cfg.monitor.alert_webhook_timeout);
    st.notifier = std::make_unique<webhook_notifier>(std::move(n));
  }
  self->send(self, tick_atom_v);
  return {
    [self](const metric_report& r) {
      on_report(self, r);
    },
    [self](tick_atom) {
      on_tick(self);
    },
    [self](metrics_atom) {
      return self->state.store.prometheus_text();
    },
    [self](telemetry_atom) {
      return telemetry(self->state);
    },
    [](drain_atom) {
      // Notifications are queued on the notifier's thread; its destructor
      // gives up on what is left when the monitor stops.
      return true;
    },
  };
}

child_spec monitor_child(monitor_options opts) {
  return {"monitor", [opts](caf::actor_system& sys) {
            // Detached: it reads PostgreSQL every interval.
            auto hdl = sys.spawn<caf::detached>(monitor, opts);
            opts.env->dir->put(monitor_name, hdl);
            return caf::actor_cast<caf::actor>(hdl);
          }};
}

} // namespace ledgerd
