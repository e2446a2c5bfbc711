#include "actors/supervisor.hpp"
#include "tests/support/deterministic_fixture.hpp"
#include "tests/support/quiet_log.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace std::chrono_literals;
using namespace ledgerd;

namespace {

struct worker_state {
  /// A drain that waits for the in-flight work to finish.
  caf::response_promise pending_drain;
  bool busy = false;
  static inline const char* name = "worker";
};

// A test child: "crash" makes it fail, "work" keeps it busy for 10 s of
// virtual time, drain answers once no work is in flight.
caf::behavior worker(caf::stateful_actor<worker_state>* self,
                     std::shared_ptr<int> starts) {
  ++*starts;
  return {
    [self](const std::string& cmd) {
      if (cmd == "crash") {
        self->quit(caf::sec::runtime_error);
      } else if (cmd == "work") {
        self->state.busy = true;
        self->delayed_send(self, 10s, std::string{"done"});
      } else if (cmd == "done") {
        self->state.busy = false;
        if (self->state.pending_drain.pending())
          self->state.pending_drain.deliver(true);
      }
    },
    [self](drain_atom) -> caf::result<bool> {
      if (!self->state.busy)
        return true;
      self->state.pending_drain = self->make_response_promise();
      return self->state.pending_drain;
    },
  };
}

child_spec worker_spec(const std::string& name, std::shared_ptr<int> starts) {
  return {name, [starts](caf::actor_system& sys) {
            return sys.spawn(worker, starts);
          }};
}

struct fixture : test::deterministic_fixture {
  test::quiet_log quiet;

  std::shared_ptr<int> a_starts = std::make_shared<int>(0);
  std::shared_ptr<int> b_starts = std::make_shared<int>(0);

  supervisor_actor start(supervisor_options opts) {
    auto sup = spawn(supervisor,
                     std::vector<child_spec>{worker_spec("a", a_starts),
                                             worker_spec("b", b_starts)},
                     opts);
    run();
    return sup;
  }

  supervisor_status status(const supervisor_actor& sup) {
    self->send(sup, health_atom_v);
    run();
    return std::get<0>(next_reply<supervisor_status>());
  }

  caf::actor child(const supervisor_actor& sup, const std::string& name) {
    auto& st = dynamic_cast<supervisor_actor::stateful_base<supervisor_state>&>(
                 *caf::actor_cast<caf::abstract_actor*>(sup))
                 .state;
    for (auto& [addr, c] : st.running)
      if (st.specs[c.spec].name == name)
        return c.handle;
    return {};
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "supervisor starts its children") {
  auto sup = start({});
  CHECK(*a_starts == 1);
  CHECK(*b_starts == 1);
  auto st = status(sup);
  CHECK(st.running.size() == 2);
  CHECK(st.restarts == 0);
}

TEST_CASE_METHOD(fixture, "supervisor returns the current handle of a child") {
  auto sup = start({});
  self->send(sup, caf::get_atom_v, std::string{"a"});
  run();
  auto first = std::get<0>(next_reply<caf::actor>());
  CHECK(first == child(sup, "a"));
  self->send(first, std::string{"crash"});
  run();
  self->send(sup, caf::get_atom_v, std::string{"a"});
  run();
  auto second = std::get<0>(next_reply<caf::actor>());
  CHECK(second != first);
  CHECK(second == child(sup, "a"));
  self->send(sup, caf::get_atom_v, std::string{"nope"});
  run();
  CHECK_THROWS(next_reply<caf::actor>());
}

TEST_CASE_METHOD(fixture, "a crashed child is restarted, the others are not") {
  auto sup = start({});
  self->send(child(sup, "a"), std::string{"crash"});
  run();
  CHECK(*a_starts == 2);
  CHECK(*b_starts == 1);
  auto st = status(sup);
  CHECK(st.running.size() == 2);
  CHECK(st.restarts == 1);
}

TEST_CASE_METHOD(fixture, "a child stopped on purpose is not restarted") {
  auto sup = start({});
  self->send_exit(child(sup, "b"), caf::exit_reason::user_shutdown);
  run();
  CHECK(*b_starts == 1);
  auto st = status(sup);
  REQUIRE(st.running.size() == 1);
  CHECK(st.running[0] == "a");
}

TEST_CASE_METHOD(fixture, "exceeding the restart intensity stops the node") {
  auto sup = start({2, 60s});
  self->monitor(sup);
  for (int i = 0; i < 2; ++i) {
    self->send(child(sup, "a"), std::string{"crash"});
    run();
  }
  CHECK(*a_starts == 3);
  // The third crash within 60 s is one too many.
  auto b = child(sup, "b");
  self->monitor(b);
  self->send(child(sup, "a"), std::string{"crash"});
  run();
  CHECK(*a_starts == 3);
  std::vector<caf::error> downs;
  while (has_reply())
    self->receive([&](caf::down_msg& dm) {
      downs.push_back(dm.reason);
    });
  REQUIRE(downs.size() == 2);
  // The supervisor quits with our error; its other child was stopped.
  CHECK(std::count(downs.begin(), downs.end(),
                   caf::make_error(errc::restart_intensity_exceeded, "a"))
        == 1);
  CHECK(std::count(downs.begin(), downs.end(),
                   caf::error{caf::exit_reason::user_shutdown})
        == 1);
}

TEST_CASE_METHOD(fixture, "restarts spread over time stay within intensity") {
  auto sup = start({2, 60s});
  for (int i = 0; i < 5; ++i) {
    self->send(child(sup, "a"), std::string{"crash"});
    run();
    advance(31s);
  }
  CHECK(*a_starts == 6);
  CHECK(status(sup).restarts == 5);
}

TEST_CASE_METHOD(fixture, "drain waits for in-flight work, then stops all") {
  auto sup = start({});
  self->monitor(sup);
  self->send(child(sup, "a"), std::string{"work"});
  run();
  self->send(sup, drain_atom_v, caf::timespan{30s});
  run();
  // "a" is still busy: no answer yet.
  CHECK_FALSE(has_reply());
  advance(10s);
  CHECK(std::get<0>(next_reply<bool>()) == true);
  bool supervisor_down = false;
  self->receive([&](caf::down_msg& dm) {
    supervisor_down = dm.reason == caf::exit_reason::normal;
  });
  CHECK(supervisor_down);
}

TEST_CASE_METHOD(fixture, "drain gives up at the grace deadline") {
  auto sup = start({});
  self->send(child(sup, "a"), std::string{"work"});
  run();
  self->send(sup, drain_atom_v, caf::timespan{5s});
  run();
  CHECK_FALSE(has_reply());
  advance(5s);
  CHECK(std::get<0>(next_reply<bool>()) == false);
}

TEST_CASE_METHOD(fixture, "no restarts while draining") {
  auto sup = start({});
  self->send(child(sup, "a"), std::string{"work"});
  run();
  self->send(sup, drain_atom_v, caf::timespan{30s});
  run();
  self->send(child(sup, "a"), std::string{"crash"});
  run();
  CHECK(*a_starts == 1);
}
