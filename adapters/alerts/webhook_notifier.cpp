#include "adapters/alerts/webhook_notifier.hpp"

#include "adapters/log.hpp"

#include <algorithm>

namespace ledgerd {

webhook_notifier::webhook_notifier(webhook_notifier_options opts)
  : opts_(std::move(opts))
  , thread_([this] {
    run();
  }) {}

webhook_notifier::~webhook_notifier() {
  {
    std::lock_guard guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  client_.stop();
}

void webhook_notifier::post(std::string json_body) {
  {
    std::lock_guard guard{mtx_};
    queue_.push_back(std::move(json_body));
  }
  cv_.notify_all();
}

uint64_t webhook_notifier::delivered() const {
  std::lock_guard guard{mtx_};
  return delivered_;
}

uint64_t webhook_notifier::dropped() const {
  std::lock_guard guard{mtx_};
  return dropped_;
}

void webhook_notifier::run() {
  std::unique_lock lock{mtx_};
  for (;;) {
    cv_.wait(lock, [this] {
      return stopping_ || !queue_.empty();
    });
    if (stopping_) {
      if (!queue_.empty())
        log::warn("alerts", "stopping with undelivered alert notifications",
                  {{"count", queue_.size()}});
      return;
    }
    auto body = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    auto ok = deliver(body);
    lock.lock();
    ++(ok ? delivered_ : dropped_);
  }
}

// Tries up to `attempts` times; the backoff sleep wakes early on stop.
bool webhook_notifier::deliver(const std::string& body) {
  auto delay = opts_.backoff_base;
  for (size_t attempt = 1; attempt <= opts_.attempts; ++attempt) {
    http::client_request req;
    req.method = "POST";
    req.url = opts_.url;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body;
    req.total_timeout = opts_.timeout;
    auto res = client_.send_sync(std::move(req));
    if (res.status >= 200 && res.status < 300)
      return true;
    auto why = res.status != 0 ? "HTTP " + std::to_string(res.status)
                               : std::string{http::to_string(res.error)};
    log::warn("alerts", "alert webhook failed",
              {{"attempt", attempt}, {"error", why}, {"url", opts_.url}});
    if (attempt == opts_.attempts)
      break;
    std::unique_lock lock{mtx_};
    if (cv_.wait_for(lock, delay, [this] {
          return stopping_;
        }))
      return false;
    delay = std::min(delay * 2, opts_.backoff_cap);
  }
  log::error("alerts", "alert notification dropped after retries",
             {{"attempts", opts_.attempts}, {"url", opts_.url}});
  return false;
}

} // namespace ledgerd
