#include "adapters/pg/conflict_table.hpp"

#include "adapters/pg/sync_sql.hpp"

#include <algorithm>
#include <stdexcept>

namespace ledgerd::pg {

namespace {

using sync_sql::micros;

const std::string columns
  = "id, tenant, provider, entity, local_id, remote_id, field,"
    " base_value::text, local_value::text, remote_value::text, status,"
    " resolution, resolved_value::text, resolved_by, "
    + micros("created_at") + ", " + micros("resolved_at") + ", "
    + micros("applied_at");

conflict_row read_row(const result& res, int row) {
  auto text = [&](int col) {
    return res.get_optional<std::string>(row, col).value_or("");
  };
  auto value = [&](int col) {
    return sync_sql::opt_json(res, row, col).value_or(json{});
  };
  conflict_row out;
  out.id = res.get<int64_t>(row, 0);
  out.tenant = text(1);
  out.provider = text(2);
  out.entity = text(3);
  out.local_id = text(4);
  out.remote_id = text(5);
  out.field = text(6);
  out.base_value = sync_sql::opt_json(res, row, 7);
  out.local_value = value(8);
  out.remote_value = value(9);
  out.status = text(10);
  out.resolution = text(11);
  out.resolved_value = value(12);
  out.resolved_by = text(13);
  out.created_at = sync_sql::from_micros(res.get<int64_t>(row, 14));
  out.resolved_at = sync_sql::opt_time(res, row, 15);
  out.applied_at = sync_sql::opt_time(res, row, 16);
  return out;
}

std::vector<conflict_row> read_rows(const result& res) {
  std::vector<conflict_row> out;
  for (int row = 0; row < res.rows(); ++row)
    out.push_back(read_row(res, row));
  return out;
}

/// Locks the record's link row, if there is one; returns its held flag.
std::optional<bool> lock_link(connection& conn, const link_key& key,
                              const std::string& local_id) {
  auto res = conn.exec("conflicts.lock_link",
                       "SELECT held FROM ledgerd.links WHERE tenant = $1"
                       " AND provider = $2 AND entity = $3 AND local_id = $4"
                       " FOR UPDATE",
                       key.tenant, key.provider, key.entity, local_id);
  if (res.empty())
    return std::nullopt;
  return res.get<bool>(0, 0);
}

} // namespace

int64_t open_conflict(connection& conn, const link_key& key,
                      const std::string& local_id, const std::string& remote_id,
                      const std::string& field, const std::optional<json>& base,
                      const json& local, const json& remote) {
  sync_sql::check_entity(key.entity);
  if (field.empty())
    throw std::invalid_argument("open_conflict: field is empty");
  std::optional<std::string> base_text;
  if (base)
    base_text = base->dump();
  return sync_sql::in_transaction(conn, [&] {
    if (lock_link(conn, key, local_id) == false)
      conn.exec("conflicts.hold",
                "UPDATE ledgerd.links SET held = true WHERE tenant = $1"
                " AND provider = $2 AND entity = $3 AND local_id = $4",
                key.tenant, key.provider, key.entity, local_id);
    auto res = conn.exec(
      "conflicts.open",
      "INSERT INTO ledgerd.conflicts (tenant, provider, entity, local_id,"
      " remote_id, field, base_value, local_value, remote_value)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb)"
      " ON CONFLICT (tenant, provider, entity, local_id, field)"
      " WHERE status = 'open' DO UPDATE SET remote_id = excluded.remote_id,"
      " base_value = excluded.base_value, local_value = excluded.local_value,"
      " remote_value = excluded.remote_value RETURNING id",
      key.tenant, key.provider, key.entity, local_id,
      sync_sql::text_or_null(remote_id), field, base_text, local.dump(),
      remote.dump());
    return res.get<int64_t>(0, 0);
  });
}

std::vector<conflict_row> open_conflicts_for(connection& conn,
                                             const link_key& key,
                                             const std::string& local_id) {
  return read_rows(
    conn.exec("conflicts.open_for",
              "SELECT " + columns
                + " FROM ledgerd.conflicts WHERE tenant = $1 AND provider = $2"
                  " AND entity = $3 AND local_id = $4 AND status = 'open'"
                  " ORDER BY id",
              key.tenant, key.provider, key.entity, local_id));
}

std::vector<conflict_row> list_conflicts(connection& conn,
                                         const conflict_filter& filter) {
  return read_rows(conn.exec(
    "conflicts.list",
    "SELECT " + columns
      + " FROM ledgerd.conflicts WHERE ($1::text = '' OR tenant = $1)"
        " AND ($2::text = '' OR status = $2) AND id > $3 ORDER BY id LIMIT $4",
    filter.tenant, filter.status, filter.after_id, std::max(filter.limit, 0)));
}

std::optional<conflict_row> find_conflict(connection& conn, int64_t id,
                                          bool for_update) {
  auto res = conn.exec("conflicts.find",
                       "SELECT " + columns + " FROM ledgerd.conflicts"
                         + " WHERE id = $1" + (for_update ? " FOR UPDATE" : ""),
                       id);
  if (res.empty())
    return std::nullopt;
  return read_row(res, 0);
}

bool resolve_conflict(connection& conn, int64_t id,
                      const std::string& resolution, const json& value,
                      const std::string& by) {
  if (resolution != "local" && resolution != "remote" && resolution != "custom")
    throw std::invalid_argument("unknown resolution \"" + resolution
                                + "\" (local | remote | custom)");
  auto name = "conflict " + std::to_string(id);
  return sync_sql::in_transaction(conn, [&] {
    // The record's key never changes: read it unlocked, lock the link (lock
    // order link -> conflict), then the conflict.
    auto seen = find_conflict(conn, id);
    if (!seen)
      throw std::invalid_argument(name + " does not exist");
    link_key key{seen->tenant, seen->provider, seen->entity};
    lock_link(conn, key, seen->local_id);
    auto current = find_conflict(conn, id, true);
    if (current->status == "resolved") {
      bool same
        = current->resolution == resolution
          && (resolution != "custom" || current->resolved_value == value);
      if (same)
        return false;
      throw std::invalid_argument(name + " is already resolved");
    }
    conn.exec("conflicts.resolve",
              "UPDATE ledgerd.conflicts SET status = 'resolved',"
              " resolution = $2, resolved_value = CASE $2"
              " WHEN 'local' THEN local_value WHEN 'remote' THEN remote_value"
              " ELSE $3::jsonb END, resolved_by = $4, resolved_at = now()"
              " WHERE id = $1",
              id, resolution, value.dump(), sync_sql::text_or_null(by));
    conn.exec("conflicts.release",
              "UPDATE ledgerd.links l SET held = false WHERE l.tenant = $1"
              " AND l.provider = $2 AND l.entity = $3 AND l.local_id = $4"
              " AND l.held AND NOT EXISTS (SELECT 1 FROM ledgerd.conflicts c"
              " WHERE c.tenant = $1 AND c.provider = $2 AND c.entity = $3"
              " AND c.local_id = $4 AND c.status = 'open')",
              key.tenant, key.provider, key.entity, seen->local_id);
    return true;
  });
}

std::map<std::string, json> pending_resolutions(connection& conn,
                                                const link_key& key,
                                                const std::string& local_id) {
  auto res = conn.exec("conflicts.pending_resolutions",
                       "SELECT field, resolved_value::text"
                       " FROM ledgerd.conflicts WHERE tenant = $1"
                       " AND provider = $2 AND entity = $3 AND local_id = $4"
                       " AND status = 'resolved' AND applied_at IS NULL"
                       " ORDER BY resolved_at, id",
                       key.tenant, key.provider, key.entity, local_id);
  std::map<std::string, json> out;
  for (int row = 0; row < res.rows(); ++row)
    out[res.get<std::string>(row, 0)]
      = sync_sql::opt_json(res, row, 1).value_or(json{});
  return out;
}

void mark_resolutions_applied(connection& conn, const link_key& key,
                              const std::string& local_id) {
  conn.exec("conflicts.mark_applied",
            "UPDATE ledgerd.conflicts SET applied_at = now() WHERE tenant = $1"
            " AND provider = $2 AND entity = $3 AND local_id = $4"
            " AND status = 'resolved' AND applied_at IS NULL",
            key.tenant, key.provider, key.entity, local_id);
}

int64_t count_open_conflicts(connection& conn, const std::string& tenant) {
  auto res
    = conn.exec("conflicts.count_open",
                "SELECT count(*) FROM ledgerd.conflicts"
                " WHERE status = 'open' AND ($1::text = '' OR tenant = $1)",
                tenant);
  return res.get<int64_t>(0, 0);
}

} // namespace ledgerd::pg
