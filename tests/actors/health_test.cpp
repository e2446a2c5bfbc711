#include "actors/health.hpp"
#include "tests/support/deterministic_fixture.hpp"
#include "tests/support/quiet_log.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace std::chrono_literals;
using namespace ledgerd;

namespace {

struct fixture : test::deterministic_fixture {
  test::quiet_log quiet;

  /// What the fake probe answers next: nullopt = healthy.
  std::shared_ptr<std::optional<std::string>> answer
    = std::make_shared<std::optional<std::string>>();

  health_actor start() {
    auto a = answer;
    auto hdl = spawn(health, probe_fn{[a] {
                       return *a;
                     }},
                     caf::timespan{5s});
    run();
    return hdl;
  }

  db_health ask(const health_actor& hdl) {
    self->send(hdl, health_atom_v);
    run();
    return std::get<0>(next_reply<db_health>());
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "health probes at start and every interval") {
  auto hdl = start();
  auto h = ask(hdl);
  CHECK(h.ok);
  CHECK(h.probes == 1);
  advance(4s);
  CHECK(ask(hdl).probes == 1);
  advance(1s);
  CHECK(ask(hdl).probes == 2);
}

TEST_CASE_METHOD(fixture, "health reports failures and recovery") {
  auto hdl = start();
  *answer = "connection refused";
  advance(5s);
  advance(5s);
  auto h = ask(hdl);
  CHECK_FALSE(h.ok);
  CHECK(h.error == "connection refused");
  CHECK(h.failures_in_a_row == 2);
  answer->reset();
  advance(5s);
  h = ask(hdl);
  CHECK(h.ok);
  CHECK(h.error.empty());
  CHECK(h.failures_in_a_row == 0);
  CHECK(h.probes == 4);
}

TEST_CASE_METHOD(fixture, "health answers drain at once") {
  auto hdl = start();
  self->send(hdl, drain_atom_v);
  run();
  CHECK(std::get<0>(next_reply<bool>()));
}
