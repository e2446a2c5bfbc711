// ledgerd-sim: Fortnox v3 and Visma eAccounting v2 stand-ins on one port,
// with an admin API under /sim/. Runs on its own I/O thread, so tests can
// start it in-process.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>

#include "sim/options.hpp"

namespace ledgerd::sim {

class simulator {
public:
  explicit simulator(sim_options opts);
  ~simulator();

  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  /// Binds, listens and starts the I/O thread. Throws on bind errors.
  void start();

  /// The bound port; valid after start().
  uint16_t port() const;

  /// Closes every connection and joins the I/O thread. Idempotent.
  void stop();

  /// Same as POST /sim/tenants (used for --seed-tenants). Throws
  /// std::invalid_argument on a bad spec.
  nlohmann::json add_tenant(const nlohmann::json& spec);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ledgerd::sim
