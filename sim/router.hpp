// Dispatches one HTTP request: admin, OAuth or provider API, and for the
// provider APIs authentication, rate limiting and faults, in that order.
#pragma once

#include <chrono>

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

} // namespace ledgerd::sim
