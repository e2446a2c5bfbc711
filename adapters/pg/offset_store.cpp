#include "adapters/pg/offset_store.hpp"

namespace ledgerd::pg {

offset_store::offset_store(std::shared_ptr<pool> db,
                           std::chrono::milliseconds acquire_timeout)
  : db_(std::move(db))
  , acquire_timeout_(acquire_timeout) {}

std::map<std::string, stream_position>
offset_store::load(const std::string& stream) {
  auto conn = db_->acquire(acquire_timeout_);
  auto res = conn->exec("stream_offsets.load",
                        "SELECT topic, last_offset, position FROM"
                        " ledgerd.stream_offsets WHERE provider = $1",
                        stream);
  std::map<std::string, stream_position> out;
  for (int row = 0; row < res.rows(); ++row)
    out[res.get<std::string>(row, 0)]
      = {res.get<std::string>(row, 1), res.get<int64_t>(row, 2)};
  return out;
}

bool offset_store::commit(const std::string& stream, const std::string& topic,
                          const stream_position& at) {
  auto conn = db_->acquire(acquire_timeout_);
  auto res = conn->exec(
    "stream_offsets.commit",
    "INSERT INTO ledgerd.stream_offsets (provider, topic, last_offset,"
    " position) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (provider, topic) DO UPDATE"
    " SET last_offset = excluded.last_offset, position = excluded.position,"
    " updated_at = now() WHERE stream_offsets.position < excluded.position"
    " RETURNING 1",
    stream, topic, at.offset, at.position);
  return res.rows() > 0;
}

} // namespace ledgerd::pg
