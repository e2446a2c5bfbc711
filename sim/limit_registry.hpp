// All rate-limit buckets of the simulator, keyed like the providers key
// them, plus the statistics GET /sim/stats reports.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "sim/sliding_window.hpp"

namespace ledgerd::sim {

struct limit_spec {
  std::size_t limit;
  /// The provider's window; divided by the time scale when enforced.
  std::chrono::milliseconds nominal_window;
};

/// Fortnox: 25 per 5 s per (client_id, tenant).
inline constexpr limit_spec fortnox_limit{25, std::chrono::milliseconds{5000}};

/// Visma: 600 per minute per (client_id, endpoint).
inline constexpr limit_spec visma_limit{600, std::chrono::milliseconds{60000}};

struct admission {
  bool admitted;
  /// Real time until a slot frees; zero when admitted.
  sliding_window::clock::duration retry_after;
};

class limit_registry {
public:
  explicit limit_registry(double time_scale)
    : time_scale_(time_scale) {}

  admission admit(const std::string& key, const limit_spec& spec,
                  sliding_window::clock::time_point now);

  /// {"buckets":[...],"throttled_total":K}
  nlohmann::json stats() const;

  uint64_t throttled_total() const;

  void clear() {
    buckets_.clear();
  }

private:
  struct bucket {
    limit_spec spec;
    sliding_window window;
  };

  double time_scale_;
  std::map<std::string, bucket> buckets_;
};

} // namespace ledgerd::sim
