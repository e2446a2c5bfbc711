// Reads recorded provider payloads from tests/fixtures/providers/.
#pragma once

#include "adapters/http/client.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

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

} // namespace ledgerd::test
