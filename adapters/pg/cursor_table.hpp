// ledgerd.cursors: the delta-sync position per (tenant, provider, entity).
// Free functions on a connection: the sync core saves the watermark in the
// transaction that commits the pages it covers.
#pragma once

#include "adapters/pg/connection.hpp"
#include "adapters/pg/link_table.hpp"

#include <chrono>
#include <optional>
#include <string>

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
};

/// The cursor of `key`; an empty row when there is none yet.
cursor_row load_cursor(connection& conn, const link_key& key);

/// Stores `watermark` (microsecond resolution), creating the row if needed.
void save_watermark(connection& conn, const link_key& key, wall_time watermark);

/// Stores the reconciliation time `at`, creating the row if needed.
void save_reconciled(connection& conn, const link_key& key, wall_time at);

} // namespace ledgerd::pg
