// POST /webhooks/{provider}/{tenant}: signed provider webhooks (Standard
// Webhooks). The handler verifies the signature on the raw body, stores
// the event in ledgerd.inbox keyed by webhook-id and answers 202, before
// and without any provider call; the inbox relay hands stored events to
// the tenant actors later. Verification and the insert run on a small
// worker pool, never on the HTTP io thread.
#pragma once

#include "adapters/pg/pool.hpp"
#include "config/node_config.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ledgerd::http {
class server;
} // namespace ledgerd::http

namespace ledgerd {

struct webhook_ingest_options {
  std::shared_ptr<const config::node_config> cfg;
  std::shared_ptr<pg::pool> db;
  std::chrono::milliseconds acquire_timeout{5000};
  /// Called after an event is stored (wakes the inbox relay), at most once
  /// per `wake_interval`; may be empty.
  std::function<void()> stored;
  std::chrono::milliseconds wake_interval{10};
  /// Worker threads, and requests that may wait for one (more get 503).
  std::size_t workers = 4;
  std::size_t max_queued = 4096;
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

class webhook_ingest {
public:
  explicit webhook_ingest(webhook_ingest_options opts);
  ~webhook_ingest();
  webhook_ingest(const webhook_ingest&) = delete;
  webhook_ingest& operator=(const webhook_ingest&) = delete;

  /// Registers the route on `srv`; `this` must outlive the server's use.
  void add_routes(http::server& srv);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The inbox source of a provider's webhooks: "webhook:<provider>".
std::string webhook_source(const std::string& provider);

} // namespace ledgerd
