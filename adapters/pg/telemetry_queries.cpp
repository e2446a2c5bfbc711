#include "adapters/pg/telemetry_queries.hpp"

namespace ledgerd::pg {

namespace {

std::chrono::system_clock::time_point from_micros(int64_t us) {
  return std::chrono::system_clock::time_point{std::chrono::microseconds{us}};
}

} // namespace

sync_state_snapshot read_sync_state(connection& conn) {
  sync_state_snapshot out;
  auto queue
    = conn.exec("telemetry.queue", "SELECT state, priority, count(*)::bigint"
                                   " FROM ledgerd.jobs GROUP BY state, priority"
                                   " ORDER BY state, priority");
  for (int r = 0; r < queue.rows(); ++r)
    out.queue.push_back({queue.get<std::string>(r, 0), queue.get<int16_t>(r, 1),
                         queue.get<int64_t>(r, 2)});
  auto oldest = conn.exec(
    "telemetry.oldest_pending",
    "SELECT coalesce(extract(epoch FROM now() - min(run_at)), 0)::float8"
    " FROM ledgerd.jobs WHERE state = 'pending' AND run_at <= now()");
  out.oldest_pending_seconds = oldest.get<double>(0, 0);
  auto conflicts = conn.exec("telemetry.open_conflicts",
                             "SELECT tenant, count(*)::bigint"
                             " FROM ledgerd.conflicts WHERE status = 'open'"
                             " GROUP BY tenant");
  for (int r = 0; r < conflicts.rows(); ++r)
    out.open_conflicts[conflicts.get<std::string>(r, 0)]
      = conflicts.get<int64_t>(r, 1);
  auto read_only = conn.exec("telemetry.remote_read_only",
                             "SELECT tenant, count(*)::bigint"
                             " FROM ledgerd.links"
                             " WHERE read_only_reason IS NOT NULL"
                             " GROUP BY tenant");
  for (int r = 0; r < read_only.rows(); ++r)
    out.remote_read_only[read_only.get<std::string>(r, 0)]
      = read_only.get<int64_t>(r, 1);
  auto lag
    = conn.exec("telemetry.cursor_lag",
                "SELECT tenant, provider, entity,"
                " greatest(extract(epoch FROM now() - watermark), 0)::float8"
                " FROM ledgerd.cursors WHERE watermark IS NOT NULL");
  for (int r = 0; r < lag.rows(); ++r)
    out.cursor_lag[{lag.get<std::string>(r, 0), lag.get<std::string>(r, 1),
                    lag.get<std::string>(r, 2)}]
      = lag.get<double>(r, 3);
  auto last = conn.exec(
    "telemetry.last_sync",
    "SELECT tenant, (extract(epoch FROM max(finished_at)) * 1000000)::bigint"
    " FROM ledgerd.jobs_done WHERE kind = 'pull' GROUP BY tenant");
  for (int r = 0; r < last.rows(); ++r)
    out.last_sync[last.get<std::string>(r, 0)]
      = from_micros(last.get<int64_t>(r, 1));
  return out;
}

} // namespace ledgerd::pg
