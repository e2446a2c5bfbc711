#include "sim/listener.hpp"

#include "sim/http_session.hpp"
#include "sim/ws_session.hpp"

namespace ledgerd::sim {

listener::listener(asio::io_context& ioc, world& w, const std::string& host,
                   uint16_t port)
  : ioc_(ioc)
  , world_(w)
  , acceptor_(ioc) {
  tcp::endpoint ep{asio::ip::make_address(host), port};
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  world_.on_event = [this](const topic_event& ev) {
    broadcast(ev);
  };
  world_.on_websocket_disconnect = [this] {
    drop_websockets();
  };
}

void listener::run() {
  do_accept();
}

void listener::stop() {
  beast::error_code ec;
  acceptor_.close(ec);
  drop_websockets();
  world_.on_event = nullptr;
  world_.on_websocket_disconnect = nullptr;
}

void listener::do_accept() {
  acceptor_.async_accept(
    ioc_, [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open())
        return;
      if (!ec) {
        auto up = [this](tcp::socket s, bhttp::request<bhttp::string_body> r) {
          upgrade(std::move(s), std::move(r));
        };
        std::make_shared<http_session>(std::move(socket), world_, up)->run();
      }
      do_accept();
    });
}

void listener::upgrade(tcp::socket socket,
                       bhttp::request<bhttp::string_body> req) {
  auto s = std::make_shared<ws_session>(std::move(socket), world_);
  std::erase_if(websockets_, [](const auto& w) {
    return w.expired();
  });
  websockets_.push_back(s);
  s->run(std::move(req));
}

void listener::broadcast(const topic_event& ev) {
  for (const auto& w : websockets_)
    if (auto s = w.lock())
      s->deliver(ev);
}

void listener::drop_websockets() {
  for (const auto& w : websockets_)
    if (auto s = w.lock())
      s->drop();
  websockets_.clear();
}

} // namespace ledgerd::sim
