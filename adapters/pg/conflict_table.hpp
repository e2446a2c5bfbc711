// ledgerd.conflicts: field-level conflicts (merge policy manual) waiting for
// a person, and links.held, the "record waits" flag they drive. Free
// functions on a connection, composable in one transaction with the merge
// that finds or applies them.
//
// Lock order: the record's link row first, then conflict rows. open_conflict
// and resolve_conflict both follow it, so concurrent opens and resolutions
// of one record serialize on the link and links.held stays exact (true iff
// the record has open conflicts).
#pragma once

#include "adapters/pg/connection.hpp"
#include "adapters/pg/link_table.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ledgerd::pg {

using wall_time = std::chrono::system_clock::time_point;

struct conflict_row {
  int64_t id = 0;
  std::string tenant, provider, entity, local_id;
  /// "" when the record is not on the remote side.
  std::string remote_id;
  /// Canonical field name; "_deleted" for delete-vs-change.
  std::string field;
  /// nullopt when there was no base (first link); JSON null is a base value
  /// that was empty.
  std::optional<json> base_value;
  json local_value, remote_value;
  /// open | resolved
  std::string status;
  /// local | remote | custom; "" while open.
  std::string resolution;
  /// The value both sides converge to (the chosen side's value for
  /// local/remote); null while open.
  json resolved_value;
  std::string resolved_by;
  wall_time created_at;
  std::optional<wall_time> resolved_at;
  /// When the resolved value was merged (mark_resolutions_applied).
  std::optional<wall_time> applied_at;
};

/// Opens a conflict on `field` of the record unless one is open already;
/// then refreshes that one's remote id and base/local/remote values.
/// Returns the conflict's id. Sets links.held of the record's link, if it
/// has one. Runs in the caller's transaction or one of its own.
int64_t open_conflict(connection& conn, const link_key& key,
                      const std::string& local_id, const std::string& remote_id,
                      const std::string& field, const std::optional<json>& base,
                      const json& local, const json& remote);

/// Open conflicts of one record, by id.
std::vector<conflict_row> open_conflicts_for(connection& conn,
                                             const link_key& key,
                                             const std::string& local_id);

struct conflict_filter {
  /// "" = every tenant.
  std::string tenant;
  /// open | resolved; "" = any.
  std::string status;
  /// Keyset paging: only ids above this.
  int64_t after_id = 0;
  int limit = 100;
};

/// Conflicts matching `filter`, by id.
std::vector<conflict_row> list_conflicts(connection& conn,
                                         const conflict_filter& filter);

std::optional<conflict_row> find_conflict(connection& conn, int64_t id,
                                          bool for_update = false);

/// Resolves conflict `id`: resolution local | remote | custom, resolved by
/// `by`. The resolved value is the stored local resp. remote value for
/// local/remote (`value` is ignored) and `value` for custom. Clears
/// links.held when the record has no open conflicts left. Returns true when
/// it resolved the conflict now; false (changing nothing) when it was
/// resolved already the same way (same resolution, and for custom the same
/// value): repeated requests are harmless. Throws std::invalid_argument for
/// an unknown resolution or conflict id, and "conflict N is already
/// resolved" when it was resolved differently. Runs in the caller's
/// transaction or one of its own.
bool resolve_conflict(connection& conn, int64_t id,
                      const std::string& resolution, const json& value,
                      const std::string& by);

/// field -> resolved value of the record's conflicts that are resolved but
/// not yet applied (when a field was resolved more than once, the latest
/// resolution wins).
std::map<std::string, json> pending_resolutions(connection& conn,
                                                const link_key& key,
                                                const std::string& local_id);

/// Marks the record's resolved, unapplied conflicts applied (applied_at =
/// now()). Call it in the merge's transaction after pending_resolutions,
/// holding the link's lock (find_link_by_local(..., true)): resolve_conflict
/// takes that lock too, so no resolution can land in between and be marked
/// without having been merged.
void mark_resolutions_applied(connection& conn, const link_key& key,
                              const std::string& local_id);

/// Open conflicts of `tenant` ("" = all tenants).
int64_t count_open_conflicts(connection& conn, const std::string& tenant);

} // namespace ledgerd::pg
