// The monitor actor: the node's metrics and alerts. Actors flush their
// counters to it (actors/metrics_reporter.hpp); every interval it gathers
// the gauges nobody counts (queue depth, cursor lag, rate-limit buckets,
// connection states, supervisor children, pool use), keeps a short history
// for rates and charts, evaluates the [[alerts]] rules and sends their
// transitions to the alert webhook.
#pragma once

#include "actors/metrics_reporter.hpp"
#include "actors/supervisor.hpp"
#include "actors/sync_env.hpp"
#include "adapters/alerts/webhook_notifier.hpp"
#include "adapters/pg/conflict_table.hpp"
#include "adapters/pg/cursor_table.hpp"
#include "adapters/pg/job_store.hpp"
#include "adapters/pg/link_table.hpp"
#include "adapters/pg/telemetry_queries.hpp"
#include "messages/actors.hpp"
#include "state/alerts.hpp"
#include "state/metrics.hpp"

#include <caf/stateful_actor.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ledgerd {

/// Directory name of the supervisor (the monitor asks it for its children).
inline constexpr auto supervisor_name = "supervisor";

struct monitor_options {
  std::shared_ptr<const sync_env> env;
  std::string node_id;
  std::string version;
  std::chrono::system_clock::time_point started
    = std::chrono::system_clock::now();
};

struct monitor_state {
  using wall_clock = std::chrono::system_clock;

  /// Totals at one tick, for rates and the console's charts.
  struct point {
    wall_clock::time_point t;
    double api_calls = 0, records = 0, completed = 0, failed = 0;
    double pending = 0, processing = 0;
  };

  /// One [[alerts]] rule at run time.
  struct rule {
    config::alert_rule cfg;
    state::alert_tracker tracker;
    /// For window rules: the inputs at past ticks (counter totals, or a
    /// histogram's cumulative counts), oldest first.
    std::deque<std::pair<wall_clock::time_point, std::vector<double>>> past;
  };

  monitor_options opts;
  state::metric_store store;
  /// Largest mailbox reported per actor type since the last tick.
  std::map<std::string, uint64_t> mailboxes;
  // What the other actors answered last.
  std::vector<bucket_report> buckets;
  supervisor_status supervisor;
  dispatcher_status dispatcher;
  std::map<std::pair<std::string, std::string>, connection_status> connections;
  std::map<std::string, event_stream_status> streams;
  // What PostgreSQL answered last.
  pg::sync_state_snapshot db;
  std::vector<pg::job_row> failures;
  std::vector<pg::conflict_row> conflicts;
  /// The oldest records the provider refuses a change to (remote_read_only).
  std::vector<pg::read_only_row> read_only;
  /// Entities whose pulls provider drift paused.
  std::vector<pg::paused_row> paused;
  std::string db_error;
  /// One point per tick for the last hour.
  std::deque<point> totals;
  std::vector<rule> rules;
  std::unique_ptr<webhook_notifier> notifier;

  static inline const char* name = "monitor";
};

monitor_actor::behavior_type
monitor(monitor_actor::stateful_pointer<monitor_state> self,
        monitor_options opts);

/// The monitor as a supervised child, recorded in the directory.
child_spec monitor_child(monitor_options opts);

} // namespace ledgerd
