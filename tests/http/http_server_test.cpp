// The HTTP server over real sockets on 127.0.0.1 (port 0), driven by a small
// Beast client. Every wait is bounded: client operations by a socket
// deadline, hand-offs from the io thread by futures with wait_for.
#include "adapters/http/asio.hpp"
#include "adapters/http/server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

using namespace ledgerd::http;
using namespace std::chrono_literals;

namespace {

/// Upper bound for any single wait in these tests; never reached when the
/// server works.
constexpr auto deadline = std::chrono::seconds{10};

/// Waits for `fut` at most `deadline` and returns its value.
template<class T>
T await(std::future<T>& fut) {
  REQUIRE(fut.wait_for(deadline) == std::future_status::ready);
  return fut.get();
}

/// Hands one value from the io thread to the test thread.
template<class T>
class handoff {
public:
  void put(T x) {
    std::lock_guard guard{mtx_};
    if (!set_) {
      set_ = true;
      promise_.set_value(std::move(x));
    }
  }

  T take() {
    auto fut = promise_.get_future();
    return await(fut);
  }

private:
  std::mutex mtx_;
  bool set_ = false;
  std::promise<T> promise_;
};

using http_response = bhttp::response<bhttp::string_body>;

struct result {
  beast::error_code ec;
  http_response res;
};

/// A blocking HTTP/1.1 client; each call runs its own io_context until the
/// operation completes or the socket deadline passes.
class test_client {
public:
  explicit test_client(uint16_t port) {
    beast::error_code ec;
    stream_.expires_after(deadline);
    stream_.async_connect(
      tcp::endpoint{asio::ip::make_address("127.0.0.1"), port},
      [&](beast::error_code e) {
        ec = e;
      });
    run();
    if (ec)
      throw std::system_error(ec, "test client: connect");
  }

  result send(const std::string& method, const std::string& target,
              std::string body = {},
              std::vector<std::pair<std::string, std::string>> headers = {},
              bool chunked = false) {
    bhttp::request<bhttp::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(bhttp::field::host, "127.0.0.1");
    for (auto& [name, value] : headers)
      req.set(name, value);
    req.body() = std::move(body);
    if (chunked)
      req.chunked(true);
    else
      req.prepare_payload();
    result out;
    bhttp::response_parser<bhttp::string_body> parser;
    stream_.expires_after(deadline);
    bhttp::async_write(stream_, req, [&](beast::error_code ec, std::size_t) {
      if (ec) {
        out.ec = ec;
        return;
      }
      bhttp::async_read(stream_, buffer_, parser,
                        [&](beast::error_code ec, std::size_t) {
                          out.ec = ec;
                        });
    });
    run();
    if (!out.ec)
      out.res = parser.release();
    return out;
  }

  void write_raw(const std::string& data) {
    beast::error_code ec;
    stream_.expires_after(deadline);
    asio::async_write(stream_, asio::buffer(data),
                      [&](beast::error_code e, std::size_t) {
                        ec = e;
                      });
    run();
    REQUIRE_FALSE(ec);
  }

  /// Reads until `delim` arrived; returns everything read so far.
  std::string read_until(const std::string& delim) {
    beast::error_code ec;
    stream_.expires_after(deadline);
    asio::async_read_until(stream_, asio::dynamic_buffer(raw_), delim,
                           [&](beast::error_code e, std::size_t) {
                             ec = e;
                           });
    run();
    INFO(raw_);
    REQUIRE_FALSE(ec);
    return raw_;
  }

  /// Reads until the server closes; returns everything read so far and the
  /// error that ended the read (eof when the server closed cleanly).
  std::pair<std::string, beast::error_code> read_to_end() {
    beast::error_code ec;
    stream_.expires_after(deadline);
    asio::async_read(stream_, asio::dynamic_buffer(raw_),
                     [&](beast::error_code e, std::size_t) {
                       ec = e;
                     });
    run();
    return {raw_, ec};
  }

private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  std::string raw_;
};

nlohmann::json body_json(const http_response& res) {
  return nlohmann::json::parse(res.body());
}

/// Runs a client request on another thread (the test thread stays free to
/// answer through a responder).
std::future<result> send_async(uint16_t port, std::string method,
                               std::string target) {
  return std::async(std::launch::async, [=] {
    test_client client{port};
    return client.send(method, target);
  });
}

} // namespace

TEST_CASE("GET route answers with status, type and body") {
  server srv;
  srv.route("GET", "/hello", [](const request&, responder r) {
    r.respond(response::text(200, "hi"));
  });
  srv.route("POST", "/json", [](const request& req, responder r) {
    r.respond(response::json(201, {{"echo", req.body}}));
  });
  srv.start();
  REQUIRE(srv.port() != 0);
  test_client client{srv.port()};
  auto [ec, res] = client.send("GET", "/hello");
  REQUIRE_FALSE(ec);
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "hi");
  CHECK(res[bhttp::field::content_type] == "text/plain; charset=utf-8");
  auto [ec2, res2] = client.send("POST", "/json", "payload");
  REQUIRE_FALSE(ec2);
  CHECK(res2.result_int() == 201);
  CHECK(res2[bhttp::field::content_type] == "application/json");
  CHECK(body_json(res2) == nlohmann::json{{"echo", "payload"}});
}

TEST_CASE("path parameters, query and headers are decoded") {
  server srv;
  handoff<request> seen;
  srv.route("POST", "/webhooks/{provider}/{tenant}",
            [&](const request& req, responder r) {
              seen.put(req);
              r.respond(response::text(202, "ok"));
            });
  srv.start();
  test_client client{srv.port()};
  auto [ec, res] = client.send(
    "POST", "/webhooks/fort%20nox/t-1?a=1&b=x%20y&c=p+q&d&a=2&e=%zz", "{}",
    {{"X-Signature", "abc"}, {"Content-Type", "application/json"}});
  REQUIRE_FALSE(ec);
  CHECK(res.result_int() == 202);
  auto req = seen.take();
  CHECK(req.method == "POST");
  CHECK(req.path == "/webhooks/fort%20nox/t-1");
  CHECK(req.target == "/webhooks/fort%20nox/t-1?a=1&b=x%20y&c=p+q&d&a=2&e=%zz");
  CHECK(req.params
        == std::map<std::string, std::string>{{"provider", "fort nox"},
                                              {"tenant", "t-1"}});
  CHECK(req.query
        == std::map<std::string, std::string>{
          {"a", "2"}, {"b", "x y"}, {"c", "p q"}, {"d", ""}, {"e", "%zz"}});
  CHECK(req.headers.at("x-signature") == "abc");
  CHECK(req.header("Content-Type") == "application/json");
  CHECK(req.header("missing").empty());
  CHECK(req.body == "{}");
  CHECK(req.remote_address.rfind("127.0.0.1:", 0) == 0);
}

TEST_CASE("a literal segment beats a parameter") {
  server srv;
  srv.route("GET", "/items/{id}", [](const request& req, responder r) {
    r.respond(response::text(200, "param " + req.params.at("id")));
  });
  srv.route("GET", "/items/special", [](const request&, responder r) {
    r.respond(response::text(200, "literal"));
  });
  srv.start();
  test_client client{srv.port()};
  CHECK(client.send("GET", "/items/special").res.body() == "literal");
  CHECK(client.send("GET", "/items/7").res.body() == "param 7");
  // Exact segment matching: no prefix, no empty parameter, no extra segment.
  CHECK(client.send("GET", "/items").res.result_int() == 404);
  CHECK(client.send("GET", "/items/").res.result_int() == 404);
  CHECK(client.send("GET", "/items/7/x").res.result_int() == 404);
}

TEST_CASE("unknown path gets 404 JSON") {
  server srv;
  srv.route("GET", "/known", [](const request&, responder r) {
    r.respond(response::text(200, "ok"));
  });
  srv.start();
  test_client client{srv.port()};
  auto [ec, res] = client.send("GET", "/unknown?x=1");
  REQUIRE_FALSE(ec);
  CHECK(res.result_int() == 404);
  CHECK(res[bhttp::field::content_type] == "application/json");
  CHECK(body_json(res) == nlohmann::json{{"error", "not found"}});
  // The connection stays usable after a 404.
  CHECK(client.send("GET", "/known").res.result_int() == 200);
}

TEST_CASE("known path with another method gets 405 with Allow") {
  server srv;
  auto ok = [](const request&, responder r) {
    r.respond(response::text(200, "ok"));
  };
  srv.route("GET", "/items/{id}", ok);
  srv.route("PUT", "/items/{id}", ok);
  srv.start();
  test_client client{srv.port()};
  auto [ec, res] = client.send("POST", "/items/1", "x");
  REQUIRE_FALSE(ec);
  CHECK(res.result_int() == 405);
  CHECK(res[bhttp::field::allow] == "GET, PUT");
  CHECK(body_json(res) == nlohmann::json{{"error", "method not allowed"}});
}

TEST_CASE("oversized bodies get 413 and never reach the handler") {
  server_options opts;
  opts.max_body_bytes = 1024;
  server srv{opts};
  std::atomic<int> calls{0};
  srv.route("POST", "/upload", [&](const request& req, responder r) {
    ++calls;
    r.respond(response::text(200, std::to_string(req.body.size())));
  });
  srv.start();
  SECTION("a body at the limit is accepted") {
    test_client client{srv.port()};
    auto [ec, res] = client.send("POST", "/upload", std::string(1024, 'x'));
    REQUIRE_FALSE(ec);
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "1024");
    CHECK(calls == 1);
  }
  SECTION("Content-Length over the limit") {
    test_client client{srv.port()};
    auto [ec, res] = client.send("POST", "/upload", std::string(4096, 'x'));
    REQUIRE_FALSE(ec);
    CHECK(res.result_int() == 413);
    CHECK_FALSE(res.keep_alive());
    CHECK(body_json(res)
          == nlohmann::json{{"error", "request body too large"}});
    CHECK(calls == 0);
  }
  SECTION("chunked body over the limit") {
    test_client client{srv.port()};
    auto [ec, res]
      = client.send("POST", "/upload", std::string(4096, 'x'), {}, true);
    REQUIRE_FALSE(ec);
    CHECK(res.result_int() == 413);
    CHECK(calls == 0);
  }
  SECTION("Expect: 100-continue over the limit is refused before the body") {
    test_client client{srv.port()};
    client.write_raw("POST /upload HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    auto raw = client.read_until("\r\n\r\n");
    CHECK(raw.rfind("HTTP/1.1 413", 0) == 0);
    CHECK(calls == 0);
  }
}

TEST_CASE("Expect: 100-continue within the limit gets an interim response") {
  server srv;
  srv.route("POST", "/upload", [](const request& req, responder r) {
    r.respond(response::text(200, req.body));
  });
  srv.start();
  test_client client{srv.port()};
  client.write_raw("POST /upload HTTP/1.1\r\nHost: x\r\n"
                   "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  CHECK(client.read_until("\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n");
  client.write_raw("hello");
  auto raw = client.read_until("hello");
  CHECK(raw.find("HTTP/1.1 200 OK\r\n") != std::string::npos);
}

TEST_CASE("a responder may answer from another thread, once") {
  server srv;
  handoff<responder> pending;
  srv.route("GET", "/slow", [&](const request&, responder r) {
    pending.put(std::move(r));
  });
  srv.start();
  auto fut = send_async(srv.port(), "GET", "/slow");
  auto r = pending.take();
  CHECK_FALSE(r.responded());
  std::promise<std::pair<bool, bool>> answered;
  std::thread worker{[r, &answered] {
    auto first = r.respond(response::text(200, "from a worker"));
    auto second = r.respond(response::text(500, "ignored"));
    answered.set_value({first, second});
  }};
  worker.join();
  auto flags = answered.get_future().get();
  CHECK(flags.first);
  CHECK_FALSE(flags.second);
  CHECK(r.responded());
  auto [ec, res] = await(fut);
  REQUIRE_FALSE(ec);
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "from a worker");
}

TEST_CASE("a responder destroyed without an answer yields 500") {
  server srv;
  srv.route("GET", "/forget", [](const request&, responder) {
    // Drops the responder on the io thread.
  });
  std::vector<std::thread> workers; // touched on the io thread only
  srv.route("GET", "/forget-elsewhere", [&](const request&, responder r) {
    workers.emplace_back([r = std::move(r)] {});
  });
  srv.route("GET", "/throw", [](const request&, responder r) {
    auto keep = r; // the exception, not the drop, must produce the 500
    throw std::runtime_error("boom");
  });
  srv.start();
  test_client client{srv.port()};
  for (auto target : {"/forget", "/forget-elsewhere", "/throw"}) {
    INFO(target);
    auto [ec, res] = client.send("GET", target);
    REQUIRE_FALSE(ec);
    CHECK(res.result_int() == 500);
    CHECK(body_json(res).contains("error"));
  }
  srv.stop(); // joins the io thread: `workers` is ours now
  for (auto& t : workers)
    t.join();
}

TEST_CASE("a handler that never answers gets 503 after handler_timeout") {
  server_options opts;
  opts.handler_timeout = 100ms;
  server srv{opts};
  handoff<responder> pending;
  srv.route("GET", "/stuck", [&](const request&, responder r) {
    pending.put(std::move(r));
  });
  srv.route("GET", "/ok", [](const request&, responder r) {
    r.respond(response::text(200, "ok"));
  });
  srv.start();
  test_client client{srv.port()};
  auto [ec, res] = client.send("GET", "/stuck");
  REQUIRE_FALSE(ec);
  CHECK(res.result_int() == 503);
  CHECK(body_json(res) == nlohmann::json{{"error", "handler timeout"}});
  // A late answer goes nowhere; the connection serves the next request.
  auto late = pending.take();
  late.respond(response::text(200, "too late"));
  auto [ec2, res2] = client.send("GET", "/ok");
  REQUIRE_FALSE(ec2);
  CHECK(res2.body() == "ok");
}

TEST_CASE("keep-alive serves several requests on one connection") {
  server srv;
  srv.route("GET", "/peer", [](const request& req, responder r) {
    r.respond(response::text(200, req.remote_address));
  });
  srv.start();
  test_client client{srv.port()};
  auto first = client.send("GET", "/peer");
  auto second = client.send("GET", "/peer");
  REQUIRE_FALSE(first.ec);
  REQUIRE_FALSE(second.ec);
  CHECK(first.res.keep_alive());
  CHECK(second.res.keep_alive());
  CHECK(first.res.body() == second.res.body());
  auto last = client.send("GET", "/peer", {}, {{"Connection", "close"}});
  REQUIRE_FALSE(last.ec);
  CHECK_FALSE(last.res.keep_alive());
  auto [rest, ec] = client.read_to_end();
  CHECK(rest.empty());
  CHECK(ec == asio::error::eof);
}

TEST_CASE("connections over max_connections get 503") {
  server_options opts;
  opts.max_connections = 1;
  server srv{opts};
  srv.route("GET", "/ok", [](const request&, responder r) {
    r.respond(response::text(200, "ok"));
  });
  srv.start();
  test_client first{srv.port()};
  REQUIRE(first.send("GET", "/ok").res.result_int() == 200);
  test_client second{srv.port()};
  auto [ec, res] = second.send("GET", "/ok");
  REQUIRE_FALSE(ec);
  CHECK(res.result_int() == 503);
  CHECK(first.send("GET", "/ok").res.result_int() == 200);
}

TEST_CASE("a request that arrives too slowly is cut off") {
  server_options opts;
  opts.read_timeout = 200ms;
  server srv{opts};
  srv.start();
  test_client client{srv.port()};
  client.write_raw("GET / HTTP/1.1\r\nHost:");
  auto [rest, ec] = client.read_to_end();
  CHECK(rest.empty());
  CHECK(ec == asio::error::eof);
}

TEST_CASE("stop() with an unanswered handler closes cleanly") {
  handoff<responder> pending;
  responder kept; // outlives the server
  {
    server_options opts;
    opts.shutdown_grace = 100ms;
    server srv{opts};
    srv.route("GET", "/stuck", [&](const request&, responder r) {
      pending.put(std::move(r));
    });
    srv.start();
    auto fut = send_async(srv.port(), "GET", "/stuck");
    kept = pending.take();
    srv.stop();
    auto [ec, res] = await(fut);
    // Closed without an answer (or, if the close raced, an error status).
    CHECK((ec || res.result_int() >= 500));
    // Answering after stop() is harmless.
    kept.respond(response::text(200, "too late"));
    srv.stop(); // idempotent
  }
  kept = responder{}; // the last copy dies after the server
}

TEST_CASE("stop() lets an in-flight response finish") {
  server_options opts;
  opts.shutdown_grace = deadline;
  server srv{opts};
  handoff<responder> pending;
  srv.route("GET", "/slow", [&](const request&, responder r) {
    pending.put(std::move(r));
  });
  srv.start();
  auto port = srv.port();
  auto fut = send_async(port, "GET", "/slow");
  auto r = pending.take();
  std::thread stopper{[&] {
    srv.stop();
  }};
  r.respond(response::text(200, "finished"));
  stopper.join();
  auto [ec, res] = await(fut);
  REQUIRE_FALSE(ec);
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "finished");
  // Nothing listens any more.
  CHECK_THROWS(test_client{port});
}

TEST_CASE("stop() closes idle keep-alive connections") {
  server srv;
  srv.route("GET", "/ok", [](const request&, responder r) {
    r.respond(response::text(200, "ok"));
  });
  srv.start();
  test_client client{srv.port()};
  REQUIRE(client.send("GET", "/ok").res.keep_alive());
  srv.stop();
  auto [rest, ec] = client.read_to_end();
  CHECK(rest.empty());
  CHECK(ec == asio::error::eof);
}

TEST_CASE("binding a taken port throws with the address") {
  server first;
  first.start();
  server_options opts;
  opts.port = first.port();
  server second{opts};
  try {
    second.start();
    FAIL("start() on a taken port did not throw");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::address_in_use);
    CHECK_THAT(e.what(),
               Catch::Contains("127.0.0.1:" + std::to_string(first.port())));
  }
  second.stop(); // a server that never started stops quietly
}

TEST_CASE("routes are fixed once started") {
  server srv;
  CHECK_THROWS_AS(
    srv.route("GET", "no-slash", [](const request&, responder) {}),
    std::logic_error);
  CHECK_THROWS_AS(srv.route("GET", "/a/{", [](const request&, responder) {}),
                  std::logic_error);
  srv.start();
  CHECK_THROWS_AS(srv.route("GET", "/x", [](const request&, responder) {}),
                  std::logic_error);
  CHECK_THROWS_AS(srv.start(), std::logic_error);
}

TEST_CASE("server-sent events stream until closed") {
  server srv;
  handoff<stream> opened;
  srv.route_stream("/events", [&](const request&, stream s) {
    s.send("hello");
    opened.put(std::move(s));
  });
  srv.route_stream("/drop", [](const request&, stream) {
    // Dropping the last handle ends the response.
  });
  srv.start();
  SECTION("events arrive in order and close() ends the response") {
    test_client client{srv.port()};
    client.write_raw("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    auto head = client.read_until("\r\n\r\n");
    CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(head.find("Content-Type: text/event-stream\r\n")
          != std::string::npos);
    CHECK(head.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
    auto s = opened.take();
    CHECK(s.send("tick", "a\nb"));
    auto raw = client.read_until("event: tick\ndata: a\ndata: b\n\n");
    CHECK(raw.find("data: hello\n\n") < raw.find("event: tick"));
    for (int i = 0; i < 50; ++i)
      s.send("n" + std::to_string(i));
    raw = client.read_until("data: n49\n\n");
    for (int i = 1; i < 50; ++i)
      CHECK(raw.find("data: n" + std::to_string(i - 1) + "\n")
            < raw.find("data: n" + std::to_string(i) + "\n"));
    s.close();
    CHECK(s.closed());
    auto [all, ec] = client.read_to_end();
    CHECK(ec == asio::error::eof);
    CHECK(all.size() >= 5);
    CHECK(all.substr(all.size() - 5) == "0\r\n\r\n");
    CHECK(s.closed());
    CHECK_FALSE(s.send("after close"));
  }
  SECTION("stop() ends open streams") {
    test_client client{srv.port()};
    client.write_raw("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    client.read_until("data: hello\n\n");
    auto s = opened.take();
    srv.stop();
    auto [all, ec] = client.read_to_end();
    CHECK(ec == asio::error::eof);
    CHECK(s.closed());
    CHECK_FALSE(s.send("after stop"));
  }
  SECTION("dropping every handle ends the response") {
    test_client client{srv.port()};
    client.write_raw("GET /drop HTTP/1.1\r\nHost: x\r\n\r\n");
    auto [all, ec] = client.read_to_end();
    CHECK(ec == asio::error::eof);
    CHECK(all.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(all.substr(all.size() - 5) == "0\r\n\r\n");
  }
}

TEST_CASE("percent decoding and query parsing") {
  CHECK(percent_decode("a%20b%2Fc", false) == "a b/c");
  CHECK(percent_decode("a+b", false) == "a+b");
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK(percent_decode("%zz%4", false) == "%zz%4");
  CHECK(percent_decode("%", false) == "%");
  CHECK(parse_query("") == std::map<std::string, std::string>{});
  CHECK(parse_query("&x=1&&=2&y")
        == std::map<std::string, std::string>{{"x", "1"}, {"y", ""}});
  CHECK(parse_query("k%3D=v%26w")
        == std::map<std::string, std::string>{{"k=", "v&w"}});
}
