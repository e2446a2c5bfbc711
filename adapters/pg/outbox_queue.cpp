#include "adapters/pg/outbox_queue.hpp"

#include "adapters/pg/sync_sql.hpp"

#include <stdexcept>

namespace ledgerd::pg {

std::vector<outbox_entry> claim_outbox(connection& conn, int limit,
                                       const std::string& tenant) {
  if (!conn.in_transaction())
    throw std::logic_error("claim_outbox must run inside a transaction");
  std::vector<outbox_entry> out;
  if (limit <= 0)
    return out;
  const std::string select
    = "SELECT id, tenant, entity, local_id, op, "
      + sync_sql::micros("changed_at")
      + " FROM ledgerd.outbox WHERE processed_at IS NULL";
  const std::string lock = " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED";
  auto res = tenant.empty()
               ? conn.exec("outbox.claim", select + lock, limit)
               : conn.exec("outbox.claim_tenant",
                           select + " AND tenant = $2" + lock, limit, tenant);
  for (int row = 0; row < res.rows(); ++row) {
    outbox_entry e;
    e.id = res.get<int64_t>(row, 0);
    e.tenant = res.get<std::string>(row, 1);
    e.entity = res.get<std::string>(row, 2);
    e.local_id = res.get<std::string>(row, 3);
    e.op = res.get<std::string>(row, 4);
    e.changed_at = sync_sql::from_micros(res.get<int64_t>(row, 5));
    out.push_back(std::move(e));
  }
  return out;
}

void mark_outbox_processed(connection& conn, const std::vector<int64_t>& ids) {
  if (ids.empty())
    return;
  std::string array = "{";
  for (auto id : ids) {
    if (array.size() > 1)
      array += ',';
    array += std::to_string(id);
  }
  array += '}';
  conn.exec("outbox.mark_processed",
            "UPDATE ledgerd.outbox SET processed_at = now()"
            " WHERE id = ANY($1::bigint[]) AND processed_at IS NULL",
            array);
}

int64_t count_outbox_pending(connection& conn, const std::string& tenant) {
  auto res = conn.exec("outbox.count_pending",
                       "SELECT count(*) FROM ledgerd.outbox"
                       " WHERE processed_at IS NULL"
                       " AND ($1::text = '' OR tenant = $1)",
                       tenant);
  return res.get<int64_t>(0, 0);
}

} // namespace ledgerd::pg
