// Drops redelivered events of an at-least-once stream by (topic, offset).
//
// Memory is bounded: per topic only the last `window` offsets seen are
// remembered (FIFO). A duplicate older than that window is passed on as if it
// were new. That is harmless: every event only triggers an idempotent fetch
// and upsert of the record it names, so handling it twice costs a request,
// never correctness. Offsets are opaque strings, so "older" means "seen
// earlier", not a comparison of offsets.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <unordered_set>

namespace ledgerd::state {

class event_dedup {
public:
  /// Remembers at most `window` offsets per topic (at least 1).
  explicit event_dedup(std::size_t window = 4096);

  /// Records (topic, offset) and returns true the first time it is seen
  /// within the window; false for a duplicate.
  bool admit(const std::string& topic, const std::string& offset);

  /// True when (topic, offset) is remembered.
  bool contains(const std::string& topic, const std::string& offset) const;

  /// Forgets (topic, offset), so a redelivery is admitted again: for events
  /// that were received but not handled (the handler failed, the connection
  /// broke) and must be replayed.
  void forget(const std::string& topic, const std::string& offset);

  /// Offsets remembered for `topic`.
  std::size_t size(const std::string& topic) const;

  std::size_t window() const {
    return window_;
  }

private:
  struct topic_memory {
    std::unordered_set<std::string> offsets;
    /// The same offsets in insertion order, for eviction.
    std::deque<std::string> order;
  };

  void evict(topic_memory& mem);

  std::size_t window_;
  std::map<std::string, topic_memory> topics_;
};

} // namespace ledgerd::state
