// Boost.Beast for the simulator, WebSocket included. Always through
// adapters/http/asio.hpp, which fixes Boost 1.74's include order.
#pragma once

#include "adapters/http/asio.hpp"
// WebSocket after the fixed include order above:
#include <boost/beast/websocket.hpp>

namespace ledgerd::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

/// Beast (Boost 1.74) uses boost::string_view.
inline std::string to_string(beast::string_view s) {
  return {s.data(), s.size()};
}

} // namespace ledgerd::sim
