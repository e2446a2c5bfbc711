#include "state/iso_time.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd::state;
using namespace std::chrono;

TEST_CASE("ISO 8601 UTC times round-trip to the second") {
  auto t = parse_iso_utc("2024-05-01T10:00:07Z");
  REQUIRE(t);
  CHECK(format_iso_utc(*t) == "2024-05-01T10:00:07Z");
  CHECK(parse_iso_utc("2024-05-01") == sys_days{year{2024} / 5 / 1});
  CHECK(parse_iso_utc("2024-05-01T10:00:07.123Z") == t);
  CHECK_FALSE(parse_iso_utc("2024-02-30"));
  CHECK_FALSE(parse_iso_utc("yesterday"));
}

TEST_CASE("an HTTP Date in IMF-fixdate form is the server's clock") {
  // The Date of a real Fortnox answer (provider-fixtures).
  CHECK(parse_http_date("Tue, 31 Jan 2023 11:39:51 GMT")
        == parse_iso_utc("2023-01-31T11:39:51Z"));
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
        == parse_iso_utc("1994-11-06T08:49:37Z"));
  CHECK(parse_http_date("Thu, 29 Feb 2024 23:59:59 GMT")
        == parse_iso_utc("2024-02-29T23:59:59Z"));
  // Obsolete forms, other zones, bad dates and junk are no clock.
  CHECK_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun Nov  6 08:49:37 1994"));
  CHECK_FALSE(parse_http_date("Tue, 31 Jan 2023 11:39:51 CET"));
  CHECK_FALSE(parse_http_date("Fri, 30 Feb 2024 10:00:00 GMT"));
  CHECK_FALSE(parse_http_date("Tue, 31 Foo 2023 11:39:51 GMT"));
  CHECK_FALSE(parse_http_date("Tue, 31 Jan 2023 24:00:00 GMT"));
  CHECK_FALSE(parse_http_date(""));
  CHECK_FALSE(parse_http_date("Tue, 3x Jan 2023 11:39:51 GMT"));
}
