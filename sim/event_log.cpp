#include "sim/event_log.hpp"

namespace ledgerd::sim {

namespace {

constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::size_t offset_width = 10;

} // namespace

nlohmann::json topic_event::to_json() const {
  return {{"topic", topic},        {"offset", event_log::encode_offset(seq)},
          {"type", type},          {"tenantId", tenant_id},
          {"entityId", entity_id}, {"timestamp", format_stockholm_iso(time)}};
}

const topic_event& event_log::append(const std::string& topic, std::string type,
                                     int64_t tenant_id, std::string entity_id,
                                     sys_ms time) {
  auto& list = topics_[topic];
  list.push_back(topic_event{topic, list.size() + 1, std::move(type), tenant_id,
                             std::move(entity_id), time});
  return list.back();
}

std::vector<const topic_event*> event_log::after(const std::string& topic,
                                                 uint64_t seq) const {
  std::vector<const topic_event*> out;
  auto i = topics_.find(topic);
  if (i == topics_.end())
    return out;
  for (auto k = seq; k < i->second.size(); ++k)
    out.push_back(&i->second[k]);
  return out;
}

std::string event_log::encode_offset(uint64_t seq) {
  std::string out(offset_width, '0');
  for (auto i = offset_width; i-- > 0 && seq > 0; seq /= 36)
    out[i] = alphabet[seq % 36];
  return out;
}

std::optional<uint64_t> event_log::decode_offset(const std::string& offset) {
  if (offset.empty() || offset.size() > offset_width)
    return std::nullopt;
  uint64_t seq = 0;
  for (char c : offset) {
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'z') ? c - 'a' + 10
                                     : -1;
    if (d < 0)
      return std::nullopt;
    seq = seq * 36 + static_cast<uint64_t>(d);
  }
  return seq;
}

} // namespace ledgerd::sim
