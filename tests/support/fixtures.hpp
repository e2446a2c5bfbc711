// Provider adapter tests: recorded payloads from tests/fixtures/providers/,
// canned responses, and unwrapping adapter outcomes.
#pragma once

#include "adapters/http/client.hpp"
#include "adapters/provider/provider.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <variant>

namespace ledgerd::test {

inline std::string fixture(const std::string& relative) {
  std::ifstream in{std::string{LEDGERD_SOURCE_DIR}
                   + "/tests/fixtures/providers/" + relative};
  REQUIRE(in.good());
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// A received response with `status` and `body`.
inline http::client_result response(int status, std::string body) {
  http::client_result res;
  res.status = status;
  res.error = http::classify_status(status);
  res.body = std::move(body);
  return res;
}

/// The value of a successful outcome; fails the test with the error's
/// message otherwise.
template<class T>
const T& ok(const provider::outcome<T>& x) {
  if (auto err = std::get_if<provider::error>(&x))
    FAIL("error: " << err->message);
  return std::get<T>(x);
}

/// The error of a failed outcome; fails the test otherwise.
template<class T>
const provider::error& failed(const provider::outcome<T>& x) {
  REQUIRE(std::holds_alternative<provider::error>(x));
  return std::get<provider::error>(x);
}

} // namespace ledgerd::test
