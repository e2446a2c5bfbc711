// The HTTP client against real loopback peers: our own http::server for
// well-behaved exchanges, raw Asio servers for faults. Assertions are about
// outcomes and counters, never about how fast something was.
#include "adapters/http/client.hpp"
#include "adapters/http/gzip.hpp"
#include "adapters/http/server.hpp"
#include "tests/http/raw_server.hpp"
#include "tests/support/quiet_log.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <vector>

using namespace ledgerd::http;
using namespace std::chrono_literals;
using ledgerd::test::answer_raw;
using ledgerd::test::delayer;
using ledgerd::test::quiet_log;
using ledgerd::test::raw_server;

namespace {

/// Bounds every exchange so that a broken client fails a test instead of
/// hanging it; never reached when the client works.
client_options test_options() {
  client_options opts;
  opts.connect_timeout = 5s;
  opts.read_timeout = 5s;
  opts.total_timeout = 10s;
  return opts;
}

std::string base_url(const server& srv) {
  return "http://127.0.0.1:" + std::to_string(srv.port());
}

client_request get(std::string url) {
  client_request req;
  req.url = std::move(url);
  return req;
}

/// Collects `n` completions from the io thread.
class collector {
public:
  explicit collector(std::size_t n)
    : expected_(n) {}

  completion callback() {
    return [this](client_result r) {
      std::lock_guard guard{mtx_};
      results_.push_back(std::move(r));
      cv_.notify_all();
    };
  }

  std::vector<client_result> wait() {
    std::unique_lock guard{mtx_};
    REQUIRE(cv_.wait_for(guard, 10s, [this] {
      return results_.size() >= expected_;
    }));
    return results_;
  }

private:
  std::size_t expected_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<client_result> results_;
};

std::string http_response(int status, std::string_view extra_headers,
                          std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\n"
         + std::string{extra_headers} + "Content-Length: "
         + std::to_string(body.size()) + "\r\n\r\n" + std::string{body};
}

} // namespace

TEST_CASE("GET against our server returns status headers and body") {
  server srv;
  srv.route("GET", "/hello", [](const request& req, responder r) {
    auto res = response::text(200, "hi " + req.header("host"));
    res.headers.emplace_back("X-Thing", "a");
    r.respond(std::move(res));
  });
  srv.start();
  client c{test_options()};
  auto r = c.send_sync(get(base_url(srv) + "/hello"));
  CHECK(r.ok());
  CHECK(r.status == 200);
  CHECK(r.body == "hi 127.0.0.1:" + std::to_string(srv.port()));
  CHECK(r.header("x-thing") == "a");
  CHECK(r.header("content-type") == "text/plain; charset=utf-8");
  CHECK_FALSE(r.maybe_sent);
  CHECK(r.elapsed.count() > 0);
}

TEST_CASE("POST sends body and caller headers") {
  server srv;
  srv.route("POST", "/echo", [](const request& req, responder r) {
    r.respond(response::text(201, req.body + "|" + req.header("x-custom") + "|"
                                    + req.header("user-agent") + "|"
                                    + req.header("accept-encoding")));
  });
  srv.start();
  client c{test_options()};
  client_request req;
  req.method = "POST";
  req.url = base_url(srv) + "/echo?x=1";
  req.body = "payload";
  req.headers = {{"X-Custom", "yes"}};
  auto r = c.send_sync(req);
  CHECK(r.ok());
  CHECK(r.status == 201);
  CHECK(r.body == "payload|yes|ledgerd|gzip");
}

TEST_CASE("statuses are classified and Retry-After is parsed") {
  server srv;
  srv.route("GET", "/status/{code}", [](const request& req, responder r) {
    auto code = std::stoi(req.params.at("code"));
    auto res = response::text(code, "s");
    if (code == 429)
      res.headers.emplace_back("Retry-After", "7");
    if (code == 503)
      res.headers.emplace_back("Retry-After", "3");
    r.respond(std::move(res));
  });
  srv.start();
  quiet_log quiet;
  client c{test_options()};
  auto status = [&](int code) {
    return c.send_sync(get(base_url(srv) + "/status/" + std::to_string(code)));
  };
  CHECK(status(200).error == failure::none);
  CHECK(status(204).error == failure::none);
  CHECK(status(401).error == failure::auth);
  CHECK(status(403).error == failure::auth);
  CHECK(status(404).error == failure::not_found);
  CHECK(status(409).error == failure::validation);
  CHECK(status(422).error == failure::validation);
  auto limited = status(429);
  CHECK(limited.error == failure::rate_limited);
  CHECK(limited.status == 429);
  CHECK(limited.retry_after == 7s);
  CHECK(status(500).error == failure::transient);
  auto unavailable = status(503);
  CHECK(unavailable.error == failure::transient);
  CHECK(unavailable.retry_after == 3s);
  CHECK(status(500).retry_after == 0s);
}

TEST_CASE("the server sees X-Request-Id equal to the result request id") {
  server srv;
  srv.route("GET", "/id", [](const request& req, responder r) {
    r.respond(response::text(200, req.header("x-request-id")));
  });
  srv.start();
  client c{test_options()};
  auto generated = c.send_sync(get(base_url(srv) + "/id"));
  CHECK(generated.ok());
  CHECK(generated.request_id.size() == 16);
  CHECK(generated.body == generated.request_id);
  auto again = c.send_sync(get(base_url(srv) + "/id"));
  CHECK(again.request_id != generated.request_id);
  auto req = get(base_url(srv) + "/id");
  req.request_id = "job-42";
  auto given = c.send_sync(req);
  CHECK(given.request_id == "job-42");
  CHECK(given.body == "job-42");
}

TEST_CASE("sequential requests reuse one keep-alive connection") {
  server srv;
  srv.route("GET", "/x", [](const request&, responder r) {
    r.respond(response::text(200, "x"));
  });
  srv.start();
  client c{test_options()};
  for (int i = 0; i < 3; ++i)
    REQUIRE(c.send_sync(get(base_url(srv) + "/x")).ok());
  auto st = c.stats();
  CHECK(st.connects == 1);
  CHECK(st.reused == 2);
  CHECK(st.open == 1);
  CHECK(st.queued == 0);
}

TEST_CASE("the pool limit holds and queued requests all complete") {
  delayer later;
  std::atomic<int> in_flight{0};
  std::atomic<int> peak{0};
  server srv;
  srv.route("GET", "/slow", [&](const request&, responder r) {
    auto now = ++in_flight;
    for (auto p = peak.load(); now > p && !peak.compare_exchange_weak(p, now);)
      ;
    later.after(20ms, [&in_flight, r] {
      --in_flight;
      r.respond(response::text(200, "slow"));
    });
  });
  srv.start();
  auto opts = test_options();
  opts.max_connections_per_host = 2;
  client c{opts};
  collector done{10};
  for (int i = 0; i < 10; ++i)
    c.send(get(base_url(srv) + "/slow"), done.callback());
  auto results = done.wait();
  REQUIRE(results.size() == 10);
  for (auto& r : results)
    CHECK(r.ok());
  auto st = c.stats();
  CHECK(st.connects <= 2);
  CHECK(st.reused >= 8);
  CHECK(st.queued == 0);
  CHECK(peak.load() <= 2);
}

TEST_CASE("gzip responses are inflated") {
  std::string text(10000, 'z');
  server srv;
  srv.route("GET", "/gz", [&](const request& req, responder r) {
    auto res = response::text(200, gzip_compress(text));
    res.headers.emplace_back("Content-Encoding", "gzip");
    res.headers.emplace_back("X-Saw-Accept", req.header("accept-encoding"));
    r.respond(std::move(res));
  });
  srv.start();
  client c{test_options()};
  auto r = c.send_sync(get(base_url(srv) + "/gz"));
  CHECK(r.ok());
  CHECK(r.header("x-saw-accept") == "gzip");
  CHECK(r.body == text);
}

TEST_CASE("a corrupt gzip response is a network failure") {
  server srv;
  srv.route("GET", "/gz", [](const request&, responder r) {
    auto res = response::text(200, "not gzip at all");
    res.headers.emplace_back("Content-Encoding", "gzip");
    r.respond(std::move(res));
  });
  srv.start();
  quiet_log quiet;
  client c{test_options()};
  auto r = c.send_sync(get(base_url(srv) + "/gz"));
  CHECK(r.error == failure::network);
  CHECK(r.status == 200);
}

TEST_CASE("large request bodies are sent gzip-compressed when allowed") {
  server srv;
  srv.route("POST", "/upload", [](const request& req, responder r) {
    auto inflated = req.header("content-encoding") == "gzip"
                      ? gzip_inflate(req.body, 1 << 20)
                      : std::optional<std::string>{req.body};
    r.respond(response::text(200, req.header("content-encoding") + "|"
                                    + std::to_string(req.body.size()) + "|"
                                    + inflated.value_or("CORRUPT")));
  });
  srv.start();
  auto opts = test_options();
  opts.gzip_request_min_bytes = 100;
  client c{opts};
  client_request req;
  req.method = "POST";
  req.url = base_url(srv) + "/upload";
  req.body = std::string(5000, 'a');
  req.allow_gzip_body = true;
  auto r = c.send_sync(req);
  REQUIRE(r.ok());
  auto prefix = r.body.substr(0, 5);
  CHECK(prefix == "gzip|");
  CHECK(r.body.size() < 5000 + 20);
  CHECK(r.body.substr(r.body.rfind('|') + 1) == req.body);
  SECTION("small or disallowed bodies go as they are") {
    req.allow_gzip_body = false;
    CHECK(c.send_sync(req).body == "|5000|" + req.body);
    req.allow_gzip_body = true;
    req.body = "short";
    CHECK(c.send_sync(req).body == "|5|short");
  }
}

TEST_CASE("connection refused is a network failure and not sent") {
  uint16_t port = 0;
  {
    boost::asio::io_context ioc;
    tcp::acceptor acc{ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}};
    port = acc.local_endpoint().port();
  }
  quiet_log quiet;
  client c{test_options()};
  auto r = c.send_sync(get("http://127.0.0.1:" + std::to_string(port) + "/"));
  CHECK(r.error == failure::network);
  CHECK(r.status == 0);
  CHECK_FALSE(r.maybe_sent);
  CHECK(r.message.find("connect to 127.0.0.1:") != std::string::npos);
  CHECK(c.stats().open == 0);
}

TEST_CASE("a peer that closes at once is a network failure") {
  raw_server peer{[](raw_server::socket_ptr s) {
    s->close();
  }};
  quiet_log quiet;
  client c{test_options()};
  auto r = c.send_sync(get(peer.url()));
  CHECK(r.error == failure::network);
  CHECK(r.status == 0);
}

TEST_CASE("a peer that never answers gives a timeout and maybe sent") {
  raw_server peer{[](raw_server::socket_ptr) {}};
  quiet_log quiet;
  SECTION("read timeout") {
    auto opts = test_options();
    opts.read_timeout = 200ms;
    client c{opts};
    auto r = c.send_sync(get(peer.url()));
    CHECK(r.error == failure::timeout);
    CHECK(r.maybe_sent);
    CHECK(c.stats().open == 0);
  }
  SECTION("total timeout of the request") {
    client c{test_options()};
    auto req = get(peer.url());
    req.method = "POST";
    req.total_timeout = 200ms;
    auto r = c.send_sync(req);
    CHECK(r.error == failure::timeout);
    CHECK(r.maybe_sent);
  }
}

TEST_CASE("a truncated body is a network failure") {
  raw_server peer{[](raw_server::socket_ptr s) {
    answer_raw(s,
               "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                 + std::string(50, 'x'),
               true);
  }};
  quiet_log quiet;
  client c{test_options()};
  auto r = c.send_sync(get(peer.url()));
  CHECK(r.error == failure::network);
  CHECK(r.message.find("truncated") != std::string::npos);
}

TEST_CASE("a malformed response is a network failure") {
  raw_server peer{[](raw_server::socket_ptr s) {
    answer_raw(s, "this is not http\r\n\r\n", true);
  }};
  quiet_log quiet;
  client c{test_options()};
  CHECK(c.send_sync(get(peer.url())).error == failure::network);
}

TEST_CASE("a body above max_response_bytes is a network failure") {
  raw_server peer{[](raw_server::socket_ptr s) {
    answer_raw(s, http_response(200, "", std::string(5000, 'b')), false);
  }};
  quiet_log quiet;
  auto opts = test_options();
  opts.max_response_bytes = 1000;
  client c{opts};
  auto r = c.send_sync(get(peer.url()));
  CHECK(r.error == failure::network);
  CHECK(r.message.find("larger than 1000") != std::string::npos);
}

TEST_CASE("a Connection close response is not reused") {
  raw_server peer{[](raw_server::socket_ptr s) {
    answer_raw(s, http_response(200, "Connection: close\r\n", "ok"), true);
  }};
  client c{test_options()};
  CHECK(c.send_sync(get(peer.url())).body == "ok");
  CHECK(c.send_sync(get(peer.url())).body == "ok");
  auto st = c.stats();
  CHECK(st.connects == 2);
  CHECK(st.reused == 0);
  CHECK(peer.accepted() == 2);
}

TEST_CASE("an idle connection the peer closed is not reused") {
  // Answers with keep-alive, then closes anyway.
  raw_server peer{[](raw_server::socket_ptr s) {
    answer_raw(s, http_response(200, "", "ok"), true);
  }};
  quiet_log quiet;
  client c{test_options()};
  REQUIRE(c.send_sync(get(peer.url())).ok());
  // Let the FIN arrive: the pool must notice it before reusing.
  std::this_thread::sleep_for(50ms);
  auto req = get(peer.url());
  req.method = "POST";
  auto r = c.send_sync(req);
  CHECK(r.ok());
  CHECK(c.stats().connects == 2);
  CHECK(c.stats().reused == 0);
}

TEST_CASE("a reused connection dropped before any response byte is retried "
          "once for idempotent methods") {
  raw_server peer{[](raw_server::socket_ptr s) {
    ledgerd::test::answer_then_drop(s, http_response(200, "", "ok"), 1);
  }};
  quiet_log quiet;
  client c{test_options()};
  REQUIRE(c.send_sync(get(peer.url())).ok());
  SECTION("GET goes again on a fresh connection") {
    auto r = c.send_sync(get(peer.url()));
    CHECK(r.ok());
    CHECK(c.stats().connects == 2);
    CHECK(c.stats().reused == 1);
  }
  SECTION("POST fails: its outcome is unknown") {
    auto req = get(peer.url());
    req.method = "POST";
    req.body = "x";
    auto r = c.send_sync(req);
    CHECK(r.error == failure::network);
    CHECK(r.maybe_sent);
    CHECK(c.stats().connects == 1);
  }
  SECTION("a GET that must not go twice (a rate-limited call) fails") {
    auto req = get(peer.url());
    req.retry_stale = false;
    auto r = c.send_sync(req);
    CHECK(r.error == failure::network);
    CHECK(c.stats().connects == 1);
  }
}

TEST_CASE("a malformed URL fails without a connection") {
  quiet_log quiet;
  client c{test_options()};
  for (auto url : {"", "ftp://x/", "http://", "http://host:99999/",
                   "http://a b/", "http://user@host/"}) {
    auto r = c.send_sync(get(url));
    CHECK(r.error == failure::network);
  }
  CHECK(c.stats().connects == 0);
}

TEST_CASE("a header with a line break is refused") {
  quiet_log quiet;
  client c{test_options()};
  auto req = get("http://127.0.0.1:1/");
  req.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  CHECK(c.send_sync(req).error == failure::network);
  CHECK(c.stats().connects == 0);
}

TEST_CASE("stop fails pending requests and later sends") {
  raw_server peer{[](raw_server::socket_ptr) {}};
  quiet_log quiet;
  std::atomic<int> calls{0};
  std::promise<client_result> first;
  auto fut = first.get_future();
  client c{test_options()};
  c.send(get(peer.url()), [&](client_result r) {
    ++calls;
    first.set_value(std::move(r));
  });
  // Wait until the request is on the wire so that stop meets it in flight.
  for (int i = 0; i < 500 && peer.accepted() == 0; ++i)
    std::this_thread::sleep_for(2ms);
  c.stop();
  REQUIRE(fut.wait_for(0s) == std::future_status::ready);
  auto r = fut.get();
  CHECK(r.error == failure::network);
  CHECK(r.message == "client stopped");
  CHECK(calls == 1);
  auto late = c.send_sync(get(peer.url()));
  CHECK(late.error == failure::network);
  CHECK(late.message == "client stopped");
  c.stop();
  CHECK(calls == 1);
}

TEST_CASE("completion runs exactly once per request") {
  server srv;
  srv.route("GET", "/x", [](const request&, responder r) {
    r.respond(response::text(200, "x"));
  });
  srv.start();
  quiet_log quiet;
  std::atomic<int> calls{0};
  {
    auto opts = test_options();
    opts.max_connections_per_host = 1;
    client c{opts};
    collector done{20};
    auto cb = done.callback();
    for (int i = 0; i < 20; ++i) {
      auto req = get(i % 4 == 3 ? "http://127.0.0.1:1/" : base_url(srv) + "/x");
      c.send(req, [&calls, cb](client_result r) {
        ++calls;
        cb(std::move(r));
      });
    }
    done.wait();
  }
  CHECK(calls == 20);
}

TEST_CASE("a request queued behind a busy connection times out in the queue") {
  raw_server peer{[](raw_server::socket_ptr) {}};
  quiet_log quiet;
  auto opts = test_options();
  opts.max_connections_per_host = 1;
  client c{opts};
  collector busy{1};
  c.send(get(peer.url()), busy.callback());
  auto req = get(peer.url());
  req.total_timeout = 200ms;
  auto r = c.send_sync(req);
  CHECK(r.error == failure::timeout);
  CHECK_FALSE(r.maybe_sent);
  auto st = c.stats();
  CHECK(st.queued == 0);
  CHECK(st.connects == 1);
  c.stop();
  CHECK(busy.wait().front().message == "client stopped");
}

TEST_CASE("a failed request is logged with its request id") {
  std::mutex mtx;
  std::vector<std::string> lines;
  ledgerd::log::set_sink([&](const std::string& line) {
    std::lock_guard guard{mtx};
    lines.push_back(line);
  });
  {
    client c{test_options()};
    auto req = get("http://127.0.0.1:1/path?token=secret");
    req.request_id = "req-77";
    CHECK(c.send_sync(req).error == failure::network);
  }
  ledgerd::log::set_sink({});
  std::lock_guard guard{mtx};
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("level=warn") != std::string::npos);
  CHECK(lines[0].find("request_id=req-77") != std::string::npos);
  CHECK(lines[0].find("path=/path") != std::string::npos);
  CHECK(lines[0].find("secret") == std::string::npos);
}

TEST_CASE("a connect that gets no answer times out and is not sent") {
  // A listener whose accept queue is full: Linux drops further SYNs, so the
  // client's connect hangs like one to an unreachable host.
  boost::asio::io_context ioc;
  tcp::acceptor acc{ioc};
  tcp::endpoint ep{boost::asio::ip::make_address("127.0.0.1"), 0};
  acc.open(ep.protocol());
  acc.bind(ep);
  acc.listen(0);
  auto port = acc.local_endpoint().port();
  std::vector<std::unique_ptr<tcp::socket>> fillers;
  for (int i = 0; i < 8; ++i) {
    // Raw non-blocking connects: Asio's would wait for completion.
    auto s = std::make_unique<tcp::socket>(ioc);
    s->open(tcp::v4());
    s->non_blocking(true);
    tcp::endpoint target{ep.address(), port};
    ::connect(s->native_handle(), target.data(), target.size());
    fillers.push_back(std::move(s));
  }
  quiet_log quiet;
  auto opts = test_options();
  opts.connect_timeout = 200ms;
  client c{opts};
  auto r = c.send_sync(get("http://127.0.0.1:" + std::to_string(port) + "/"));
  CHECK(r.error == failure::timeout);
  CHECK_FALSE(r.maybe_sent);
  CHECK(r.message.find("timed out") != std::string::npos);
}
