// Waits for NOTIFY on one channel on a thread of its own and calls back on
// every wake-up. Reconnects (with a pause) when the server goes away; after
// a reconnect it calls back once too, since notifications sent while it was
// away are lost (NOTIFY has no replay).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace ledgerd::pg {

class notify_listener {
public:
  /// Starts listening on `channel`; `on_notify` runs on the listener's
  /// thread and must not block (e.g. caf::anon_send).
  notify_listener(std::string conninfo, std::string channel,
                  std::function<void()> on_notify);

  /// Stops the thread (within one poll interval) and joins it.
  ~notify_listener();

  notify_listener(const notify_listener&) = delete;
  notify_listener& operator=(const notify_listener&) = delete;

private:
  void run();

  std::string conninfo_;
  std::string channel_;
  std::function<void()> on_notify_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace ledgerd::pg
