// Small loopback servers for the HTTP client tests: a raw TCP server whose
// per-connection behaviour the test writes with plain Asio (to produce
// faults a well-behaved server never does), and a delayer that runs
// callbacks later on its own thread (for handlers that answer late without
// blocking the server's io thread).
#pragma once

#include "adapters/http/asio.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ledgerd::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

/// Accepts on 127.0.0.1 (ephemeral port) and hands each connection to
/// `behaviour` on the server's io thread. Sockets stay open until the server
/// is destroyed unless the behaviour closes them.
class raw_server {
public:
  using socket_ptr = std::shared_ptr<tcp::socket>;
  using behaviour = std::function<void(socket_ptr)>;

  explicit raw_server(behaviour b)
    : behaviour_(std::move(b)) {
    accept();
    thread_ = std::thread{[this] {
      ioc_.run();
    }};
  }

  ~raw_server() {
    asio::post(ioc_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      for (auto& s : sockets_)
        s->close(ec);
    });
    work_.reset();
    thread_.join();
  }

  raw_server(const raw_server&) = delete;
  raw_server& operator=(const raw_server&) = delete;

  uint16_t port() const {
    return port_;
  }

  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }

  /// Connections accepted so far (read on the test thread after the
  /// exchange; the count only grows).
  std::size_t accepted() const {
    return accepted_.load();
  }

private:
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec)
        return;
      ++accepted_;
      auto ptr = std::make_shared<tcp::socket>(std::move(s));
      sockets_.push_back(ptr);
      behaviour_(ptr);
      accept();
    });
  }

  behaviour behaviour_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_
    = asio::make_work_guard(ioc_);
  tcp::acceptor acceptor_{ioc_, {asio::ip::make_address("127.0.0.1"), 0}};
  uint16_t port_ = acceptor_.local_endpoint().port();
  std::vector<socket_ptr> sockets_;
  std::atomic<std::size_t> accepted_{0};
  std::thread thread_;
};

/// Reads one request head (a request without body) from `s`, then writes
/// `response`; closes the connection afterwards when `close_after`.
inline void answer_raw(raw_server::socket_ptr s, std::string response,
                       bool close_after) {
  auto in = std::make_shared<std::string>();
  asio::async_read_until(
    *s, asio::dynamic_buffer(*in), "\r\n\r\n",
    [s, in, response = std::move(response), close_after](beast::error_code ec,
                                                         std::size_t) mutable {
      if (ec)
        return;
      auto out = std::make_shared<std::string>(std::move(response));
      asio::async_write(
        *s, asio::buffer(*out),
        [s, out, in, close_after](beast::error_code ec, std::size_t) {
          if (ec)
            return;
          if (close_after) {
            s->shutdown(tcp::socket::shutdown_both, ec);
            s->close(ec);
            return;
          }
          // Keep-alive: serve the next request alike.
          answer_raw(s, *out, false);
        });
    });
}

/// Answers the first `answers` requests on `s` with `response` (keep-alive),
/// then reads one more request and closes without answering: a server that
/// dropped the connection just as the client reused it.
inline void answer_then_drop(raw_server::socket_ptr s, std::string response,
                             int answers) {
  auto in = std::make_shared<std::string>();
  asio::async_read_until(
    *s, asio::dynamic_buffer(*in), "\r\n\r\n",
    [s, in, response = std::move(response), answers](beast::error_code ec,
                                                     std::size_t) mutable {
      if (ec)
        return;
      if (answers == 0) {
        s->close(ec);
        return;
      }
      auto out = std::make_shared<std::string>(std::move(response));
      asio::async_write(*s, asio::buffer(*out),
                        [s, out, answers](beast::error_code ec, std::size_t) {
                          if (!ec)
                            answer_then_drop(s, *out, answers - 1);
                        });
    });
}

/// Runs callbacks after a delay on its own thread.
class delayer {
public:
  delayer() {
    thread_ = std::thread{[this] {
      ioc_.run();
    }};
  }

  ~delayer() {
    work_.reset();
    thread_.join();
  }

  delayer(const delayer&) = delete;
  delayer& operator=(const delayer&) = delete;

  void after(std::chrono::milliseconds d, std::function<void()> f) {
    asio::post(ioc_, [this, d, f = std::move(f)]() mutable {
      auto t = std::make_shared<asio::steady_timer>(ioc_, d);
      t->async_wait([t, f = std::move(f)](beast::error_code) {
        f();
      });
    });
  }

private:
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_
    = asio::make_work_guard(ioc_);
  std::thread thread_;
};

} // namespace ledgerd::test
