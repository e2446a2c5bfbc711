// Start-up options of the provider simulator.
#pragma once

#include <cstdint>
#include <string>

#include "sim/quirks.hpp"

namespace ledgerd::sim {

struct sim_options {
  std::string host = "127.0.0.1";
  /// 0 picks an ephemeral port; simulator::port() tells which.
  uint16_t port = 0;
  /// Divides every provider duration: rate-limit windows, token lifetimes,
  /// "Try again in N seconds". 100 turns the Fortnox 5 s window into 50 ms.
  double time_scale = 1.0;
  /// Seeds latency jitter, token and GUID generation.
  uint64_t seed = 1;
  /// The provider behaviours that are unknown (sim/quirks.hpp):
  /// `--quirk NAME=VALUE`, `--profile adversarial`.
  quirk_set quirks;
};

} // namespace ledgerd::sim
