// Which of two reads of one remote record holds the newer state, told by
// ledgerd's own clock: the provider read the record somewhere between our
// asking and its answer. Two jobs may read one record at once (a poll and
// an event's pull); the one whose answer comes late must not write its
// state over a newer base (found by scripts/soak under load: a rename was
// lost on both sides, since the next push took the old name back to the
// provider). A read answered before the base's read (or write) was asked
// is older; one asked after the base's was answered is newer; for two that
// overlap, nothing tells, so a read that would change something is made
// again (it is then asked after the base's answer).
#pragma once

#include <cstdint>

namespace ledgerd::state {

/// When a read or write was asked and when its answer came (microseconds
/// since the epoch, our clock; 0 = unknown).
struct read_span {
  int64_t asked_us = 0;
  int64_t answered_us = 0;

  constexpr bool known() const {
    return asked_us > 0 && answered_us >= asked_us;
  }
};

enum class read_order {
  /// Answered before the base's was asked: the base is at least as new.
  older,
  /// Asked after the base's was answered, the very call behind the base,
  /// or no time is known (as before ledgerd kept them): applied.
  newer,
  /// They overlap: either may be the newer.
  overlapping,
};

constexpr read_order order_of(read_span read, read_span base) {
  // The very call behind the base (a create's answer, merged next).
  bool same
    = read.asked_us == base.asked_us && read.answered_us == base.answered_us;
  if (!read.known() || !base.known() || same)
    return read_order::newer;
  if (read.answered_us < base.asked_us)
    return read_order::older;
  if (read.asked_us > base.answered_us)
    return read_order::newer;
  return read_order::overlapping;
}

} // namespace ledgerd::state
