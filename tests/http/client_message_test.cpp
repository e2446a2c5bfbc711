// URL parsing and request building of the HTTP client (pure parts).
#include "adapters/http/client_message.hpp"
#include "adapters/http/gzip.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace ledgerd::http;
using namespace ledgerd::http::detail;

namespace {

std::string field(const request_message& msg, std::string_view name) {
  auto it = msg.find(beast::string_view{name.data(), name.size()});
  return it == msg.end() ? "" : std::string{it->value()};
}

} // namespace

TEST_CASE("parse_url splits scheme host port and target") {
  auto u = parse_url("https://API.Example.com/v1/x?a=1#frag");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->host == "api.example.com");
  CHECK(u->port == 443);
  CHECK(u->target == "/v1/x?a=1");
  CHECK(u->path() == "/v1/x");
  CHECK(u->key() == "https://api.example.com:443");
  CHECK(u->host_field() == "api.example.com");
  auto p = parse_url("http://127.0.0.1:8080?q=1");
  REQUIRE(p);
  CHECK_FALSE(p->tls);
  CHECK(p->port == 8080);
  CHECK(p->target == "/?q=1");
  CHECK(p->host_field() == "127.0.0.1:8080");
  auto v6 = parse_url("http://[::1]:81/");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->authority() == "[::1]:81");
  CHECK(v6->host_field() == "[::1]:81");
}

TEST_CASE("parse_url rejects what the client cannot send") {
  for (auto url :
       {"", "example.com/x", "ftp://x/", "http://", "http://:80/",
        "http://x:0/", "http://x:65536/", "http://x:8a/", "http://u:p@x/",
        "http://a b/", "http://x/\r\n", "http://[::1/"})
    CHECK_FALSE(parse_url(url));
}

TEST_CASE("build_message sets managed fields unless given") {
  client_options opts;
  client_request req;
  req.method = "POST";
  req.body = "{}";
  req.headers = {{"Accept-Encoding", "identity"}, {"X-A", "1"}};
  auto url = *parse_url("http://h:8080/p");
  auto msg = build_message(req, url, "id-1", opts);
  CHECK(std::string{msg.method_string()} == "POST");
  CHECK(std::string{msg.target()} == "/p");
  CHECK(field(msg, "Host") == "h:8080");
  CHECK(field(msg, "Accept-Encoding") == "identity");
  CHECK(field(msg, "User-Agent") == "ledgerd");
  CHECK(field(msg, "X-Request-Id") == "id-1");
  CHECK(field(msg, "X-A") == "1");
  CHECK(field(msg, "Content-Length") == "2");
  CHECK(field(msg, "Content-Encoding").empty());
}

TEST_CASE("build_message compresses large bodies when allowed") {
  client_options opts;
  opts.gzip_request_min_bytes = 10;
  client_request req;
  req.method = "PUT";
  req.body = std::string(1000, 'a');
  req.allow_gzip_body = true;
  auto msg = build_message(req, *parse_url("http://h/"), "i", opts);
  CHECK(field(msg, "Content-Encoding") == "gzip");
  CHECK(field(msg, "Content-Length") == std::to_string(msg.body().size()));
  CHECK(gzip_inflate(msg.body(), 1000) == req.body);
}

TEST_CASE("build_message sends Content-Length 0 for an empty PATCH only") {
  client_options opts;
  client_request req;
  req.method = "PATCH";
  CHECK(field(build_message(req, *parse_url("http://h/"), "i", opts),
              "Content-Length")
        == "0");
  req.method = "GET";
  CHECK(field(build_message(req, *parse_url("http://h/"), "i", opts),
              "Content-Length")
          .empty());
}

TEST_CASE("build_message refuses header injection and bad methods") {
  client_options opts;
  auto url = *parse_url("http://h/");
  client_request req;
  req.headers = {{"X", "a\r\nB: c"}};
  CHECK_THROWS_AS(build_message(req, url, "i", opts), std::invalid_argument);
  req.headers = {{"Bad Name", "v"}};
  CHECK_THROWS_AS(build_message(req, url, "i", opts), std::invalid_argument);
  req.headers = {};
  req.method = "GE T";
  CHECK_THROWS_AS(build_message(req, url, "i", opts), std::invalid_argument);
}

TEST_CASE("request_id_of prefers the field then the header") {
  client_request req;
  CHECK(request_id_of(req).size() == 16);
  req.headers = {{"x-request-id", "from-header"}};
  CHECK(request_id_of(req) == "from-header");
  req.request_id = "from-field";
  CHECK(request_id_of(req) == "from-field");
}
