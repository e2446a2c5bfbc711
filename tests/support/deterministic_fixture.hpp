// Deterministic CAF 0.17 fixture for Catch2: no worker threads, virtual
// clock (shared/caf-0.17-notes.md §10). CAF's own test DSL segfaults under
// Catch2, so this drives the test_coordinator directly.
#pragma once

#include "messages/type_ids.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace ledgerd::test {

class deterministic_fixture {
public:
  deterministic_fixture()
    : sys(configure(cfg))
    , sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler()))
    , self(sys, true) {}

  // test_coordinator::stop() loops "run; fire timers" until quiet, so an
  // actor that re-arms a timer forever would hang teardown.
  ~deterministic_fixture() {
    for (auto& hdl : spawned_)
      caf::anon_send_exit(hdl, caf::exit_reason::kill);
    spawned_.clear();
    sched.run();
  }

  /// Spawns an actor and remembers it for teardown.
  template<class... Ts>
  auto spawn(Ts&&... xs) {
    auto hdl = sys.spawn(std::forward<Ts>(xs)...);
    spawned_.push_back(caf::actor_cast<caf::actor>(hdl));
    return hdl;
  }

  /// Runs until no actor has pending messages.
  size_t run() {
    return sched.run();
  }

  /// Moves the virtual clock, fires due timers, then runs to quiescence.
  size_t advance(caf::timespan dt) {
    auto fired = sched.advance_time(dt);
    run();
    return fired;
  }

  /// Pops the next message from `self`'s mailbox; throws if it doesn't match
  /// or if it is an error.
  template<class... Ts>
  std::tuple<Ts...> next_reply() {
    std::tuple<Ts...> out;
    bool got = false;
    self->receive(
      [&](Ts&... xs) {
        out = std::make_tuple(std::move(xs)...);
        got = true;
      },
      [&](caf::error& err) {
        throw std::runtime_error(sys.render(err));
      },
      caf::after(std::chrono::seconds(0)) >> [] {});
    if (!got)
      throw std::runtime_error("no matching message in mailbox");
    return out;
  }

  /// True when `self` has a message waiting.
  bool has_reply() {
    return !self->mailbox().empty();
  }

private:
  static caf::actor_system_config& configure(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    register_messages(cfg);
    return cfg;
  }

public:
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::scoped_actor self;

private:
  std::vector<caf::actor> spawned_;
};

} // namespace ledgerd::test
