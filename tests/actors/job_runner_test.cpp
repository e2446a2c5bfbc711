#include "actors/job_runner.hpp"
#include "tests/support/deterministic_fixture.hpp"
#include "tests/support/quiet_log.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace ledgerd;

namespace {

const auto wall_t0 = std::chrono::system_clock::time_point{} + 1000h;

struct fixture : test::deterministic_fixture {
  test::quiet_log quiet;

  fixture() {
    auto o = std::make_shared<job_runner_options>();
    o->backoff.base = 1s;
    o->backoff.cap = 60s;
    o->wall_clock = [] {
      return wall_t0;
    };
    o->jitter = [] {
      return 0.5;
    };
    opts = o;
  }
  ~fixture() {}

  std::shared_ptr<job_registry> registry = std::make_shared<job_registry>();
  std::shared_ptr<const job_runner_options> opts;

  job make_job(std::string kind, int32_t attempt = 1, int32_t max = 3) {
    job j;
    j.id = 42;
    j.tenant = "acme";
    j.kind = std::move(kind);
    j.attempt = attempt;
    j.max_attempts = max;
    j.lease_owner = "node-a";
    return j;
  }

  caf::actor start(job j) {
    auto hdl = spawn(job_runner, std::move(j),
                     std::shared_ptr<const job_registry>{registry},
                     caf::actor_cast<caf::actor>(self), opts);
    run();
    return hdl;
  }

  job_outcome outcome() {
    return std::get<0>(next_reply<job_outcome>());
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "a successful run reports completed") {
  registry->add("noop", [](caf::event_based_actor*, const job&, job_done done) {
    done(job_result::success(R"({"pulled":3})"));
  });
  start(make_job("noop"));
  auto out = outcome();
  CHECK(out.id == 42);
  CHECK(out.lease_owner == "node-a");
  CHECK(out.attempt == 1);
  CHECK(out.next_state == "completed");
  CHECK(out.progress == R"({"pulled":3})");
  CHECK(out.error.empty());
}

TEST_CASE_METHOD(fixture, "a retryable failure is retried with backoff") {
  registry->add(
    "flaky", [](caf::event_based_actor*, const job&, job_done done) {
      done(job_result::failure(state::job_error::http_status(503, "down")));
    });
  start(make_job("flaky", 2, 3));
  auto out = outcome();
  CHECK(out.next_state == "pending");
  // attempt 2: ceiling min(60s, 1s * 2) = 2s, jitter 0.5 -> 1s.
  CHECK(out.run_at == wall_t0 + 1s);
  CHECK(out.error.find("503") != std::string::npos);
}

TEST_CASE_METHOD(fixture, "the last attempt and permanent errors fail") {
  registry->add("flaky",
                [](caf::event_based_actor*, const job&, job_done done) {
                  done(job_result::failure(state::job_error::network("reset")));
                });
  registry->add("bad", [](caf::event_based_actor*, const job&, job_done done) {
    done(job_result::failure(state::job_error::validation("no customer")));
  });
  start(make_job("flaky", 3, 3));
  CHECK(outcome().next_state == "failed");
  start(make_job("bad", 1, 3));
  auto out = outcome();
  CHECK(out.next_state == "failed");
  CHECK(out.error == "validation: no customer");
}

TEST_CASE_METHOD(fixture, "an unknown kind fails permanently") {
  start(make_job("nope"));
  auto out = outcome();
  CHECK(out.next_state == "failed");
  CHECK(out.error == "unknown job kind 'nope'");
}

TEST_CASE_METHOD(fixture, "a handler that throws gets a retry") {
  registry->add("boom", [](caf::event_based_actor*, const job&, job_done) {
    throw std::runtime_error("bug");
  });
  start(make_job("boom"));
  auto out = outcome();
  CHECK(out.next_state == "pending");
  CHECK(out.error == "handler threw: bug");
}

TEST_CASE_METHOD(fixture, "an asynchronous handler reports later, once") {
  registry->add(
    "slow", [](caf::event_based_actor* self, const job&, job_done done) {
      self->delayed_send(self, 10s, std::string{"done"});
      self->become([done](const std::string&) {
        done(job_result::success());
        done(job_result::failure(state::job_error::network("ignored")));
      });
    });
  start(make_job("slow"));
  CHECK_FALSE(has_reply());
  advance(10s);
  CHECK(outcome().next_state == "completed");
  CHECK_FALSE(has_reply());
}

TEST_CASE_METHOD(fixture, "a run past its deadline fails as retryable") {
  registry->add("hang", [](caf::event_based_actor*, const job&, job_done) {});
  auto hdl = start(make_job("hang"));
  advance(1h);
  CHECK_FALSE(has_reply());
  // The dispatcher's deadline tick.
  self->send(hdl, tick_atom_v);
  run();
  auto out = outcome();
  CHECK(out.next_state == "pending");
  CHECK(out.error.find("timeout") == 0);
}

TEST_CASE_METHOD(fixture, "a handler with its own behavior still times out") {
  registry->add("waits",
                [](caf::event_based_actor* self, const job&, job_done) {
                  self->become([](const std::string&) {});
                });
  auto hdl = start(make_job("waits"));
  self->send(hdl, tick_atom_v);
  run();
  auto out = outcome();
  CHECK(out.next_state == "pending");
  CHECK(out.error.find("timeout") == 0);
}
