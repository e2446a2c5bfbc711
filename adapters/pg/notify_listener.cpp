#include "adapters/pg/notify_listener.hpp"

#include "adapters/log.hpp"
#include "adapters/pg/connection.hpp"

#include <poll.h>

namespace ledgerd::pg {

namespace {

using namespace std::chrono_literals;

/// How often the thread checks whether it must stop.
constexpr int poll_interval_ms = 200;

/// Pause between reconnect attempts.
constexpr auto reconnect_pause = 1s;

} // namespace

notify_listener::notify_listener(std::string conninfo, std::string channel,
                                 std::function<void()> on_notify)
  : conninfo_(std::move(conninfo))
  , channel_(std::move(channel))
  , on_notify_(std::move(on_notify))
  , thread_([this] {
    run();
  }) {}

notify_listener::~notify_listener() {
  stop_ = true;
  thread_.join();
}

void notify_listener::run() {
  bool first = true;
  while (!stop_) {
    try {
      connection conn{conninfo_, {std::chrono::seconds{5}, "ledgerd-listen"}};
      conn.listen(channel_);
      if (!first)
        on_notify_(); // catch up on what was sent while we were away
      first = false;
      while (!stop_) {
        pollfd pfd{conn.socket(), POLLIN, 0};
        if (::poll(&pfd, 1, poll_interval_ms) > 0) {
          if (!conn.poll_notifications().empty())
            on_notify_();
          if (!conn.is_alive())
            throw std::runtime_error("server closed the listen session");
        }
      }
    } catch (const std::exception& e) {
      log::warn("notify", "listen session lost, reconnecting",
                {{"channel", channel_}, {"error", e.what()}});
      for (auto waited = 0ms; !stop_ && waited < reconnect_pause;
           waited += std::chrono::milliseconds{poll_interval_ms})
        std::this_thread::sleep_for(
          std::chrono::milliseconds{poll_interval_ms});
    }
  }
}

} // namespace ledgerd::pg
