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
#include <map>
#include <memory>
#include <string>

namespace ledgerd::pg {

class offset_store {
public:
  offset_store(std::shared_ptr<pool> db,
               std::chrono::milliseconds acquire_timeout
               = std::chrono::seconds{5});

  /// topic -> last committed offset of `stream`.
  std::map<std::string, std::string> load(const std::string& stream);

  /// Records `offset` as the last handled one of (stream, topic). Callers
  /// commit in stream order, so the latest call wins.
  void commit(const std::string& stream, const std::string& topic,
              const std::string& offset);

private:
  std::shared_ptr<pool> db_;
  std::chrono::milliseconds acquire_timeout_;
};

} // namespace ledgerd::pg
