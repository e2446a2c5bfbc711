// ledgerd.links: which local record is which provider record, plus the
// three-way-merge base. Free functions on a connection, so that the sync
// core can compose them with its other writes in one transaction. Failures
// throw pg::error (e.g. SQLSTATE 23505 when a remote id is already linked to
// another local record); bad arguments throw std::invalid_argument.
#pragma once

#include "adapters/pg/connection.hpp"
#include "state/read_order.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ledgerd::pg {

using json = nlohmann::json;

/// What a link (and a cursor) belongs to. entity: "customer" | "invoice".
struct link_key {
  std::string tenant;
  std::string provider;
  std::string entity;
};

struct link_row {
  std::string local_id;
  /// "" exactly when status is in_doubt.
  std::string remote_id;
  /// The last canonical JSON both sides agreed on; nullopt while there is
  /// none (in_doubt, or a first link awaiting a decision).
  std::optional<json> base;
  /// "" = none (SQL NULL).
  std::string remote_version;
  std::string local_version;
  /// linked | tombstoned | in_doubt
  std::string status = "linked";
  /// True while the record has open conflicts. Maintained by
  /// conflict_table (open_conflict / resolve_conflict); save_link does not
  /// write it.
  bool held = false;
  /// When the link was first written (ISO 8601 UTC, read only): for an
  /// in_doubt link, when the first create was about to be sent.
  std::string created_at;
  /// When the link last changed (ISO 8601 UTC, read only): for an in_doubt
  /// link, when a create was last about to be sent (mark_in_doubt).
  std::string updated_at;
  /// Why the provider refuses this record's local change (its message when
  /// it sent one): the record is remote_read_only. "" = not. save_link
  /// writes it; a link saved with "" clears it.
  std::string read_only;
  /// Since when it is read-only (ISO 8601 UTC, read only), "" when not.
  std::string read_only_since;
  /// When the provider read or write behind `base` was asked and answered
  /// (state/read_order.hpp). save_link given none keeps the stored one
  /// while the base and remote record stay, else clears it (unknown).
  state::read_span base_read;
};

std::optional<link_row> find_link_by_local(connection& conn,
                                           const link_key& key,
                                           const std::string& local_id,
                                           bool for_update = false);

std::optional<link_row> find_link_by_remote(connection& conn,
                                            const link_key& key,
                                            const std::string& remote_id,
                                            bool for_update = false);

/// Inserts or updates the link of `row.local_id`: remote id, base (with its
/// hash: SHA-256 hex of base->dump()), versions and status. `held` is left
/// alone: a new link starts held when the record already has open
/// conflicts. Throws std::invalid_argument when remote_id is empty but the
/// status is not in_doubt or the other way round.
void save_link(connection& conn, const link_key& key, const link_row& row);

/// Records that a create of `local_id` is about to be sent, its outcome
/// unknown until the answer: inserts an in_doubt link whose base is `sent`
/// (what the create carries, the merge base once the record is found), or
/// updates the base of the in_doubt link there is (a create sent again;
/// created_at stays that of the first). A linked or tombstoned link is left
/// alone.
void mark_in_doubt(connection& conn, const link_key& key,
                   const std::string& local_id, const json& sent);

void delete_link(connection& conn, const link_key& key,
                 const std::string& local_id);

/// Remote id -> local id of every link with status linked (reconciliation
/// compares these with the provider's full id list).
std::map<std::string, std::string> linked_remote_ids(connection& conn,
                                                     const link_key& key);

/// Remote id -> local id for those of `remote_ids` that have a link (linked
/// or tombstoned); the others are missing from the answer.
std::map<std::string, std::string>
local_ids_for_remote(connection& conn, const link_key& key,
                     const std::vector<std::string>& remote_ids);

/// Notes that remote records were read in full, and applied, each after
/// the time it maps to (the provider's clock): links.read_after.
void note_reads(
  connection& conn, const link_key& key,
  const std::map<std::string, std::chrono::system_clock::time_point>& reads);

/// links.read_after of those of `remote_ids` that are linked and have one.
std::map<std::string, std::chrono::system_clock::time_point>
reads_after(connection& conn, const link_key& key,
            const std::vector<std::string>& remote_ids);

/// SHA-256 of `base.dump()` as 64 lower-case hex digits: links.base_hash.
std::string base_hash(const json& base);

/// A record whose local change the provider refuses (remote_read_only).
struct read_only_row {
  std::string tenant;
  std::string provider;
  std::string entity;
  std::string local_id;
  std::string remote_id;
  std::string reason;
  /// ISO 8601 UTC.
  std::string since;
};

/// Read-only records of `tenant` ("" = all), oldest first, at most `limit`,
/// after the (since, local_id) position `after` of an earlier page ("" =
/// from the start: "<since>|<local id>").
std::vector<read_only_row> list_read_only(connection& conn,
                                          const std::string& tenant,
                                          const std::string& after, int limit);

int64_t count_read_only(connection& conn, const std::string& tenant);

} // namespace ledgerd::pg
