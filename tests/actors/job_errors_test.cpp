// How a provider's refusal becomes a job's error (actors/sync_jobs.hpp):
// what is the record's fault fails it, what is the connection's waits.
#include "actors/sync_jobs.hpp"
#include "adapters/http/client.hpp"
#include "adapters/pg/error.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd;

namespace {

provider_failure refused(http::failure kind, int32_t status) {
  provider_failure f;
  f.kind = static_cast<uint8_t>(kind);
  f.status = status;
  f.message = "refused";
  return f;
}

} // namespace

TEST_CASE("a token refused even after a refresh does not fail the job") {
  // Found by scripts/soak: the tokens were revoked again between the
  // refresh and the retried request, and a customer push failed for good.
  auto err = job_error_of(refused(http::failure::auth, 401));
  CHECK(err.cls == state::error_class::retryable);
  CHECK(err.message == "provider 401: refused");
  auto reauth = refused(http::failure::auth, 400);
  reauth.needs_reauth = true;
  CHECK(job_error_of(reauth).cls != state::error_class::permanent);
}

TEST_CASE("no access token for now waits without spending a try") {
  // A token endpoint throttled or down (sim quirk oauth.token_limit): a
  // spent try per attempt would fail every job of the connection for good
  // during an outage of a few minutes.
  auto f = refused(http::failure::auth, 0);
  f.retryable = true;
  f.no_token = true;
  f.message = "token endpoint answered 429";
  auto err = job_error_of(f);
  CHECK(err.cls == state::error_class::waiting);
  CHECK(err.message
        == "waiting: no access token for now: token endpoint answered 429");
  CHECK(err.retry_after
        == std::optional{std::chrono::milliseconds{no_token_wait}});
}

TEST_CASE("a budget too busy to grant waits; a 429 spends a try") {
  // Found by scripts/soak 30: a pull on a saturated Fortnox tenant failed
  // for good with "no rate-limit grant" after its tries ran out waiting.
  auto busy = refused(http::failure::rate_limited, 0);
  busy.retryable = true;
  auto err = job_error_of(busy);
  CHECK(err.cls == state::error_class::waiting);
  CHECK(err.retry_after
        == std::optional{std::chrono::milliseconds{grant_busy_wait}});
  // The provider said 429: our budget was wrong, the try counts.
  auto throttled = refused(http::failure::rate_limited, 429);
  throttled.retryable = true;
  CHECK(job_error_of(throttled).cls == state::error_class::retryable);
}

TEST_CASE("a refusal of the record itself fails the job") {
  CHECK(job_error_of(refused(http::failure::validation, 400)).cls
        == state::error_class::permanent);
  CHECK(job_error_of(refused(http::failure::not_found, 404)).cls
        == state::error_class::permanent);
  auto busy = refused(http::failure::transient, 503);
  busy.retryable = true;
  CHECK(job_error_of(busy).cls == state::error_class::retryable);
}

TEST_CASE("a unique key taken meanwhile is retried, bad data fails the job") {
  // Found by scripts/soak: a push committed a record's link while a pull
  // linked the same record, and the pull failed for good.
  auto taken = pg::error{"links.save", "duplicate key value", "23505"};
  CHECK(job_error_of(taken).cls == state::error_class::retryable);
  auto null = pg::error{"links.save", "null value in column", "23502"};
  CHECK(job_error_of(null).cls == state::error_class::permanent);
  auto syntax = pg::error{"links.save", "invalid input syntax", "22P02"};
  CHECK(job_error_of(syntax).cls == state::error_class::permanent);
  CHECK(job_error_of(pg::error{"claim", "deadlock detected", "40P01"}).cls
        == state::error_class::retryable);
}

TEST_CASE("a database that cannot be reached waits without spending a try") {
  // Found by scripts/soak: pulls that met a PostgreSQL crash ("connect
  // failed") spent a try each and failed for good.
  auto down = pg::error{pg::error::kind::operation, "connect",
                        "connection refused", "08001", true};
  auto err = job_error_of(down);
  CHECK(err.cls == state::error_class::waiting);
  CHECK(err.retry_after
        == std::optional{std::chrono::milliseconds{database_wait}});
  CHECK(job_error_of(pg::error{"jobs.claim",
                               "terminating connection due to "
                               "administrator command",
                               "57P01"})
          .cls
        == state::error_class::waiting);
  // A statement the database refused is not an outage.
  CHECK(job_error_of(pg::error{"claim", "deadlock detected", "40P01"}).cls
        == state::error_class::retryable);
}
