// ledgerd.cursors: the delta-sync position per (tenant, provider, entity).
// Free functions on a connection: the sync core saves the watermark in the
// transaction that commits the pages it covers.
#pragma once

#include "adapters/pg/connection.hpp"
#include "adapters/pg/link_table.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ledgerd::pg {

using wall_time = std::chrono::system_clock::time_point;

struct cursor_row {
  /// Next delta pull asks for changes since this time; nullopt = never
  /// pulled (full scan).
  std::optional<wall_time> watermark;
  /// Opaque provider cursor; "" = none.
  std::string cursor;
  /// Start of the last complete id reconciliation; nullopt = never.
  std::optional<wall_time> reconciled_at;
  /// Why pulls of this entity are paused (provider drift); "" = they run.
  std::string paused_reason;
};

/// The cursor of `key`; an empty row when there is none yet.
cursor_row load_cursor(connection& conn, const link_key& key);

/// Stores `watermark` (microsecond resolution), creating the row if needed.
void save_watermark(connection& conn, const link_key& key, wall_time watermark);

/// Stores the reconciliation time `at`, creating the row if needed.
void save_reconciled(connection& conn, const link_key& key, wall_time at);

/// Pauses pulls of `key` for `reason` (the first reason stays while paused;
/// the watermark is not touched). True when it was not paused before.
bool pause_pulls(connection& conn, const link_key& key,
                 const std::string& reason);

struct resume_result {
  /// It was paused.
  bool resumed = false;
  /// Pull jobs of `key` that waited for the pause and run now.
  int64_t pulls_woken = 0;
};

/// Lets pulls of `key` run again, the waiting ones at once.
resume_result resume_pulls(connection& conn, const link_key& key);

/// A paused entity of one connection.
struct paused_row {
  std::string tenant;
  std::string provider;
  std::string entity;
  std::string reason;
  /// ISO 8601 UTC.
  std::string since;
};

/// Every paused entity, oldest first.
std::vector<paused_row> list_paused(connection& conn);

} // namespace ledgerd::pg
