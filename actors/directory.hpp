// Current handles of the node's shared actors by name, for actors that must
// reach a sibling the supervisor may replace (restart). Holds weak
// references only: an entry never keeps an actor alive (CAF's own registry
// holds strong ones, which keeps a finished detached actor's thread waiting
// forever at shutdown). Thread-safe.
#pragma once

#include <caf/actor_cast.hpp>
#include <caf/fwd.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace ledgerd {

class actor_directory {
public:
  /// Records `hdl` as the current actor named `name`.
  template<class Handle>
  void put(const std::string& name, const Handle& hdl) {
    std::lock_guard guard{mtx_};
    entries_[name] = caf::actor_cast<caf::weak_actor_ptr>(hdl);
  }

  /// The current actor named `name`, or an invalid handle when there is
  /// none or it is gone.
  template<class Handle>
  Handle get(const std::string& name) const {
    std::lock_guard guard{mtx_};
    auto i = entries_.find(name);
    if (i == entries_.end())
      return Handle{};
    return caf::actor_cast<Handle>(i->second.lock());
  }

private:
  mutable std::mutex mtx_;
  std::map<std::string, caf::weak_actor_ptr> entries_;
};

} // namespace ledgerd
