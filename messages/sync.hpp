// Messages of the tenant actors: manual sync requests.
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ledgerd {

/// Asks a tenant actor to sync now (manual priority, outranks automatic
/// work). Answered with the id of the batch that tracks the jobs.
struct sync_request {
  /// "" = every connection of the tenant.
  std::string provider;
  /// "customer", "invoice" or "" = every entity the tenant syncs.
  std::string entity;
  /// Remote ids to pull; empty = a delta pull of the whole entity.
  std::vector<std::string> remote_ids;
  /// Also list every remote id (finds hard deletes).
  bool reconcile = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_request& x) {
  return f(caf::meta::type_name("sync_request"), x.provider, x.entity,
           x.remote_ids, x.reconcile);
}

} // namespace ledgerd
