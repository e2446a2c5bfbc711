// The rate-limit actor: every provider request waits here for a grant from
// each bucket it counts against (state/rate_bucket: exact sliding windows,
// in-flight slots stamped at the response). Waiters are served by priority,
// FIFO within a priority, without letting a lower priority overtake a higher
// one on the same bucket; wake-ups are scheduled on the actor clock.
#pragma once

#include "actors/metrics_reporter.hpp"
#include "messages/actors.hpp"
#include "state/composite_grant.hpp"
#include "state/minute_counter.hpp"
#include "state/rate_bucket.hpp"

#include <caf/stateful_actor.hpp>

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace ledgerd {

struct rate_limiter_state {
  using time_point = caf::actor_clock::time_point;

  struct waiter {
    std::vector<std::string> keys;
    time_point deadline;
    caf::timespan request_timeout;
    caf::actor_addr requester;
    caf::typed_response_promise<grant> promise;
    /// When the request came (its wait is reported at the grant).
    time_point since;
  };

  /// Grant ids by deadline: expiry looks only at the front.
  using deadline_index = std::multimap<time_point, uint64_t>;

  struct in_flight {
    std::vector<std::string> keys;
    state::composite_grant slots;
    /// Without feedback by then, the slots are stamped there.
    deadline_index::iterator deadline;
  };

  /// By key; std::map keeps bucket addresses stable.
  std::map<std::string, state::rate_bucket> buckets;
  /// Grants per bucket in the last minute, for the console.
  std::map<std::string, state::minute_counter> grants_per_minute;
  /// Waiters by priority (index = priority value 0..3).
  std::array<std::deque<waiter>, 4> waiters;
  std::unordered_map<uint64_t, in_flight> grants;
  deadline_index deadlines;
  uint64_t next_grant = 1;
  /// The earliest wake-up scheduled, if any.
  std::optional<time_point> wake_at;
  std::set<caf::actor_addr> monitored;
  metrics_reporter reporter;

  /// When this limiter started, and per provider ("fortnox", the first
  /// segment of a bucket key) how long before that its requests may still
  /// have been sent by a predecessor: a bucket of that provider grants
  /// nothing until started - age + window + margin, because the
  /// provider's sliding window still counts what the predecessor spent.
  time_point started;
  std::map<std::string, caf::timespan> predecessor_age;

  static inline const char* name = "rate_limiter";
};

rate_limiter_actor::behavior_type
rate_limiter(rate_limiter_actor::stateful_pointer<rate_limiter_state> self);

/// The rate limiter, reporting grants and waits to the monitor found in
/// `dir`.
rate_limiter_actor::behavior_type reporting_rate_limiter(
  rate_limiter_actor::stateful_pointer<rate_limiter_state> self,
  std::shared_ptr<const actor_directory> dir);

/// Like reporting_rate_limiter, with the predecessors' activity (see
/// rate_limiter_state::predecessor_age).
rate_limiter_actor::behavior_type reporting_rate_limiter_after(
  rate_limiter_actor::stateful_pointer<rate_limiter_state> self,
  std::shared_ptr<const actor_directory> dir,
  std::map<std::string, caf::timespan> predecessor_age);

} // namespace ledgerd
