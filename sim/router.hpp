// Dispatches one HTTP request: admin, OAuth or provider API, and for the
// provider APIs authentication, rate limiting and faults, in that order.
#pragma once

#include <chrono>
#include <optional>

#include "sim/api_types.hpp"
#include "sim/fault_schedule.hpp"
#include "sim/world.hpp"

namespace ledgerd::sim {

struct routed {
  api_response response;
  pre_fault pre = pre_fault::none;    // reset / timeout: no response at all
  post_fault post = post_fault::none; // truncate / drop after the handler
  std::chrono::milliseconds latency{0};
};

routed route(world& w, const api_request& req);

/// A provider API request's latency split by the quirk latency_side: the
/// share to spend before routing (the request reaches the provider, and is
/// counted, only then) and the share left for the answer. Nullopt when
/// nothing is spent before routing: not a provider API request, no latency
/// fault, or the quirk is `answer`.
struct latency_split {
  std::chrono::milliseconds before{0};
  std::chrono::milliseconds after{0};
};
std::optional<latency_split> split_latency(world& w, const api_request& req);

} // namespace ledgerd::sim
