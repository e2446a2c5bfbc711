#include "actors/conflict_resolution.hpp"

#include "adapters/log.hpp"
#include "adapters/pg/conflict_table.hpp"
#include "adapters/pg/link_table.hpp"

namespace ledgerd {

resolution_result resolve_conflict(const sync_env& env, int64_t conflict_id,
                                   const std::string& resolution,
                                   const nlohmann::json& value,
                                   const std::string& by) {
  resolution_result out;
  job_spec spec;
  {
    auto conn = env.db->acquire(env.acquire_timeout);
    pg::transaction tx{*conn};
    auto c = pg::find_conflict(*conn, conflict_id, true);
    if (!c)
      throw std::invalid_argument("unknown conflict "
                                  + std::to_string(conflict_id));
    // The link's lock orders this against a merge of the same record.
    pg::find_link_by_local(*conn, {c->tenant, c->provider, c->entity},
                           c->local_id, true);
    out.resolved_now
      = pg::resolve_conflict(*conn, conflict_id, resolution, value, by);
    tx.commit();
    if (!out.resolved_now)
      return out;
    spec.tenant = c->tenant;
    spec.provider = c->provider;
    spec.kind = "push";
    spec.payload
      = nlohmann::json{{"entity", c->entity}, {"local_id", c->local_id}}.dump();
    spec.priority = 3;
    spec.dedup_key = push_key(c->tenant, c->provider, c->entity, c->local_id);
    log::info("sync", "conflict resolved",
              {{"conflict", conflict_id},
               {"tenant", c->tenant},
               {"field", c->field},
               {"resolution", resolution},
               {"by", by}});
  }
  out.job_id = env.jobs->enqueue(spec, env.now()).id;
  return out;
}

} // namespace ledgerd
