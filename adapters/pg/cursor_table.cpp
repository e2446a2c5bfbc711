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
                         + " FROM ledgerd.cursors WHERE tenant = $1"
                           " AND provider = $2 AND entity = $3",
                       key.tenant, key.provider, key.entity);
  cursor_row out;
  if (res.empty())
    return out;
  out.watermark = sync_sql::opt_time(res, 0, 0);
  out.cursor = res.get_optional<std::string>(0, 1).value_or("");
  out.reconciled_at = sync_sql::opt_time(res, 0, 2);
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
