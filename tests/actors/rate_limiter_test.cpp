#include "actors/directory.hpp"
#include "actors/rate_limiter.hpp"
#include "tests/support/deterministic_fixture.hpp"
#include "tests/support/quiet_log.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace ledgerd;

namespace {

struct fixture : test::deterministic_fixture {
  test::quiet_log quiet;
  rate_limiter_actor lim;

  fixture() {
    lim = spawn(rate_limiter);
    run();
  }

  static grant_request request(std::vector<std::string> keys,
                               int16_t priority = 1, uint32_t limit = 25) {
    grant_request req;
    for (auto& k : keys)
      req.buckets.push_back({k, limit, caf::timespan{5s}, {}, false});
    req.priority = priority;
    req.max_wait = 60s;
    req.request_timeout = 30s;
    return req;
  }

  /// Sends `req`, runs, and returns the grant id if one came back at once.
  std::optional<uint64_t> ask(const grant_request& req) {
    self->send(lim, req);
    run();
    if (!has_reply())
      return std::nullopt;
    return std::get<0>(next_reply<grant>()).id;
  }

  void respond(uint64_t id, uint8_t outcome = grant_feedback::response,
               caf::timespan retry_after = {}) {
    grant_feedback fb;
    fb.grant = id;
    fb.outcome = outcome;
    fb.retry_after = retry_after;
    self->send(lim, fb);
    run();
  }

  std::vector<bucket_report> reports() {
    self->send(lim, caf::get_atom_v);
    run();
    return std::get<0>(next_reply<std::vector<bucket_report>>());
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "the limit holds within a window and frees after "
                          "it, counted from the responses") {
  std::vector<uint64_t> ids;
  for (int i = 0; i < 25; ++i) {
    auto id = ask(request({"a"}));
    REQUIRE(id);
    ids.push_back(*id);
  }
  CHECK_FALSE(ask(request({"a"}))); // the 26th waits
  advance(1s);
  for (auto id : ids)
    respond(id); // stamped at t = 1 s, not at the grant (t = 0)
  advance(4s);   // t = 5 s: a grant-time stamp would have freed slots now
  CHECK_FALSE(has_reply());
  advance(1s); // t = 6 s: the responses have left the window
  CHECK(has_reply());
  next_reply<grant>();
}

TEST_CASE_METHOD(fixture, "a slot stays in flight until its response") {
  auto id = ask(request({"b"}, 1, 1));
  REQUIRE(id);
  CHECK_FALSE(ask(request({"b"}, 1, 1)));
  advance(20s); // no response yet: the slot still counts
  CHECK_FALSE(has_reply());
  respond(*id);
  advance(5s);
  CHECK(has_reply());
}

TEST_CASE_METHOD(fixture, "a grant without feedback is stamped at its "
                          "deadline") {
  REQUIRE(ask(request({"c"}, 1, 1)));
  CHECK_FALSE(ask(request({"c"}, 1, 1)));
  advance(30s); // request_timeout: stamped at t = 30 s
  CHECK_FALSE(has_reply());
  advance(5s);
  CHECK(has_reply());
}

TEST_CASE_METHOD(fixture, "higher priority first, FIFO within a priority") {
  auto first = ask(request({"d"}, 1, 1));
  REQUIRE(first);
  // Waiting: backfill, poll #1, manual, poll #2.
  self->send(lim, request({"d"}, 0, 1));
  self->send(lim, request({"d"}, 1, 1));
  self->send(lim, request({"d"}, 3, 1));
  self->send(lim, request({"d"}, 1, 1));
  run();
  CHECK_FALSE(has_reply());
  auto reps = reports();
  REQUIRE(reps.size() == 1);
  CHECK(reps[0].waiters == std::vector<uint64_t>{1, 2, 0, 1});
  CHECK(reps[0].granted == 1);
  CHECK(reps[0].grants_last_minute == 1);
  // Release one slot at a time and see who gets it.
  std::vector<std::vector<uint64_t>> waiting;
  auto id = *first;
  for (int i = 0; i < 4; ++i) {
    respond(id);
    advance(5s);
    REQUIRE(has_reply());
    id = std::get<0>(next_reply<grant>()).id;
    waiting.push_back(reports()[0].waiters);
  }
  CHECK(waiting[0] == std::vector<uint64_t>{1, 2, 0, 0}); // manual went
  CHECK(waiting[1] == std::vector<uint64_t>{1, 1, 0, 0}); // then poll
  CHECK(waiting[2] == std::vector<uint64_t>{1, 0, 0, 0}); // then poll
  CHECK(waiting[3] == std::vector<uint64_t>{0, 0, 0, 0}); // backfill last
}

TEST_CASE_METHOD(fixture, "a request that waits past max_wait gets an "
                          "error") {
  REQUIRE(ask(request({"e"}, 1, 1)));
  auto req = request({"e"}, 1, 1);
  req.max_wait = 2s;
  self->send(lim, req);
  run();
  advance(2s);
  CHECK_THROWS_WITH(next_reply<grant>(), Catch::Contains("rate_limit_timeout"));
  CHECK(reports()[0].waiters == std::vector<uint64_t>{0, 0, 0, 0});
}

TEST_CASE_METHOD(fixture, "a dead requester leaves no waiter behind") {
  REQUIRE(ask(request({"f"}, 1, 1)));
  auto requester = sys.spawn([l = lim](caf::event_based_actor* me) {
    me->request(l, caf::infinite, request({"f"}, 1, 1))
      .then([](const grant&) {}, [](caf::error&) {});
  });
  run();
  CHECK(reports()[0].waiters == std::vector<uint64_t>{0, 1, 0, 0});
  caf::anon_send_exit(requester, caf::exit_reason::kill);
  run();
  CHECK(reports()[0].waiters == std::vector<uint64_t>{0, 0, 0, 0});
}

TEST_CASE_METHOD(fixture, "a 429 pauses the bucket; the retried request "
                          "keeps its place") {
  auto id = ask(request({"g"}, 1, 10));
  REQUIRE(id);
  respond(*id, grant_feedback::throttled, caf::timespan{3s});
  self->send(lim, request({"g"}, 1, 10)); // an ordinary request waits
  run();
  auto retry = request({"g"}, 1, 10);
  retry.retry = true; // the throttled one, asked again
  self->send(lim, retry);
  run();
  CHECK_FALSE(has_reply());
  CHECK(reports()[0].paused_for > caf::timespan{0});
  CHECK(reports()[0].throttled == 1);
  advance(3s);
  // Both are granted once the pause ends.
  CHECK(has_reply());
  next_reply<grant>();
  CHECK(has_reply());
  next_reply<grant>();
}

TEST_CASE_METHOD(fixture, "a composite grant takes from every bucket or from "
                          "none") {
  // Fill bucket "x" (limit 1).
  REQUIRE(ask(request({"x"}, 1, 1)));
  // A request under "x" and "y" must wait, and must not consume from "y".
  CHECK_FALSE(ask(request({"x", "y"}, 1, 1)));
  for (auto& r : reports())
    if (r.key == "y") {
      CHECK(r.remaining == 1);
      CHECK(r.in_flight == 0);
    }
  // "y" alone is still free: only the bucket that refused is held back.
  CHECK(ask(request({"y"}, 1, 1)));
}

TEST_CASE_METHOD(fixture, "a request without buckets is refused") {
  grant_request req;
  self->send(lim, req);
  run();
  CHECK_THROWS_WITH(next_reply<grant>(),
                    Catch::Contains("invalid_grant_request"));
}

TEST_CASE_METHOD(fixture, "quota headers of a response are honoured") {
  auto id = ask(request({"q"}, 1, 25));
  REQUIRE(id);
  // The provider says: limit 10, 2 left, reset in 4 s.
  grant_feedback fb;
  fb.grant = *id;
  fb.quota_limit = 10;
  fb.quota_remaining = 2;
  fb.quota_reset_in = 4s;
  self->send(lim, fb);
  run();
  auto rep = reports()[0];
  CHECK(rep.limit == 10);
  CHECK(rep.remaining == 2);
  CHECK(ask(request({"q"}, 1, 25)));
  CHECK(ask(request({"q"}, 1, 25)));
  CHECK_FALSE(ask(request({"q"}, 1, 25))); // the provider's quota is spent
}

TEST_CASE_METHOD(fixture, "the rate limiter drains at once") {
  self->send(lim, drain_atom_v);
  run();
  CHECK(std::get<0>(next_reply<bool>()));
}

TEST_CASE_METHOD(fixture, "requests of one priority are granted in arrival "
                          "order") {
  auto first = ask(request({"h"}, 1, 1));
  REQUIRE(first);
  auto order = std::make_shared<std::vector<int>>();
  // Three requesters of the same priority ask one after the other.
  for (int n = 1; n <= 3; ++n) {
    sys.spawn([l = lim, order, n](caf::event_based_actor* me) {
      me->request(l, caf::infinite, request({"h"}, 1, 1))
        .then(
          [me, l, order, n](const grant& g) {
            order->push_back(n);
            grant_feedback fb;
            fb.grant = g.id;
            me->send(l, fb);
          },
          [](caf::error&) {});
    });
    run();
  }
  respond(*first);
  for (int i = 0; i < 3; ++i)
    advance(5s);
  CHECK(*order == std::vector<int>{1, 2, 3});
}

TEST_CASE_METHOD(fixture, "a new limiter waits out the window a predecessor "
                          "may have used") {
  // Fortnox was used 2 s before this limiter started (a node killed and
  // restarted): its window of 5 s still counts those requests at the
  // provider until t = 3 s. Visma was not used within its window.
  auto after = spawn(
    reporting_rate_limiter_after, std::make_shared<const actor_directory>(),
    std::map<std::string, caf::timespan>{{"fortnox", caf::timespan{2s}},
                                         {"visma", caf::timespan{10min}}});
  run();
  auto send = [&](const std::string& key) {
    self->send(after, request({key}));
    run();
  };
  send("visma/client/customers");
  REQUIRE(has_reply());
  next_reply<grant>();
  send("fortnox/client/acme");
  CHECK_FALSE(has_reply());
  advance(2900ms);
  CHECK_FALSE(has_reply());
  advance(100ms);
  REQUIRE(has_reply());
  next_reply<grant>();
  // Once the window has passed, a bucket made later is not paused.
  send("fortnox/client/borg");
  CHECK(has_reply());
  next_reply<grant>();
}
