// Fortnox WebSocket topics: an append-only log per topic with opaque,
// ordered offsets, so subscribers can replay from an offset.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/civil_time.hpp"

namespace ledgerd::sim {

struct topic_event {
  std::string topic;
  uint64_t seq; // position within the topic, from 1
  std::string type;
  int64_t tenant_id;
  std::string entity_id;
  sys_ms time;

  /// The wire shape: {"topic","offset","type","tenantId","entityId",
  /// "timestamp"}.
  nlohmann::json to_json() const;
};

class event_log {
public:
  static bool known_topic(const std::string& topic) {
    return topic == "invoices" || topic == "customers";
  }

  const topic_event& append(const std::string& topic, std::string type,
                            int64_t tenant_id, std::string entity_id,
                            sys_ms time);

  /// Events of `topic` after position `seq` (0 = from the start).
  std::vector<const topic_event*> after(const std::string& topic,
                                        uint64_t seq) const;

  /// Offsets are fixed-width base-36 strings, so they also sort like the
  /// positions they stand for; clients must treat them as opaque.
  static std::string encode_offset(uint64_t seq);

  static std::optional<uint64_t> decode_offset(const std::string& offset);

  void clear() {
    topics_.clear();
  }

private:
  std::map<std::string, std::vector<topic_event>> topics_;
};

} // namespace ledgerd::sim
