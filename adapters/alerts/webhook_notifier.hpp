// Sends alert notifications (JSON) to the configured webhook URL on a
// thread of its own, in order, retrying each with exponential backoff:
// the monitor never waits for the receiver. A notification that fails every
// attempt is logged and dropped; the alert itself stays visible in the
// telemetry and the console.
#pragma once

#include "adapters/http/client.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace ledgerd {

struct webhook_notifier_options {
  std::string url;
  size_t attempts = 5;
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_cap{30000};
};

class webhook_notifier {
public:
  explicit webhook_notifier(webhook_notifier_options opts);

  /// Stops retrying (what is still queued is logged as dropped) and joins.
  ~webhook_notifier();

  webhook_notifier(const webhook_notifier&) = delete;
  webhook_notifier& operator=(const webhook_notifier&) = delete;

  /// Queues one JSON body for delivery.
  void post(std::string json_body);

  /// Notifications delivered (2xx) and given up since start.
  uint64_t delivered() const;
  uint64_t dropped() const;

private:
  void run();
  bool deliver(const std::string& body);

  webhook_notifier_options opts_;
  http::client client_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  uint64_t delivered_ = 0;
  uint64_t dropped_ = 0;
  std::thread thread_;
};

} // namespace ledgerd
