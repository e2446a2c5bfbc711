// Event-stream positions in ledgerd.stream_offsets: the last committed
// offset per (stream key, topic). Synchronous (libpq): call it from a
// detached actor. Failures throw pg::error.
//
// The stream key is what the table calls `provider`: "fortnox" for the one
// Fortnox client, "fortnox:<client id>" when several clients each hold their
// own stream (offsets belong to the client's subscription).
#pragma once

#include "adapters/pg/pool.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace ledgerd::pg {

/// Where a stream stands in a topic: the last handled event's offset and
/// its position (events counted on from the stored position; see migration
/// 0007).
struct stream_position {
  std::string offset;
  int64_t position = 0;

  friend bool operator==(const stream_position&, const stream_position&)
    = default;
};

class offset_store {
public:
  offset_store(std::shared_ptr<pool> db,
               std::chrono::milliseconds acquire_timeout
               = std::chrono::seconds{5});

  /// topic -> last committed position of `stream`.
  std::map<std::string, stream_position> load(const std::string& stream);

  /// Records `at` as the last handled event of (stream, topic), unless a
  /// position at or past it is stored already (an older commit never
  /// overwrites a newer one): then false and nothing changes.
  bool commit(const std::string& stream, const std::string& topic,
              const stream_position& at);

private:
  std::shared_ptr<pool> db_;
  std::chrono::milliseconds acquire_timeout_;
};

} // namespace ledgerd::pg
