// Messages of the rate-limit actor: grant requests, feedback, reports.
// CAF 0.17 cannot inspect std::optional: "none" is a documented sentinel.
#pragma once

#include <caf/meta/type_name.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ledgerd {

/// One bucket a request counts against. The parameters apply when the
/// bucket is created (first use); later requests only name it.
struct bucket_ref {
  /// What the provider counts, e.g. "fortnox/<client>/<tenant>" or
  /// "visma/<client>/customers".
  std::string key;
  /// At most this many requests in any window (the start when adaptive).
  uint32_t limit = 25;
  caf::timespan window = std::chrono::seconds{5};
  /// Safety margin on top of the window.
  caf::timespan margin{};
  /// Learn the limit at run time (AIMD).
  bool adaptive = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, bucket_ref& x) {
  return f(caf::meta::type_name("bucket_ref"), x.key, x.limit, x.window,
           x.margin, x.adaptive);
}

/// A request for permission to send one provider request.
struct grant_request {
  /// Every bucket must admit it; it consumes from all at once.
  std::vector<bucket_ref> buckets;
  /// state::job_priority value: 3 manual, 2 event, 1 poll, 0 backfill.
  int16_t priority = 1;
  /// Give up (errc::rate_limit_timeout) when not granted within this.
  caf::timespan max_wait = std::chrono::seconds{30};
  /// The granted request's own timeout: without feedback by then its slots
  /// are stamped at that deadline.
  caf::timespan request_timeout = std::chrono::seconds{30};
  /// A request retried after a 429 (keeping its place) or the write of a
  /// read-merge-write: it goes to the front of its priority.
  bool retry = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, grant_request& x) {
  return f(caf::meta::type_name("grant_request"), x.buckets, x.priority,
           x.max_wait, x.request_timeout, x.retry);
}

/// Permission to send: report its outcome with grant_feedback.
struct grant {
  uint64_t id = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, grant& x) {
  return f(caf::meta::type_name("grant"), x.id);
}

/// How a granted request ended.
struct grant_feedback {
  /// Values of `outcome` (a plain integer: CAF 0.17 inspects no enums).
  enum kind : uint8_t {
    /// A response other than 429 arrived (now).
    response,
    /// A 429 arrived (now).
    throttled,
    /// No response by the request's deadline.
    timed_out,
    /// The request was never sent.
    not_sent,
  };

  uint64_t grant = 0;
  uint8_t outcome = response;
  /// throttled: the provider's retry hint; zero = none (pause one window).
  caf::timespan retry_after{};
  /// Index of the bucket a 429 or the quota headers below refer to.
  uint32_t blamed = 0;
  /// Quota headers of the response (e.g. X-RateLimit-Limit / -Remaining /
  /// -Reset); -1 or zero = not sent.
  int64_t quota_limit = -1;
  int64_t quota_remaining = -1;
  caf::timespan quota_reset_in{};
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, grant_feedback& x) {
  return f(caf::meta::type_name("grant_feedback"), x.grant, x.outcome,
           x.retry_after, x.blamed, x.quota_limit, x.quota_remaining,
           x.quota_reset_in);
}

/// One bucket as the monitor and console see it.
struct bucket_report {
  std::string key;
  uint64_t limit = 0;
  caf::timespan window{};
  uint64_t remaining = 0;
  /// Until every recorded request has left the window.
  caf::timespan reset_in{};
  uint64_t in_flight = 0;
  /// Zero when not paused.
  caf::timespan paused_for{};
  /// Waiting requests by priority (index = priority value).
  std::vector<uint64_t> waiters;
  /// Since start, and in the last minute.
  uint64_t granted = 0;
  uint64_t grants_last_minute = 0;
  uint64_t throttled = 0;
  bool adaptive = false;
  /// Current rate, requests per second.
  double rate = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, bucket_report& x) {
  return f(caf::meta::type_name("bucket_report"), x.key, x.limit, x.window,
           x.remaining, x.reset_in, x.in_flight, x.paused_for, x.waiters,
           x.granted, x.grants_last_minute, x.throttled, x.adaptive, x.rate);
}

} // namespace ledgerd
