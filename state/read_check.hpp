// Which records ledgerd read in full must be fetched again, decided by lists
// of the changes since a bound (Fortnox list items carry no modification
// time). Each record has the bound its read allows: a list since that bound
// that does not name it means its last change came before the read. A list
// since another bound B decides more than its own records: a record it does
// not name changed before B, so one whose bound is B or later is current;
// a record it names changed at B or later, so one whose bound is B or
// earlier must be fetched. The first list starts at the earliest bound (a
// quiet poll: one list decides everything); later ones at the median of
// what is left, so a burst of edits shortly before a long scan is decided
// in a few lists, not one list per second of reads.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>

namespace ledgerd::state {

struct read_check {
  /// Remote id -> the earliest list start its read allows (provider clock).
  std::map<std::string, std::chrono::sys_seconds> pending;
  /// Decided: current, no detail needed.
  std::set<std::string> current;
  /// Lists applied so far.
  int lists = 0;

  bool done() const {
    return pending.empty();
  }

  /// Where the next list of changes starts. Requires !done().
  std::chrono::sys_seconds next_bound() const;

  /// Applies a list of the changes since `bound` that named `changed`.
  void apply(std::chrono::sys_seconds bound,
             const std::set<std::string>& changed);
};

} // namespace ledgerd::state
