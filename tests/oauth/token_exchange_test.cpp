// OAuth token requests and the recorded token endpoint answers.
#include "adapters/oauth/token_exchange.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace ledgerd;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in{std::string{LEDGERD_SOURCE_DIR}
                   + "/tests/fixtures/providers/" + name};
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

http::client_result response(int status, std::string body) {
  http::client_result out;
  out.status = status;
  out.error = http::classify_status(status);
  out.body = std::move(body);
  return out;
}

} // namespace

TEST_CASE("a refresh request is form-encoded with basic client auth") {
  auto req = oauth::refresh_request("http://127.0.0.1:9/token", "client",
                                    "s3cret", "a7302e6b-x/y+z");
  CHECK(req.method == "POST");
  CHECK(req.url == "http://127.0.0.1:9/token");
  CHECK(req.body
        == "grant_type=refresh_token&refresh_token=a7302e6b-x%2Fy%2Bz");
  auto has = [&](std::string name, std::string value) {
    for (const auto& h : req.headers)
      if (h.first == name && h.second == value)
        return true;
    return false;
  };
  CHECK(has("Content-Type", "application/x-www-form-urlencoded"));
  // base64("client:s3cret")
  CHECK(has("Authorization", "Basic Y2xpZW50OnMzY3JldA=="));
}

TEST_CASE("a client credentials request names the Fortnox tenant") {
  auto req
    = oauth::client_credentials_request("http://x/token", "id", "sec", "29302");
  CHECK(req.body == "grant_type=client_credentials");
  CHECK(std::find(req.headers.begin(), req.headers.end(),
                  std::pair<std::string, std::string>{"TenantId", "29302"})
        != req.headers.end());
}

TEST_CASE("the recorded Fortnox token answers are read") {
  auto body = nlohmann::json::parse(fixture("fortnox/oauth_refresh_200.json"));
  // The fixture redacts tokens; it is still a complete token response.
  auto ok = oauth::parse_token_response(response(200, body.dump()));
  REQUIRE(ok.ok);
  CHECK_FALSE(ok.access_token.empty());
  CHECK_FALSE(ok.refresh_token.empty());
  CHECK(ok.expires_in == std::chrono::seconds{3600});
  auto grant = oauth::parse_token_response(
    response(400, fixture("fortnox/oauth_refresh_400_invalid_grant.json")));
  CHECK_FALSE(grant.ok);
  CHECK(grant.error == "invalid_grant");
  CHECK(grant.message == "Invalid refresh token");
  CHECK(grant.needs_reauth());
  auto client = oauth::parse_token_response(
    response(401, fixture("fortnox/oauth_refresh_401_invalid_client.json")));
  CHECK(client.error == "invalid_client");
  CHECK(client.needs_reauth());
}

TEST_CASE("token endpoint outages are transient, never a dead grant") {
  for (int status : {500, 502, 503, 429}) {
    auto r = oauth::parse_token_response(response(status, "<html>busy</html>"));
    CHECK(r.error == "transient");
    CHECK_FALSE(r.needs_reauth());
  }
  http::client_result down;
  down.error = http::failure::network;
  down.message = "connection refused";
  CHECK(oauth::parse_token_response(down).error == "transient");
  CHECK(oauth::parse_token_response(response(200, "not json")).error
        == "transient");
  CHECK(
    oauth::parse_token_response(response(200, "{\"token_type\":\"x\"}")).error
    == "transient");
}
