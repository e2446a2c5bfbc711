#include "adapters/http/io_loop.hpp"

#include "adapters/log.hpp"

#include <exception>

namespace ledgerd::http::detail {

void run_io_loop(asio::io_context& ioc, std::string_view component) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      log::error(component, "exception on the io thread",
                 {{"error", e.what()}});
    } catch (...) {
      log::error(component, "unknown exception on the io thread");
    }
  }
}

} // namespace ledgerd::http::detail
