// The one way to include Boost.Asio and Boost.Beast in ledgerd.
//
// Boost 1.74's boost/asio/awaitable.hpp uses std::exchange without including
// <utility>; under C++20 that fails to compile unless <utility> comes first
// (caf-0.17-notes.md §1). The comment line below keeps clang-format's include
// regrouping from moving it behind the Boost headers.
#pragma once

#include <utility>
// Boost.Asio and Boost.Beast, after <utility>:
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <string_view>

namespace ledgerd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

/// Beast (Boost 1.74) uses boost::string_view.
inline std::string_view sv(beast::string_view x) {
  return {x.data(), x.size()};
}

} // namespace ledgerd::http
