#include "adapters/pg/cursor_table.hpp"

#include "adapters/pg/sync_sql.hpp"

namespace ledgerd::pg {

namespace {

void upsert(connection& conn, const std::string& label,
            const std::string& column, const link_key& key, wall_time t) {
  sync_sql::check_entity(key.entity);
  conn.exec(label,
            "INSERT INTO ledgerd.cursors (tenant, provider, entity, " + column
              + ") VALUES ($1, $2, $3, " + sync_sql::timestamp("$4")
              + ") ON CONFLICT (tenant, provider, entity) DO UPDATE SET "
              + column + " = excluded." + column,
            key.tenant, key.provider, key.entity, sync_sql::to_micros(t));
}

} // namespace

cursor_row load_cursor(connection& conn, const link_key& key) {
  auto res = conn.exec("cursors.load",
                       "SELECT " + sync_sql::micros("watermark") + ", cursor, "
                         + sync_sql::micros("reconciled_at")
                         + ", coalesce(paused_reason, '')"
                           " FROM ledgerd.cursors WHERE tenant = $1"
                           " AND provider = $2 AND entity = $3",
                       key.tenant, key.provider, key.entity);
  cursor_row out;
  if (res.empty())
    return out;
  out.watermark = sync_sql::opt_time(res, 0, 0);
  out.cursor = res.get_optional<std::string>(0, 1).value_or("");
  out.reconciled_at = sync_sql::opt_time(res, 0, 2);
  out.paused_reason = res.get<std::string>(0, 3);
  return out;
}

bool pause_pulls(connection& conn, const link_key& key,
                 const std::string& reason) {
  sync_sql::check_entity(key.entity);
  auto res
    = conn.exec("cursors.pause",
                "INSERT INTO ledgerd.cursors AS c (tenant, provider, entity, "
                "paused_reason, paused_at) VALUES ($1, $2, $3, $4, now()) "
                "ON CONFLICT (tenant, provider, entity) DO UPDATE SET "
                "paused_reason = excluded.paused_reason, paused_at = now() "
                "WHERE c.paused_reason IS NULL RETURNING 1",
                key.tenant, key.provider, key.entity, reason);
  return res.rows() > 0;
}

resume_result resume_pulls(connection& conn, const link_key& key) {
  auto res = conn.exec("cursors.resume",
                       "UPDATE ledgerd.cursors SET paused_reason = NULL, "
                       "paused_at = NULL WHERE tenant = $1 AND provider = $2 "
                       "AND entity = $3 AND paused_reason IS NOT NULL "
                       "RETURNING 1",
                       key.tenant, key.provider, key.entity);
  resume_result out;
  out.resumed = res.rows() > 0;
  auto woken = conn.exec("cursors.wake_pulls",
                         "UPDATE ledgerd.jobs SET run_at = now() WHERE "
                         "tenant = $1 AND provider = $2 AND kind = 'pull' AND "
                         "state = 'pending' AND payload ->> 'entity' = $3 AND "
                         "run_at > now() RETURNING 1",
                         key.tenant, key.provider, key.entity);
  out.pulls_woken = woken.rows();
  return out;
}

std::vector<paused_row> list_paused(connection& conn) {
  auto res = conn.exec(
    "cursors.list_paused",
    "SELECT tenant, provider, entity, paused_reason, "
    "to_char(paused_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
    "FROM ledgerd.cursors WHERE paused_reason IS NOT NULL "
    "ORDER BY paused_at, tenant, provider, entity");
  std::vector<paused_row> out;
  for (int r = 0; r < res.rows(); ++r)
    out.push_back({res.get<std::string>(r, 0), res.get<std::string>(r, 1),
                   res.get<std::string>(r, 2), res.get<std::string>(r, 3),
                   res.get<std::string>(r, 4)});
  return out;
}

void save_watermark(connection& conn, const link_key& key,
                    wall_time watermark) {
  upsert(conn, "cursors.save_watermark", "watermark", key, watermark);
}

void save_reconciled(connection& conn, const link_key& key, wall_time at) {
  upsert(conn, "cursors.save_reconciled", "reconciled_at", key, at);
}

} // namespace ledgerd::pg
