#include "actors/sync_env.hpp"

#include "actors/connections.hpp"
#include "adapters/provider/content_hash.hpp"

#include <stdexcept>

namespace ledgerd {

provider_actor sync_env::provider(const std::string& tenant,
                                  const std::string& provider_name) const {
  return dir->get<provider_actor>(provider_child_name(tenant, provider_name));
}

const config::tenant_config& sync_env::tenant(const std::string& id) const {
  if (const auto* t = cfg->find_tenant(id))
    return *t;
  throw std::invalid_argument("unknown tenant " + id);
}

namespace {

std::string cache_key(const std::string& tenant, const std::string& provider,
                      const std::string& remote_id) {
  return tenant + '\n' + provider + '\n' + remote_id;
}

} // namespace

std::map<std::string, std::string>
customer_link_cache::known(const std::string& tenant,
                           const std::string& provider,
                           const std::vector<std::string>& remote_ids) {
  std::map<std::string, std::string> out;
  std::lock_guard guard{mtx_};
  for (const auto& id : remote_ids)
    if (auto local = cache_.get(cache_key(tenant, provider, id)))
      out.emplace(id, std::move(*local));
  return out;
}

void customer_link_cache::remember(
  const std::string& tenant, const std::string& provider,
  const std::map<std::string, std::string>& links) {
  std::lock_guard guard{mtx_};
  for (const auto& [remote_id, local_id] : links)
    cache_.put(cache_key(tenant, provider, remote_id), local_id);
}

void customer_link_cache::forget(const std::string& tenant,
                                 const std::string& provider,
                                 const std::string& remote_id) {
  std::lock_guard guard{mtx_};
  cache_.erase(cache_key(tenant, provider, remote_id));
}

uint8_t entity_code(const std::string& entity) {
  if (entity == "customer")
    return 0;
  if (entity == "invoice")
    return 1;
  throw std::invalid_argument("unknown entity '" + entity
                              + "' (customer or invoice)");
}

namespace {

state::merge_rule to_merge_rule(config::conflict_rule x) {
  switch (x) {
  case config::conflict_rule::remote_wins:
    return state::merge_rule::remote_wins;
  case config::conflict_rule::local_wins:
    return state::merge_rule::local_wins;
  case config::conflict_rule::last_write_wins:
    return state::merge_rule::last_write_wins;
  case config::conflict_rule::manual:
    break;
  }
  return state::merge_rule::manual;
}

} // namespace

state::merge_policy merge_policy_for(const config::tenant_config& tenant,
                                     const std::string& entity) {
  const auto& conflicts = tenant.sync.conflicts;
  state::merge_policy out;
  out.default_rule = to_merge_rule(conflicts.default_rule);
  out.tie_winner = conflicts.tie_winner == config::sync_side::local
                     ? state::merge_side::local
                     : state::merge_side::remote;
  auto prefix = entity + ".";
  for (const auto& [field, rule] : conflicts.fields)
    if (field.starts_with(prefix))
      out.fields.emplace(field.substr(prefix.size()), to_merge_rule(rule));
  if (entity == "invoice")
    out.critical = {"currency", "customer_remote_id", "rows", "total", "vat"};
  return out;
}

std::string pull_key(const std::string& tenant, const std::string& provider,
                     const std::string& entity, const std::string& remote_id) {
  auto key = tenant + ":" + provider + ":pull:" + entity;
  return remote_id.empty() ? key : key + ":" + remote_id;
}

std::string reconcile_pull_key(const std::string& tenant,
                               const std::string& provider,
                               const std::string& entity,
                               const std::vector<std::string>& remote_ids) {
  std::string all;
  for (const auto& id : remote_ids)
    all += id + '\n';
  return pull_key(tenant, provider, entity,
                  "reconcile:" + std::to_string(remote_ids.size()) + ":"
                    + ledgerd::provider::fnv1a_hex(all));
}

std::string push_key(const std::string& tenant, const std::string& provider,
                     const std::string& entity, const std::string& local_id) {
  return tenant + ":" + provider + ":push:" + entity + ":" + local_id;
}

} // namespace ledgerd
