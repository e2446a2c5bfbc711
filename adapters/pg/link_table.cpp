#include "adapters/pg/link_table.hpp"

#include "adapters/pg/sync_sql.hpp"

#include <openssl/evp.h>
#include <stdexcept>

namespace ledgerd::pg {

namespace {

const std::string columns
  = "local_id, remote_id, base::text, remote_version, local_version, status,"
    " held, to_char(created_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), to_char(updated_at AT TIME ZONE"
    " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), read_only_reason, to_char("
    "read_only_since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " "
    + sync_sql::micros("base_asked_at") + ", "
    + sync_sql::micros("base_answered_at");

link_row read_row(const result& res, int row) {
  link_row out;
  out.local_id = res.get<std::string>(row, 0);
  out.remote_id = res.get_optional<std::string>(row, 1).value_or("");
  out.base = sync_sql::opt_json(res, row, 2);
  out.remote_version = res.get_optional<std::string>(row, 3).value_or("");
  out.local_version = res.get_optional<std::string>(row, 4).value_or("");
  out.status = res.get<std::string>(row, 5);
  out.held = res.get<bool>(row, 6);
  out.created_at = res.get<std::string>(row, 7);
  out.updated_at = res.get<std::string>(row, 8);
  out.read_only = res.get_optional<std::string>(row, 9).value_or("");
  out.read_only_since = res.get_optional<std::string>(row, 10).value_or("");
  out.base_read.asked_us = res.get_optional<int64_t>(row, 11).value_or(0);
  out.base_read.answered_us = res.get_optional<int64_t>(row, 12).value_or(0);
  return out;
}

std::optional<link_row> find_one(connection& conn, const link_key& key,
                                 const std::string& column,
                                 const std::string& value, bool for_update) {
  sync_sql::check_entity(key.entity);
  auto res = conn.exec("links.find_by_" + column,
                       "SELECT " + columns
                         + " FROM ledgerd.links WHERE tenant = $1"
                           " AND provider = $2 AND entity = $3 AND "
                         + column + " = $4" + (for_update ? " FOR UPDATE" : ""),
                       key.tenant, key.provider, key.entity, value);
  if (res.empty())
    return std::nullopt;
  return read_row(res, 0);
}

/// Text array parameter as a JSON array: no array-literal quoting rules.
std::string json_array(const std::vector<std::string>& xs) {
  return json(xs).dump();
}

} // namespace

std::string base_hash(const json& base) {
  auto text = base.dump();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr)
      != 1)
    throw std::runtime_error("cannot compute SHA-256 of a link base");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

std::optional<link_row> find_link_by_local(connection& conn,
                                           const link_key& key,
                                           const std::string& local_id,
                                           bool for_update) {
  return find_one(conn, key, "local_id", local_id, for_update);
}

std::optional<link_row> find_link_by_remote(connection& conn,
                                            const link_key& key,
                                            const std::string& remote_id,
                                            bool for_update) {
  if (remote_id.empty())
    return std::nullopt;
  return find_one(conn, key, "remote_id", remote_id, for_update);
}

void save_link(connection& conn, const link_key& key, const link_row& row) {
  sync_sql::check_entity(key.entity);
  if (row.local_id.empty())
    throw std::invalid_argument("save_link: local_id is empty");
  if ((row.status == "in_doubt") != row.remote_id.empty())
    throw std::invalid_argument(
      "save_link: remote_id must be empty exactly when status is in_doubt"
      " (local id "
      + row.local_id + ", status " + row.status + ")");
  std::optional<std::string> base, hash;
  if (row.base) {
    base = row.base->dump();
    hash = base_hash(*row.base);
  }
  // A new link is held when the record already waits on open conflicts.
  conn.exec(
    "links.save",
    "INSERT INTO ledgerd.links (tenant, provider, entity, local_id, remote_id,"
    " base, base_hash, remote_version, local_version, status, held,"
    " read_only_reason, read_only_since, base_asked_at, base_answered_at)"
    " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10,"
    " EXISTS (SELECT 1 FROM ledgerd.conflicts c WHERE c.tenant = $1"
    " AND c.provider = $2 AND c.entity = $3 AND c.local_id = $4"
    " AND c.status = 'open'), $11::text, CASE WHEN $11::text IS NULL THEN NULL"
    " ELSE now() END, CASE WHEN $12::bigint = 0 THEN NULL ELSE "
      + sync_sql::timestamp("$12")
      + " END, CASE WHEN $12::bigint = 0 THEN NULL ELSE "
      + sync_sql::timestamp("$13")
      + " END)"
        " ON CONFLICT (tenant, provider, entity, local_id) DO UPDATE SET"
        // A read of another remote record says nothing of this one.
        " read_after = CASE WHEN links.remote_id IS NOT DISTINCT FROM"
        " excluded.remote_id THEN links.read_after END,"
        // Given no read, the stored one stays while its base does.
        " base_asked_at = CASE WHEN excluded.base_asked_at IS NOT NULL THEN"
        " excluded.base_asked_at WHEN links.remote_id IS NOT DISTINCT FROM"
        " excluded.remote_id AND links.base IS NOT DISTINCT FROM excluded.base"
        " THEN links.base_asked_at END,"
        " base_answered_at = CASE WHEN excluded.base_asked_at IS NOT NULL THEN"
        " excluded.base_answered_at WHEN links.remote_id IS NOT DISTINCT FROM"
        " excluded.remote_id AND links.base IS NOT DISTINCT FROM excluded.base"
        " THEN links.base_answered_at END,"
        " remote_id = excluded.remote_id, base = excluded.base,"
        " base_hash = excluded.base_hash, remote_version = "
        "excluded.remote_version,"
        " local_version = excluded.local_version, status = excluded.status,"
        " read_only_reason = excluded.read_only_reason,"
        // Since when: kept while the record stays read-only.
        " read_only_since = CASE WHEN excluded.read_only_reason IS NULL THEN "
        "NULL"
        " ELSE coalesce(links.read_only_since, now()) END",
    key.tenant, key.provider, key.entity, row.local_id,
    sync_sql::text_or_null(row.remote_id), base, hash,
    sync_sql::text_or_null(row.remote_version),
    sync_sql::text_or_null(row.local_version), row.status,
    sync_sql::text_or_null(row.read_only),
    row.base_read.known() ? row.base_read.asked_us : int64_t{0},
    row.base_read.answered_us);
}

void mark_in_doubt(connection& conn, const link_key& key,
                   const std::string& local_id, const json& sent) {
  sync_sql::check_entity(key.entity);
  conn.exec("links.mark_in_doubt",
            "INSERT INTO ledgerd.links (tenant, provider, entity, local_id,"
            " remote_id, base, base_hash, status, held)"
            " VALUES ($1, $2, $3, $4, NULL, $5::jsonb, $6, 'in_doubt',"
            " EXISTS (SELECT 1 FROM ledgerd.conflicts c WHERE c.tenant = $1"
            " AND c.provider = $2 AND c.entity = $3 AND c.local_id = $4"
            " AND c.status = 'open'))"
            " ON CONFLICT (tenant, provider, entity, local_id) DO UPDATE SET"
            " base = excluded.base, base_hash = excluded.base_hash,"
            " updated_at = now() WHERE links.status = 'in_doubt'",
            key.tenant, key.provider, key.entity, local_id, sent.dump(),
            base_hash(sent));
}

void delete_link(connection& conn, const link_key& key,
                 const std::string& local_id) {
  conn.exec("links.delete",
            "DELETE FROM ledgerd.links WHERE tenant = $1 AND provider = $2"
            " AND entity = $3 AND local_id = $4",
            key.tenant, key.provider, key.entity, local_id);
}

std::vector<read_only_row> list_read_only(connection& conn,
                                          const std::string& tenant,
                                          const std::string& after, int limit) {
  auto bar = after.find('|');
  auto since = bar == std::string::npos ? std::string{} : after.substr(0, bar);
  auto local = bar == std::string::npos ? std::string{} : after.substr(bar + 1);
  auto res = conn.exec(
    "links.list_read_only",
    "SELECT tenant, provider, entity, local_id, coalesce(remote_id, ''),"
    " read_only_reason, to_char(read_only_since AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM ledgerd.links"
    " WHERE read_only_reason IS NOT NULL AND ($1::text = '' OR tenant = $1)"
    " AND ($2::text = '' OR (read_only_since, local_id)"
    " > ($2::timestamptz, $3::text))"
    " ORDER BY read_only_since, local_id LIMIT $4",
    tenant, since, local, limit);
  std::vector<read_only_row> out;
  for (int row = 0; row < res.rows(); ++row)
    out.push_back({res.get<std::string>(row, 0), res.get<std::string>(row, 1),
                   res.get<std::string>(row, 2), res.get<std::string>(row, 3),
                   res.get<std::string>(row, 4), res.get<std::string>(row, 5),
                   res.get<std::string>(row, 6)});
  return out;
}

int64_t count_read_only(connection& conn, const std::string& tenant) {
  auto res = conn.exec("links.count_read_only",
                       "SELECT count(*) FROM ledgerd.links"
                       " WHERE read_only_reason IS NOT NULL AND tenant = $1",
                       tenant);
  return res.get<int64_t>(0, 0);
}

std::map<std::string, std::string> linked_remote_ids(connection& conn,
                                                     const link_key& key) {
  auto res = conn.exec("links.linked_remote_ids",
                       "SELECT remote_id, local_id FROM ledgerd.links"
                       " WHERE tenant = $1 AND provider = $2 AND entity = $3"
                       " AND status = 'linked'",
                       key.tenant, key.provider, key.entity);
  std::map<std::string, std::string> out;
  for (int row = 0; row < res.rows(); ++row)
    out.emplace(res.get<std::string>(row, 0), res.get<std::string>(row, 1));
  return out;
}

std::map<std::string, std::string>
local_ids_for_remote(connection& conn, const link_key& key,
                     const std::vector<std::string>& remote_ids) {
  std::map<std::string, std::string> out;
  if (remote_ids.empty())
    return out;
  auto res = conn.exec(
    "links.local_ids_for_remote",
    "SELECT remote_id, local_id FROM ledgerd.links"
    " WHERE tenant = $1 AND provider = $2 AND entity = $3 AND remote_id IN"
    " (SELECT jsonb_array_elements_text($4::jsonb))",
    key.tenant, key.provider, key.entity, json_array(remote_ids));
  for (int row = 0; row < res.rows(); ++row)
    out.emplace(res.get<std::string>(row, 0), res.get<std::string>(row, 1));
  return out;
}

void note_reads(
  connection& conn, const link_key& key,
  const std::map<std::string, std::chrono::system_clock::time_point>& reads) {
  if (reads.empty())
    return;
  sync_sql::check_entity(key.entity);
  json rows = json::object();
  for (const auto& [remote_id, after] : reads)
    rows[remote_id] = sync_sql::to_micros(after);
  conn.exec("links.note_reads",
            "UPDATE ledgerd.links SET read_after = "
              + sync_sql::timestamp("r.value::text")
              + " FROM jsonb_each($4::jsonb) r"
                " WHERE tenant = $1 AND provider = $2 AND entity = $3"
                " AND remote_id = r.key",
            key.tenant, key.provider, key.entity, rows.dump());
}

std::map<std::string, std::chrono::system_clock::time_point>
reads_after(connection& conn, const link_key& key,
            const std::vector<std::string>& remote_ids) {
  std::map<std::string, std::chrono::system_clock::time_point> out;
  if (remote_ids.empty())
    return out;
  sync_sql::check_entity(key.entity);
  auto res = conn.exec(
    "links.reads_after",
    "SELECT remote_id, " + sync_sql::micros("read_after")
      + " FROM ledgerd.links WHERE tenant = $1 AND provider = $2"
        " AND entity = $3 AND status = 'linked' AND read_after IS NOT NULL"
        " AND remote_id IN (SELECT jsonb_array_elements_text($4::jsonb))",
    key.tenant, key.provider, key.entity, json_array(remote_ids));
  for (int row = 0; row < res.rows(); ++row)
    if (auto t = sync_sql::opt_time(res, row, 1))
      out.emplace(res.get<std::string>(row, 0), *t);
  return out;
}

} // namespace ledgerd::pg
