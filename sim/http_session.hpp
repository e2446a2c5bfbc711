// One HTTP/1.1 connection of the simulator. Unlike adapters/http/server it
// can misbehave on purpose: hang, reset, truncate, drop after a create.
#pragma once

#include <functional>
#include <memory>

#include "sim/beast.hpp"
#include "sim/router.hpp"

namespace ledgerd::sim {

class http_session : public std::enable_shared_from_this<http_session> {
public:
  /// Called with the socket and the request of a WebSocket upgrade.
  using upgrade_fn
    = std::function<void(tcp::socket, bhttp::request<bhttp::string_body>)>;

  http_session(tcp::socket socket, world& w, upgrade_fn upgrade);

  void run();

private:
  void do_read();
  void on_read(beast::error_code ec);
  void answer(routed r);
  void send();
  void send_truncated();
  void hang();
  void close();

  beast::tcp_stream stream_;
  world& world_;
  upgrade_fn upgrade_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> req_;
  bhttp::response<bhttp::string_body> res_;
  std::string raw_;
  post_fault post_ = post_fault::none;
  asio::steady_timer timer_;
};

} // namespace ledgerd::sim
