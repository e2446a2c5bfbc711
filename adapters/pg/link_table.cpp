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
    " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

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
    " base, base_hash, remote_version, local_version, status, held)"
    " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10,"
    " EXISTS (SELECT 1 FROM ledgerd.conflicts c WHERE c.tenant = $1"
    " AND c.provider = $2 AND c.entity = $3 AND c.local_id = $4"
    " AND c.status = 'open'))"
    " ON CONFLICT (tenant, provider, entity, local_id) DO UPDATE SET"
    " remote_id = excluded.remote_id, base = excluded.base,"
    " base_hash = excluded.base_hash, remote_version = excluded.remote_version,"
    " local_version = excluded.local_version, status = excluded.status",
    key.tenant, key.provider, key.entity, row.local_id,
    sync_sql::text_or_null(row.remote_id), base, hash,
    sync_sql::text_or_null(row.remote_version),
    sync_sql::text_or_null(row.local_version), row.status);
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

} // namespace ledgerd::pg
