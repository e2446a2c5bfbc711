// Accepts connections for the simulator and keeps the WebSocket sessions
// that receive topic events.
#pragma once

#include <memory>
#include <vector>

#include "sim/beast.hpp"
#include "sim/world.hpp"

namespace ledgerd::sim {

class ws_session;

class listener {
public:
  /// Binds and listens at once, so port() is known before run().
  listener(asio::io_context& ioc, world& w, const std::string& host,
           uint16_t port);

  uint16_t port() const {
    return port_;
  }

  void run();

  /// Closes the acceptor and every WebSocket.
  void stop();

private:
  void do_accept();
  void upgrade(tcp::socket socket, bhttp::request<bhttp::string_body> req);
  void broadcast(const topic_event& ev);
  void drop_websockets();

  asio::io_context& ioc_;
  world& world_;
  tcp::acceptor acceptor_;
  uint16_t port_;
  std::vector<std::weak_ptr<ws_session>> websockets_;
};

} // namespace ledgerd::sim
