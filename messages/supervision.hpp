// Messages of the supervision protocol.
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ledgerd {

/// What a supervisor reports about its children.
struct supervisor_status {
  /// Names of the children that are running now.
  std::vector<std::string> running;
  /// Restarts since the supervisor started.
  uint64_t restarts = 0;
  /// Restarts per child (children never restarted are absent).
  std::map<std::string, uint64_t> child_restarts;
  /// True once a drain has begun: no child is restarted any more.
  bool draining = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_status& x) {
  return f(caf::meta::type_name("supervisor_status"), x.running, x.restarts,
           x.child_restarts, x.draining);
}

} // namespace ledgerd
