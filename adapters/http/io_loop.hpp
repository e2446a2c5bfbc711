// The body of the client's and the server's io thread.
#pragma once

#include "adapters/http/asio.hpp"

#include <string_view>

namespace ledgerd::http::detail {

/// Runs `ioc` until it runs out of work or is stopped. An exception that
/// escapes a handler is logged (as `component`) and the loop goes on, so one
/// bad handler does not take the io thread down.
void run_io_loop(asio::io_context& ioc, std::string_view component);

} // namespace ledgerd::http::detail
