// gzip helpers: round trips, limits and corrupt input.
#include "adapters/http/gzip.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace ledgerd::http;

TEST_CASE("gzip round trip keeps the data") {
  for (std::string x : {std::string{}, std::string{"a"},
                        std::string(100000, 'q'), std::string{"hello\0w", 7}}) {
    auto packed = gzip_compress(x);
    REQUIRE(packed.size() >= 18); // header and trailer
    CHECK(static_cast<unsigned char>(packed[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(packed[1]) == 0x8b);
    CHECK(gzip_inflate(packed, x.size()) == x);
  }
}

TEST_CASE("gzip inflate refuses output above the limit") {
  auto packed = gzip_compress(std::string(100000, 'q'));
  CHECK_FALSE(gzip_inflate(packed, 99999));
  CHECK(gzip_inflate(packed, 100000));
}

TEST_CASE("gzip inflate rejects corrupt and truncated input") {
  auto packed = gzip_compress(std::string(1000, 'x') + "tail");
  CHECK_FALSE(gzip_inflate("not gzip", 1000));
  CHECK_FALSE(gzip_inflate("", 1000));
  CHECK_FALSE(gzip_inflate(packed.substr(0, packed.size() - 4), 10000));
  auto flipped = packed;
  flipped[flipped.size() / 2] ^= 0x55;
  CHECK_FALSE(gzip_inflate(flipped, 10000));
  CHECK_FALSE(gzip_inflate(packed + "junk", 10000));
}

TEST_CASE("gzip inflate accepts concatenated members") {
  auto packed = gzip_compress("ab") + gzip_compress("cd");
  CHECK(gzip_inflate(packed, 100) == "abcd");
}
