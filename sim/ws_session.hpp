// One Fortnox topics-v1 WebSocket connection: add-tenants-v1,
// add-topics-v1 (with replay offsets), subscribe-v1, remove-tenants-v1.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>

#include "sim/beast.hpp"
#include "sim/world.hpp"

namespace ledgerd::sim {

class ws_session : public std::enable_shared_from_this<ws_session> {
public:
  ws_session(tcp::socket socket, world& w);

  /// Completes the upgrade `req` asked for.
  void run(bhttp::request<bhttp::string_body> req);

  /// Sends `ev` if this connection subscribed to its tenant and topic.
  void deliver(const topic_event& ev);

  /// Drops the connection without a close frame, like a network failure.
  void drop();

private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec);
  void handle(const std::string& text);
  nlohmann::json add_tenants(const nlohmann::json& cmd);
  nlohmann::json add_topics(const nlohmann::json& cmd);
  void replay();
  void send(std::string text);
  void do_write();

  websocket::stream<beast::tcp_stream> ws_;
  world& world_;
  bhttp::request<bhttp::string_body> upgrade_;
  beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
  std::set<int64_t> tenants_;
  /// Topic -> position to replay after (nullopt: live events only).
  std::map<std::string, std::optional<uint64_t>> topics_;
  bool subscribed_ = false;
  bool closed_ = false;
};

} // namespace ledgerd::sim
