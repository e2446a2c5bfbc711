// What the sync jobs (pull, push, reconcile) share: the database, the
// configuration, the node's actors by name, the job store for follow-up
// jobs, and the clock. Built once at start, then read-only.
#pragma once

#include "actors/directory.hpp"
#include "adapters/pg/job_store.hpp"
#include "adapters/pg/pool.hpp"
#include "config/node_config.hpp"
#include "messages/actors.hpp"
#include "state/lru_cache.hpp"
#include "state/merge.hpp"

#include <caf/timespan.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ledgerd {

using sync_clock = std::chrono::system_clock;

/// Customer remote id -> local id of linked customers, bounded and shared by
/// the jobs of a node: pulling a page of invoices then asks the database
/// only for customers it has not seen recently. A link's remote id never
/// changes while it is linked; the jobs that tombstone or delete a customer
/// link `forget` it, so the next invoice asks the database again (a Fortnox
/// customer number may be given to a new customer after a delete). Another
/// node's tombstone is not seen here: a stale entry then costs one failed
/// record (its customer "not linked yet") and that record's own pull, which
/// asks the database.
class customer_link_cache {
public:
  explicit customer_link_cache(std::size_t capacity = 10000)
    : cache_(capacity) {}

  /// The local ids known for `remote_ids` of (tenant, provider).
  std::map<std::string, std::string>
  known(const std::string& tenant, const std::string& provider,
        const std::vector<std::string>& remote_ids);

  void remember(const std::string& tenant, const std::string& provider,
                const std::map<std::string, std::string>& links);

  /// Drops `remote_id`'s entry: its link was tombstoned or deleted.
  void forget(const std::string& tenant, const std::string& provider,
              const std::string& remote_id);

private:
  std::mutex mtx_;
  state::lru_cache<std::string, std::string> cache_;
};

struct sync_env {
  std::shared_ptr<pg::pool> db;
  std::shared_ptr<const config::node_config> cfg;
  std::shared_ptr<actor_directory> dir;
  std::shared_ptr<pg::job_store> jobs;
  std::chrono::milliseconds acquire_timeout{5000};
  /// One provider call, including its wait for rate-limit grants.
  caf::timespan call_timeout = std::chrono::minutes{10};
  std::shared_ptr<customer_link_cache> customer_links
    = std::make_shared<customer_link_cache>();
  std::function<sync_clock::time_point()> now = [] {
    return sync_clock::now();
  };

  /// The provider actor of (tenant, provider), invalid when not running.
  provider_actor provider(const std::string& tenant,
                          const std::string& provider_name) const;

  /// The tenant's configuration; throws std::invalid_argument if unknown.
  const config::tenant_config& tenant(const std::string& id) const;
};

/// "customer" | "invoice" -> provider entity value (0, 1); throws
/// std::invalid_argument for anything else.
uint8_t entity_code(const std::string& entity);

/// The merge rules of `tenant` for `entity` ("customer", "invoice"): the
/// tenant's conflict settings, with totals, rows, currency and the customer
/// of an invoice defaulting to manual unless the configuration names them.
state::merge_policy merge_policy_for(const config::tenant_config& tenant,
                                     const std::string& entity);

/// Dedup key of the pull of `entity` (all changes, or one record).
std::string pull_key(const std::string& tenant, const std::string& provider,
                     const std::string& entity,
                     const std::string& remote_id = {});

/// Dedup key of a reconciliation's pull of `remote_ids`: all of them count
/// (a count and a hash), so two chunks that merely share a first id are two
/// jobs, and only the same chunk enqueued again is merged.
std::string reconcile_pull_key(const std::string& tenant,
                               const std::string& provider,
                               const std::string& entity,
                               const std::vector<std::string>& remote_ids);

/// Dedup key of the push of one local record: pushes of a record are
/// serialized (one live job per record).
std::string push_key(const std::string& tenant, const std::string& provider,
                     const std::string& entity, const std::string& local_id);

} // namespace ledgerd
