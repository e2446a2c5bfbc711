// Job priorities. The numbers are the values stored in ledgerd.jobs.priority
// (CHECK priority BETWEEN 0 AND 3); higher runs first, both when the
// dispatcher claims jobs and when the rate limiter serves waiters.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace ledgerd::state {

enum class job_priority : int16_t {
  /// Initial imports and reconciliation: runs when nothing else waits.
  backfill = 0,
  /// Scheduled delta polls.
  poll = 1,
  /// Pulls triggered by a provider event or a local change.
  event = 2,
  /// Requested by a person (API or console).
  manual = 3,
};

/// Returns the enumerator's name, e.g. "backfill".
inline std::string to_string(job_priority x) {
  switch (x) {
  case job_priority::backfill:
    return "backfill";
  case job_priority::poll:
    return "poll";
  case job_priority::event:
    return "event";
  case job_priority::manual:
    return "manual";
  }
  return "job_priority(" + std::to_string(static_cast<int>(x)) + ")";
}

/// Parses an enumerator's exact name; std::nullopt for anything else.
inline std::optional<job_priority> parse_job_priority(std::string_view str) {
  for (auto x : {job_priority::backfill, job_priority::poll,
                 job_priority::event, job_priority::manual})
    if (str == to_string(x))
      return x;
  return std::nullopt;
}

/// The value stored in ledgerd.jobs.priority.
inline int to_db_value(job_priority x) {
  return static_cast<int>(x);
}

/// Converts a ledgerd.jobs.priority value; std::nullopt outside 0..3.
inline std::optional<job_priority> job_priority_from_db(int value) {
  if (value < static_cast<int>(job_priority::backfill)
      || value > static_cast<int>(job_priority::manual))
    return std::nullopt;
  return static_cast<job_priority>(value);
}

inline std::ostream& operator<<(std::ostream& os, job_priority x) {
  return os << to_string(x);
}

} // namespace ledgerd::state
