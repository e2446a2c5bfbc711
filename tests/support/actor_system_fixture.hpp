// A real (threaded) CAF actor system for tests of actors that talk to
// PostgreSQL: time is real there, so such tests wait with bounded polls and
// assert outcomes, never durations.
#pragma once

#include "messages/type_ids.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <functional>
#include <thread>

namespace ledgerd::test {

class actor_system_fixture {
public:
  actor_system_fixture()
    : sys(configure(cfg))
    , self(sys) {}

  /// Polls `done` every 20 ms until it returns true or `timeout` passes;
  /// returns its last value.
  static bool eventually(const std::function<bool()>& done,
                         std::chrono::milliseconds timeout
                         = std::chrono::seconds{30}) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline)
        return done();
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return true;
  }

private:
  static caf::actor_system_config& configure(caf::actor_system_config& cfg) {
    register_messages(cfg);
    cfg.set("scheduler.policy", caf::atom("sharing"));
    cfg.set("scheduler.max-threads", 2);
    return cfg;
  }

public:
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
};

} // namespace ledgerd::test
