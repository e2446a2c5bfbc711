// The records of one tenant and kind (customers or invoices).
//
// Each record keeps a last-modified time the APIs never expose (as in the
// real Fortnox API); deltas filter on it. Lists come in creation order so
// pagination stays stable while records change.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/civil_time.hpp"

namespace ledgerd::sim {

struct record {
  std::string id;
  nlohmann::json data;
  sys_ms modified;
  /// When the record was stored (search_lag_ms hides young records).
  sys_ms created;
};

class record_store {
public:
  record* find(const std::string& id);

  const record* find(const std::string& id) const;

  /// Inserts a new record; the id must be unused.
  record& insert(std::string id, nlohmann::json data, sys_ms modified);

  bool erase(const std::string& id);

  /// True if `id` was ever used, deleted or not (Fortnox never reuses
  /// customer numbers).
  bool ever_used(const std::string& id) const {
    return used_.count(id) > 0;
  }

  /// Records in creation order.
  std::vector<const record*> all() const;

  std::size_t size() const {
    return by_seq_.size();
  }

private:
  uint64_t next_seq_ = 0;
  std::map<uint64_t, record> by_seq_;
  std::unordered_map<std::string, uint64_t> seq_of_;
  std::set<std::string> used_;
};

} // namespace ledgerd::sim
