#include "state/job_state.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace ledgerd::state;

namespace {

using time_point = std::chrono::system_clock::time_point;

const time_point t0 = time_point{} + 1'000'000h;

const job_state all_states[] = {job_state::pending, job_state::processing,
                                job_state::completed, job_state::failed};

const job_event all_events[] = {
  job_event::claim, job_event::complete, job_event::retry,
  job_event::fail,  job_event::cancel,   job_event::lease_expired,
};

// One row per (state, event): the legal target, or nullopt when illegal.
struct table_row {
  job_state from;
  job_event event;
  std::optional<job_state> target;
};

const table_row transition_table[] = {
  {job_state::pending, job_event::claim, job_state::processing},
  {job_state::pending, job_event::complete, std::nullopt},
  {job_state::pending, job_event::retry, std::nullopt},
  {job_state::pending, job_event::fail, std::nullopt},
  {job_state::pending, job_event::cancel, job_state::failed},
  {job_state::pending, job_event::lease_expired, std::nullopt},
  {job_state::processing, job_event::claim, std::nullopt},
  {job_state::processing, job_event::complete, job_state::completed},
  {job_state::processing, job_event::retry, job_state::pending},
  {job_state::processing, job_event::fail, job_state::failed},
  {job_state::processing, job_event::cancel, std::nullopt},
  {job_state::processing, job_event::lease_expired, job_state::pending},
  {job_state::completed, job_event::claim, std::nullopt},
  {job_state::completed, job_event::complete, std::nullopt},
  {job_state::completed, job_event::retry, std::nullopt},
  {job_state::completed, job_event::fail, std::nullopt},
  {job_state::completed, job_event::cancel, std::nullopt},
  {job_state::completed, job_event::lease_expired, std::nullopt},
  {job_state::failed, job_event::claim, std::nullopt},
  {job_state::failed, job_event::complete, std::nullopt},
  {job_state::failed, job_event::retry, std::nullopt},
  {job_state::failed, job_event::fail, std::nullopt},
  {job_state::failed, job_event::cancel, std::nullopt},
  {job_state::failed, job_event::lease_expired, std::nullopt},
};

template<class T>
std::string printed(const T& x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

backoff_params params(std::chrono::milliseconds base,
                      std::chrono::milliseconds cap) {
  backoff_params result;
  result.base = base;
  result.cap = cap;
  return result;
}

} // namespace

// -- states and events --------------------------------------------------------

TEST_CASE("job states use the spelling of the database CHECK constraint") {
  CHECK(to_string(job_state::pending) == "pending");
  CHECK(to_string(job_state::processing) == "processing");
  CHECK(to_string(job_state::completed) == "completed");
  CHECK(to_string(job_state::failed) == "failed");
  for (auto x : all_states)
    CHECK(parse_job_state(to_string(x)) == x);
  CHECK(parse_job_state("Pending") == std::nullopt);
  CHECK(parse_job_state("PENDING") == std::nullopt);
  CHECK(parse_job_state(" pending") == std::nullopt);
  CHECK(parse_job_state("") == std::nullopt);
  CHECK(parse_job_state("done") == std::nullopt);
  CHECK(printed(job_state::processing) == "processing");
}

TEST_CASE("only completed and failed are terminal") {
  CHECK_FALSE(is_terminal(job_state::pending));
  CHECK_FALSE(is_terminal(job_state::processing));
  CHECK(is_terminal(job_state::completed));
  CHECK(is_terminal(job_state::failed));
}

TEST_CASE("job events round-trip through their names") {
  CHECK(to_string(job_event::claim) == "claim");
  CHECK(to_string(job_event::complete) == "complete");
  CHECK(to_string(job_event::retry) == "retry");
  CHECK(to_string(job_event::fail) == "fail");
  CHECK(to_string(job_event::cancel) == "cancel");
  CHECK(to_string(job_event::lease_expired) == "lease_expired");
  for (auto x : all_events)
    CHECK(parse_job_event(to_string(x)) == x);
  CHECK(parse_job_event("expire") == std::nullopt);
  CHECK(printed(job_event::lease_expired) == "lease_expired");
}

// -- transitions --------------------------------------------------------------

TEST_CASE("the transition table covers every state and event") {
  // The table above lists each (state, event) pair exactly once.
  REQUIRE(std::size(transition_table)
          == std::size(all_states) * std::size(all_events));
  for (auto from : all_states)
    for (auto ev : all_events) {
      auto n = 0;
      for (const auto& row : transition_table)
        if (row.from == from && row.event == ev)
          ++n;
      CHECK(n == 1);
    }
}

TEST_CASE("transition follows the table for every state and event") {
  for (const auto& row : transition_table) {
    INFO(row.from << " --" << row.event << "-->");
    auto result = transition(row.from, row.event);
    if (row.target) {
      REQUIRE(result.has_value());
      CHECK(result.value() == *row.target);
      CHECK(result == transition_result{*row.target});
    } else {
      REQUIRE_FALSE(result.has_value());
      CHECK(result.error() == transition_error{row.from, row.event});
      auto message = to_string(result.error());
      CHECK_THAT(message, Catch::Contains(to_string(row.from)));
      CHECK_THAT(message, Catch::Contains(to_string(row.event)));
      CHECK_THAT(message, Catch::StartsWith("cannot "));
    }
  }
}

TEST_CASE("illegal transitions explain themselves") {
  auto result = transition(job_state::pending, job_event::complete);
  REQUIRE_FALSE(result);
  CHECK(to_string(result.error()) == "cannot complete a job that is pending");
  CHECK(printed(result) == "error: cannot complete a job that is pending");
  CHECK(to_string(transition(job_state::completed, job_event::claim).error())
        == "cannot claim a job that is completed");
  CHECK(to_string(transition(job_state::processing, job_event::cancel).error())
        == "cannot cancel a job that is processing");
  CHECK(
    to_string(transition(job_state::pending, job_event::lease_expired).error())
    == "cannot apply lease_expired to a job that is pending");
  CHECK(printed(transition(job_state::pending, job_event::claim))
        == "processing");
}

TEST_CASE("no event leaves a terminal state") {
  for (auto from : all_states)
    for (auto ev : all_events)
      if (is_terminal(from))
        CHECK_FALSE(transition(from, ev).has_value());
}

// -- priorities ---------------------------------------------------------------

TEST_CASE("job priorities carry the database values, higher runs first") {
  CHECK(to_db_value(job_priority::backfill) == 0);
  CHECK(to_db_value(job_priority::poll) == 1);
  CHECK(to_db_value(job_priority::event) == 2);
  CHECK(to_db_value(job_priority::manual) == 3);
  CHECK(job_priority::manual > job_priority::event);
  CHECK(job_priority::event > job_priority::poll);
  CHECK(job_priority::poll > job_priority::backfill);
  for (int i = 0; i <= 3; ++i) {
    auto x = job_priority_from_db(i);
    REQUIRE(x);
    CHECK(to_db_value(*x) == i);
  }
  CHECK(job_priority_from_db(-1) == std::nullopt);
  CHECK(job_priority_from_db(4) == std::nullopt);
}

TEST_CASE("job priorities round-trip through their names") {
  CHECK(to_string(job_priority::backfill) == "backfill");
  CHECK(to_string(job_priority::poll) == "poll");
  CHECK(to_string(job_priority::event) == "event");
  CHECK(to_string(job_priority::manual) == "manual");
  for (auto x : {job_priority::backfill, job_priority::poll,
                 job_priority::event, job_priority::manual})
    CHECK(parse_job_priority(to_string(x)) == x);
  CHECK(parse_job_priority("Manual") == std::nullopt);
  CHECK(parse_job_priority("3") == std::nullopt);
  CHECK(printed(job_priority::event) == "event");
}

// -- errors -------------------------------------------------------------------

TEST_CASE("classify_http_status") {
  using ec = error_class;
  struct row {
    int status;
    std::optional<ec> expected;
  };
  const row rows[] = {
    // Success is not an error.
    {200, std::nullopt},
    {201, std::nullopt},
    {204, std::nullopt},
    {299, std::nullopt},
    // Interim and redirect statuses: unexpected, asking again won't help.
    {100, ec::permanent},
    {199, ec::permanent},
    {301, ec::permanent},
    {302, ec::permanent},
    {304, ec::permanent},
    {307, ec::permanent},
    // Client errors are permanent, except timeout and rate limit.
    {400, ec::permanent},
    {401, ec::permanent},
    {403, ec::permanent},
    {404, ec::permanent},
    {405, ec::permanent},
    {408, ec::retryable},
    {409, ec::permanent},
    {410, ec::permanent},
    {415, ec::permanent},
    {422, ec::permanent},
    {428, ec::permanent},
    {429, ec::retryable},
    {499, ec::permanent},
    // Server errors are retryable.
    {500, ec::retryable},
    {501, ec::retryable},
    {502, ec::retryable},
    {503, ec::retryable},
    {504, ec::retryable},
    {599, ec::retryable},
    // Garbage off the wire.
    {0, ec::retryable},
    {-1, ec::retryable},
    {99, ec::retryable},
    {600, ec::retryable},
    {999, ec::retryable},
  };
  for (const auto& r : rows) {
    INFO("HTTP " << r.status);
    CHECK(classify_http_status(r.status) == r.expected);
  }
}

TEST_CASE("job_error named constructors") {
  auto e = job_error::unknown_kind("frobnicate");
  CHECK(e.cls == error_class::permanent);
  CHECK_FALSE(e.retryable());
  CHECK(e.message == "unknown job kind 'frobnicate'");
  CHECK(e.retry_after == std::nullopt);

  e = job_error::validation("invoice 7 has no customer");
  CHECK(e.cls == error_class::permanent);
  CHECK(e.message == "validation: invoice 7 has no customer");

  e = job_error::lease_lost();
  CHECK(e.cls == error_class::retryable);
  CHECK(e.retryable());
  CHECK(e.message == "lease lost");

  e = job_error::network("connection reset");
  CHECK(e.cls == error_class::retryable);
  CHECK(e.message == "network: connection reset");

  e = job_error::timeout("no response in 30s");
  CHECK(e.cls == error_class::retryable);
  CHECK(e.message == "timeout: no response in 30s");

  e = job_error::make_retryable("busy", 5s);
  CHECK(e == job_error{error_class::retryable, "busy", 5000ms});

  e = job_error::make_permanent("nope");
  CHECK(e == job_error{error_class::permanent, "nope", std::nullopt});
}

TEST_CASE("job_error::http_status classifies by status") {
  auto e = job_error::http_status(429, "quota exceeded", 55s);
  CHECK(e
        == job_error{error_class::retryable, "HTTP 429: quota exceeded", 55s});
  e = job_error::http_status(503, "unavailable");
  CHECK(e.cls == error_class::retryable);
  CHECK(e.retry_after == std::nullopt);
  e = job_error::http_status(404, "no such invoice");
  CHECK(e
        == job_error{error_class::permanent, "HTTP 404: no such invoice",
                     std::nullopt});
  // A success the caller cannot use (say, an undecodable body) won't improve.
  CHECK(job_error::http_status(200, "bad JSON").cls == error_class::permanent);
}

TEST_CASE("job_error prints class, message and retry_after") {
  CHECK(printed(job_error::http_status(503, "down", 2s))
        == "retryable: HTTP 503: down (retry_after=2000ms)");
  CHECK(printed(job_error::unknown_kind("x"))
        == "permanent: unknown job kind 'x'");
}

// -- retry or fail ------------------------------------------------------------

TEST_CASE("a permanent error fails the job at once") {
  auto b = params(1s, 60s);
  for (auto err : {job_error::validation("bad"), job_error::unknown_kind("x"),
                   job_error::http_status(400, "bad request"),
                   job_error::make_permanent("p")})
    for (int attempt = 1; attempt <= 5; ++attempt) {
      INFO(err << ", attempt " << attempt);
      auto d = on_failure(attempt, 5, err, t0, b, 0.5);
      CHECK(
        d
        == failure_decision{job_event::fail, job_state::failed, std::nullopt});
    }
}

TEST_CASE("a retryable error retries until attempts are exhausted") {
  auto b = params(1s, 60s);
  auto err = job_error::http_status(503, "down");
  for (int attempt = 1; attempt < 5; ++attempt) {
    INFO("attempt " << attempt);
    auto d = on_failure(attempt, 5, err, t0, b, 0.5);
    CHECK(d.event == job_event::retry);
    CHECK(d.next_state == job_state::pending);
    REQUIRE(d.run_at);
    CHECK(*d.run_at == next_run_at(t0, b, attempt, 0.5));
    CHECK(*d.run_at > t0);
  }
  // The try numbered max_attempts was the last one.
  CHECK(on_failure(5, 5, err, t0, b, 0.5)
        == failure_decision{job_event::fail, job_state::failed, std::nullopt});
  // More tries than allowed (max_attempts lowered meanwhile): fail.
  CHECK(on_failure(6, 5, err, t0, b, 0.5).next_state == job_state::failed);
}

TEST_CASE("retry delays grow with the attempt") {
  auto b = params(1s, 60s);
  auto err = job_error::network("reset");
  // u close to 1 puts each delay just below its ceiling: 1s, 2s, 4s, ...
  const double u = 0.999999;
  CHECK(on_failure(1, 10, err, t0, b, u).run_at == t0 + 999ms);
  CHECK(on_failure(2, 10, err, t0, b, u).run_at == t0 + 1999ms);
  CHECK(on_failure(3, 10, err, t0, b, u).run_at == t0 + 3999ms);
  CHECK(on_failure(7, 10, err, t0, b, u).run_at == t0 + 59999ms);
  CHECK(on_failure(9, 10, err, t0, b, u).run_at == t0 + 59999ms);
  CHECK(on_failure(3, 10, err, t0, b, 0.0).run_at == t0);
}

TEST_CASE("on_failure honours the provider's retry_after") {
  auto b = params(1s, 60s);
  // Later than any delay attempt 1 could draw: it wins.
  auto d = on_failure(1, 5, job_error::http_status(429, "slow down", 55s), t0,
                      b, 0.999);
  CHECK(d == failure_decision{job_event::retry, job_state::pending, t0 + 55s});
  // Earlier than the drawn delay: the backoff wins.
  d = on_failure(4, 5, job_error::make_retryable("busy", 1ms), t0, b, 0.5);
  CHECK(d.run_at == t0 + 4000ms);
  // A retry_after never rescues a job that is out of attempts.
  d = on_failure(5, 5, job_error::http_status(429, "slow down", 1s), t0, b,
                 0.5);
  CHECK(d.next_state == job_state::failed);
}

TEST_CASE("a waiting job goes back to pending without using an attempt") {
  auto b = params(1s, 60s);
  auto err = job_error::make_waiting("customer not pushed yet", 2s);
  CHECK(err.retryable());
  CHECK(err.cls == error_class::waiting);
  // Whatever the attempt, even the last one: back to pending, the try
  // given back, at the wait asked for (or the first backoff step if later).
  for (int attempt : {1, 4, 5, 50}) {
    INFO("attempt " << attempt);
    auto d = on_failure(attempt, 5, err, t0, b, 0.5);
    CHECK(d
          == failure_decision{job_event::retry, job_state::pending, t0 + 2s,
                              false});
  }
  CHECK(on_failure(5, 5, job_error::make_waiting("w", 1ms), t0, b, 0.999).run_at
        == t0 + 999ms);
  // Every other class uses its attempt.
  CHECK(
    on_failure(1, 5, job_error::make_retryable("r"), t0, b, 0.5).uses_attempt);
}

TEST_CASE("every on_failure decision is a legal transition from processing") {
  auto b = params(1s, 60s);
  for (auto err : {job_error::lease_lost(), job_error::validation("v")})
    for (int attempt = 1; attempt <= 3; ++attempt) {
      auto d = on_failure(attempt, 3, err, t0, b, 0.3);
      auto r = transition(job_state::processing, d.event);
      REQUIRE(r);
      CHECK(r.value() == d.next_state);
      CHECK(d.run_at.has_value() == (d.next_state == job_state::pending));
    }
}

TEST_CASE("on_failure treats out-of-range attempt counts defensively") {
  auto b = params(1s, 60s);
  auto err = job_error::network("reset");
  // attempt 0 counts as the first try.
  CHECK(on_failure(0, 3, err, t0, b, 0.5) == on_failure(1, 3, err, t0, b, 0.5));
  // max_attempts below 1 allows a single try.
  CHECK(on_failure(1, 0, err, t0, b, 0.5).next_state == job_state::failed);
  CHECK(on_failure(1, 1, err, t0, b, 0.5).next_state == job_state::failed);
  CHECK(on_failure(1, 2, err, t0, b, 0.5).next_state == job_state::pending);
}

TEST_CASE("an expired lease puts the job back; the first few are forgiven") {
  // Forgiven: back at once, the try not used, even on the last try.
  for (int losses = 0; losses < max_forgiven_lease_losses; ++losses) {
    auto d = on_lease_expired(3, 3, losses, t0);
    CHECK(d
          == failure_decision{job_event::lease_expired, job_state::pending, t0,
                              false});
    CHECK(transition(job_state::processing, d.event).value() == d.next_state);
  }
  // Beyond the bound the lost try counts again.
  auto n = max_forgiven_lease_losses;
  CHECK(on_lease_expired(1, 3, n, t0)
        == failure_decision{job_event::lease_expired, job_state::pending, t0});
  CHECK(on_lease_expired(2, 3, n + 7, t0).event == job_event::lease_expired);
  // The lost try was the last one.
  CHECK(on_lease_expired(3, 3, n, t0)
        == failure_decision{job_event::fail, job_state::failed, std::nullopt});
}

TEST_CASE("failure decisions print for diagnostics") {
  auto epoch = time_point{};
  CHECK(printed(failure_decision{job_event::retry, job_state::pending,
                                 epoch + 1500ms})
        == "failure_decision{retry -> pending, run_at=+1500ms}");
  CHECK(
    printed(failure_decision{job_event::fail, job_state::failed, std::nullopt})
    == "failure_decision{fail -> failed}");
}
