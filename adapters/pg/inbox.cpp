#include "adapters/pg/inbox.hpp"

#include "adapters/pg/error.hpp"

#include <stdexcept>

namespace ledgerd::pg {

bool store_inbox_event(connection& conn, const inbox_event& e) {
  try {
    auto res = conn.exec(
      "inbox.store",
      "INSERT INTO ledgerd.inbox (source, event_id, tenant, payload)"
      " VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (source, event_id)"
      " DO NOTHING",
      e.source, e.event_id, e.tenant, e.payload);
    return res.affected_rows() == 1;
  } catch (const error& err) {
    if (err.sqlstate() == "22P02") // invalid_text_representation
      throw std::invalid_argument("the event body is not JSON");
    throw;
  }
}

std::vector<inbox_event> claim_inbox(connection& conn, int limit) {
  auto res = conn.exec("inbox.claim",
                       "SELECT source, event_id, coalesce(tenant, ''),"
                       " payload::text FROM ledgerd.inbox"
                       " WHERE processed_at IS NULL ORDER BY received_at"
                       " LIMIT $1 FOR UPDATE SKIP LOCKED",
                       limit);
  std::vector<inbox_event> out;
  for (int row = 0; row < res.rows(); ++row)
    out.push_back({res.get<std::string>(row, 0), res.get<std::string>(row, 1),
                   res.get<std::string>(row, 2), res.get<std::string>(row, 3)});
  return out;
}

void mark_inbox_processed(connection& conn, const inbox_event& e) {
  conn.exec("inbox.processed",
            "UPDATE ledgerd.inbox SET processed_at = now()"
            " WHERE source = $1 AND event_id = $2",
            e.source, e.event_id);
}

int64_t count_inbox(connection& conn, bool unprocessed_only) {
  auto res = conn.exec(
    "inbox.count",
    unprocessed_only
      ? "SELECT count(*) FROM ledgerd.inbox WHERE processed_at IS NULL"
      : "SELECT count(*) FROM ledgerd.inbox");
  return res.get<int64_t>(0, 0);
}

} // namespace ledgerd::pg
