// A small synchronous Beast client for the simulator tests: one connection
// per request, so injected connection faults stay contained.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "sim/beast.hpp"

namespace ledgerd::sim::testing {

struct reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;

  nlohmann::json json() const {
    return nlohmann::json::parse(body);
  }
};

class client {
public:
  explicit client(uint16_t port)
    : port_(port) {}

  /// nullopt when the connection ended without a complete response.
  std::optional<reply>
  try_request(const std::string& method, const std::string& target,
              const std::string& body = {},
              const std::string& authorization = {},
              const std::string& content_type = "application/json") {
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    stream.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port_});
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method),
                                           target, 11};
    req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port_));
    if (!authorization.empty())
      req.set(bhttp::field::authorization, authorization);
    if (!body.empty())
      req.set(bhttp::field::content_type, content_type);
    req.body() = body;
    req.keep_alive(false);
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    beast::error_code ec;
    stream.expires_after(std::chrono::seconds{10});
    bhttp::read(stream, buffer, res, ec);
    if (ec)
      return std::nullopt;
    reply out;
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res)
      out.headers[to_string(f.name_string())] = to_string(f.value());
    return out;
  }

  reply request(const std::string& method, const std::string& target,
                const std::string& body = {},
                const std::string& authorization = {},
                const std::string& content_type = "application/json") {
    auto r = try_request(method, target, body, authorization, content_type);
    if (!r)
      throw std::runtime_error("connection closed: " + method + " " + target);
    return *r;
  }

  reply get(const std::string& target, const std::string& token = {}) {
    return request("GET", target, {}, token.empty() ? "" : "Bearer " + token);
  }

  reply send(const std::string& method, const std::string& target,
             const nlohmann::json& body, const std::string& token = {}) {
    return request(method, target, body.dump(),
                   token.empty() ? "" : "Bearer " + token);
  }

private:
  uint16_t port_;
};

/// A topics-v1 WebSocket client.
class topics_client {
public:
  explicit topics_client(uint16_t port)
    : ws_(ioc_) {
    beast::get_lowest_layer(ws_).connect(
      tcp::endpoint{asio::ip::make_address("127.0.0.1"), port});
    ws_.handshake("127.0.0.1:" + std::to_string(port), "/fortnox/topics-v1");
  }

  nlohmann::json call(const nlohmann::json& command) {
    ws_.write(asio::buffer(command.dump()));
    return next();
  }

  /// The next message; throws if none arrives within five seconds.
  nlohmann::json next() {
    // Async, because tcp_stream timeouts only apply to async operations.
    beast::flat_buffer buffer;
    beast::error_code result = asio::error::would_block;
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds{5});
    ws_.async_read(buffer, [&](beast::error_code ec, std::size_t) {
      result = ec;
    });
    ioc_.restart();
    ioc_.run();
    if (result)
      throw beast::system_error{result};
    return nlohmann::json::parse(beast::buffers_to_string(buffer.data()));
  }

private:
  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
};

} // namespace ledgerd::sim::testing
