// Tests of the WebSocket client (adapters/http/ws_client.hpp) against the
// fake Topics server on loopback: URL parsing, a round trip, close by either
// side, the connect deadline and the idle/ping timeout.
#include "adapters/http/ws_client.hpp"
#include "tests/events/fake_topics_server.hpp"

#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>

using namespace ledgerd;
using namespace std::chrono_literals;

namespace {

/// Collects the callbacks of one connection; waits for them.
struct recorder {
  std::mutex mtx;
  std::condition_variable cv;
  int opened = 0;
  std::vector<std::string> texts;
  std::vector<std::string> closed;

  void connect(http::ws_client& c, const std::string& url) {
    c.connect(
      url,
      [this] {
        std::lock_guard g{mtx};
        ++opened;
        cv.notify_all();
      },
      [this](std::string t) {
        std::lock_guard g{mtx};
        texts.push_back(std::move(t));
        cv.notify_all();
      },
      [this](std::string why) {
        std::lock_guard g{mtx};
        closed.push_back(std::move(why));
        cv.notify_all();
      });
  }

  template<class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock{mtx};
    return cv.wait_for(lock, timeout, pred);
  }
};

} // namespace

TEST_CASE("ws URLs parse into scheme, host, port and target") {
  auto a = http::parse_ws_url("wss://ws.fortnox.se/topics-v1");
  REQUIRE(a);
  CHECK(a->tls);
  CHECK(a->host == "ws.fortnox.se");
  CHECK(a->port == "443");
  CHECK(a->target == "/topics-v1");
  auto b = http::parse_ws_url("ws://127.0.0.1:9100/fortnox/topics-v1?x=1");
  REQUIRE(b);
  CHECK_FALSE(b->tls);
  CHECK(b->port == "9100");
  CHECK(b->target == "/fortnox/topics-v1?x=1");
  auto c = http::parse_ws_url("ws://[::1]:81");
  REQUIRE(c);
  CHECK(c->host == "::1");
  CHECK(c->port == "81");
  CHECK(c->target == "/");
  for (auto bad : {"http://x/", "ws://", "ws://:80/", "ws://h:/", "ws://h:x1/",
                   "ws://[::1/", "ws://h:123456/"})
    CHECK_FALSE(http::parse_ws_url(bad));
}

TEST_CASE("ws client sends commands and receives answers") {
  test::fake_topics_server srv{{{"tok", 5}}};
  http::ws_client client;
  recorder rec;
  rec.connect(client, srv.url());
  REQUIRE(rec.wait([&] {
    return rec.opened == 1;
  }));
  client.send_text(R"({"command":"add-tenants-v1","clientSecret":"secret",)"
                   R"("accessTokens":["tok"]})");
  REQUIRE(rec.wait([&] {
    return rec.texts.size() == 1;
  }));
  auto res = nlohmann::json::parse(rec.texts[0]);
  CHECK(res["tenantIds"]["tok"] == 5);
  client.close();
  REQUIRE(rec.wait([&] {
    return rec.closed.size() == 1;
  }));
  CHECK(rec.closed[0] == "closed by client");
}

TEST_CASE("ws client reports a connection the peer dropped") {
  test::fake_topics_server srv{{}};
  http::ws_client client;
  recorder rec;
  rec.connect(client, srv.url());
  REQUIRE(rec.wait([&] {
    return rec.opened == 1;
  }));
  srv.drop();
  REQUIRE(rec.wait([&] {
    return rec.closed.size() == 1;
  }));
  // And it connects again on request.
  recorder again;
  again.connect(client, srv.url());
  REQUIRE(again.wait([&] {
    return again.opened == 1;
  }));
}

TEST_CASE("ws client gives up a handshake that never completes") {
  http::asio::io_context ioc;
  http::tcp::acceptor silent{ioc,
                             {http::asio::ip::make_address("127.0.0.1"), 0}};
  auto port = silent.local_endpoint().port();
  http::ws_options opts;
  opts.connect_timeout = 300ms;
  http::ws_client client{opts};
  recorder rec;
  rec.connect(client, "ws://127.0.0.1:" + std::to_string(port) + "/");
  REQUIRE(rec.wait([&] {
    return rec.closed.size() == 1;
  }));
  CHECK(rec.opened == 0);
  CHECK(rec.closed[0] == "connect timeout");
}

TEST_CASE("ws client notices a peer that stops answering pings") {
  test::fake_topics_server srv{{}};
  srv.go_silent();
  http::ws_options opts;
  opts.idle_timeout = 400ms;
  http::ws_client client{opts};
  recorder rec;
  rec.connect(client, srv.url());
  REQUIRE(rec.wait([&] {
    return rec.opened == 1;
  }));
  REQUIRE(rec.wait([&] {
    return rec.closed.size() == 1;
  }));
  CHECK(rec.closed[0] == "timeout");
}

TEST_CASE("ws client reports refused connections and bad URLs once") {
  http::ws_client client;
  recorder bad;
  bad.connect(client, "http://127.0.0.1/");
  REQUIRE(bad.wait([&] {
    return bad.closed.size() == 1;
  }));
  CHECK(bad.closed[0].find("invalid WebSocket URL") == 0);
  // A port nobody listens on (bound, then closed again).
  uint16_t port = 0;
  {
    http::asio::io_context ioc;
    http::tcp::acceptor a{ioc, {http::asio::ip::make_address("127.0.0.1"), 0}};
    port = a.local_endpoint().port();
  }
  recorder refused;
  refused.connect(client, "ws://127.0.0.1:" + std::to_string(port) + "/");
  REQUIRE(refused.wait([&] {
    return refused.closed.size() == 1;
  }));
  CHECK(refused.opened == 0);
}

TEST_CASE("wss never falls back to plain text") {
  // The fake server speaks plain WebSocket: it waits for an HTTP request
  // that never comes while the client waits for a TLS ServerHello.
  test::fake_topics_server srv{{}};
  http::ws_options opts;
  opts.connect_timeout = 500ms;
  http::ws_client client{opts};
  recorder rec;
  auto url = srv.url();
  url.replace(0, 2, "wss");
  rec.connect(client, url);
  REQUIRE(rec.wait([&] {
    return rec.closed.size() == 1;
  }));
  CHECK(rec.opened == 0);
}
