// Small helpers shared by the sync-core stores (link_table, local_records,
// cursor_table, conflict_table, outbox_queue): time and JSON conversions and
// "run in the caller's transaction or a new one". Internal: included by
// their .cpp files only.
#pragma once

#include "adapters/pg/connection.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace ledgerd::pg::sync_sql {

using wall_time = std::chrono::system_clock::time_point;

/// SQL: the timestamptz `expr` as microseconds since the epoch (bigint).
/// Exact: extract() returns numeric since PostgreSQL 14.
inline std::string micros(const std::string& expr) {
  return "(extract(epoch FROM " + expr + ") * 1000000)::bigint";
}

/// SQL: the bigint parameter `placeholder` (microseconds since the epoch) as
/// timestamptz, exact.
inline std::string timestamp(const std::string& placeholder) {
  return "(timestamptz 'epoch' + " + placeholder
         + "::bigint * interval '1 microsecond')";
}

/// A time as microseconds since the epoch (PostgreSQL's resolution).
inline int64_t to_micros(wall_time t) {
  return std::chrono::floor<std::chrono::microseconds>(t)
    .time_since_epoch()
    .count();
}

inline wall_time from_micros(int64_t us) {
  return wall_time{std::chrono::microseconds{us}};
}

inline std::optional<wall_time> opt_time(const result& res, int row, int col) {
  auto us = res.get_optional<int64_t>(row, col);
  return us ? std::optional<wall_time>{from_micros(*us)} : std::nullopt;
}

/// A jsonb cell (read as text) as JSON; nullopt for SQL NULL.
inline std::optional<nlohmann::json> opt_json(const result& res, int row,
                                              int col) {
  if (res.is_null(row, col))
    return std::nullopt;
  return nlohmann::json::parse(res.value(row, col));
}

/// "" as SQL NULL.
inline param text_or_null(const std::string& x) {
  return x.empty() ? param{} : param{x};
}

inline void check_entity(const std::string& entity) {
  if (entity != "customer" && entity != "invoice")
    throw std::invalid_argument("unknown entity \"" + entity
                                + "\" (customer | invoice)");
}

/// Runs `f()` in the caller's open transaction, or in a transaction of its
/// own (committed when `f` returns) when `conn` is idle.
template<class F>
auto in_transaction(connection& conn, F&& f) {
  if (conn.in_transaction())
    return f();
  transaction tx{conn};
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    tx.commit();
  } else {
    auto out = f();
    tx.commit();
    return out;
  }
}

} // namespace ledgerd::pg::sync_sql
