#include "state/retry_after.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace ledgerd::state;

TEST_CASE("Retry-After in delay-seconds form", "[limiter]") {
  CHECK(parse_retry_after("7") == 7s);
  CHECK(parse_retry_after("0") == 0s);
  CHECK(parse_retry_after("  120 \r\n") == 120s);
  CHECK(parse_retry_after("Retry-After: 7") == 7s);
  CHECK(parse_retry_after("retry-after:30") == 30s);
  CHECK(parse_retry_after("RETRY-AFTER :  5 ") == 5s);
  CHECK(parse_retry_after("4294967296") == 4294967296s);
}

TEST_CASE("Retry-After junk is no hint", "[limiter]") {
  CHECK(parse_retry_after("") == std::nullopt);
  CHECK(parse_retry_after("   ") == std::nullopt);
  CHECK(parse_retry_after("-1") == std::nullopt);
  CHECK(parse_retry_after("+3") == std::nullopt);
  CHECK(parse_retry_after("1.5") == std::nullopt);
  CHECK(parse_retry_after("7s") == std::nullopt);
  CHECK(parse_retry_after("seven") == std::nullopt);
  CHECK(parse_retry_after("Retry-After:") == std::nullopt);
  CHECK(parse_retry_after("Retry-After 7") == std::nullopt);
  CHECK(parse_retry_after("X-Retry-After: 7") == std::nullopt);
  // HTTP-dates need the wall clock: converted at the edge, not here.
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == std::nullopt);
  // Beyond 2^32 seconds, and digits that would overflow 64 bits.
  CHECK(parse_retry_after("4294967297") == std::nullopt);
  CHECK(parse_retry_after("99999999999999999999999999") == std::nullopt);
}

TEST_CASE("try again in N seconds", "[limiter]") {
  CHECK(parse_try_again_in("Try again in 3 seconds") == 3000ms);
  // Visma's 429 message.
  CHECK(parse_try_again_in("API calls quota exceeded! maximum admitted 600 "
                           "per Minute. Try again in 55 seconds.")
        == 55s);
  CHECK(parse_try_again_in("try again in 1 second.") == 1s);
  CHECK(parse_try_again_in("TRY AGAIN IN 10s") == 10s);
  CHECK(parse_try_again_in("Please try again in 2 minutes") == 2min);
  CHECK(parse_try_again_in("try again in 1 min") == 1min);
  CHECK(parse_try_again_in("try again in 250 ms") == 250ms);
  CHECK(parse_try_again_in("try again in 4") == 4s);
  CHECK(parse_try_again_in("try again in  5 secs, thanks") == 5s);
  CHECK(parse_try_again_in("Rate limited; retry after 30 seconds") == 30s);
  CHECK(parse_try_again_in("retry in 2 sec") == 2s);
}

TEST_CASE("fractions round up to whole milliseconds", "[limiter]") {
  CHECK(parse_try_again_in("try again in 2.5 seconds") == 2500ms);
  CHECK(parse_try_again_in("try again in 0.0001 seconds") == 1ms);
  CHECK(parse_try_again_in("try again in 1.0000000001 s") == 1001ms);
  CHECK(parse_try_again_in("try again in 1.25 minutes") == 75s);
  CHECK(parse_try_again_in("try again in 0.5 ms") == 1ms);
}

TEST_CASE("messages without a usable hint", "[limiter]") {
  CHECK(parse_try_again_in("") == std::nullopt);
  CHECK(parse_try_again_in("Too Many Requests") == std::nullopt);
  CHECK(parse_try_again_in("try again later") == std::nullopt);
  CHECK(parse_try_again_in("try again in a moment") == std::nullopt);
  CHECK(parse_try_again_in("try again in -3 seconds") == std::nullopt);
  CHECK(parse_try_again_in("try again in 3 hours") == std::nullopt);
  CHECK(parse_try_again_in("retry instantly 5 seconds") == std::nullopt);
  CHECK(parse_try_again_in("try again in 99999999999999999999 seconds")
        == std::nullopt);
  // A later phrase still counts when an earlier one has no number.
  CHECK(parse_try_again_in("try again in a bit (try again in 8 seconds)")
        == 8s);
}

TEST_CASE("the Retry-After header wins over the message", "[limiter]") {
  CHECK(parse_retry_hint("7", "Try again in 55 seconds.") == 7s);
  CHECK(parse_retry_hint("", "Try again in 55 seconds.") == 55s);
  CHECK(parse_retry_hint("soon", "Try again in 55 seconds.") == 55s);
  CHECK(parse_retry_hint("", "quota exceeded") == std::nullopt);
}
