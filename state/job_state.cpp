#include "state/job_state.hpp"

#include <algorithm>
#include <cassert>
#include <ostream>
#include <utility>

namespace ledgerd::state {

namespace {

constexpr job_state all_states[] = {job_state::pending, job_state::processing,
                                    job_state::completed, job_state::failed};

constexpr job_event all_events[] = {
  job_event::claim, job_event::complete, job_event::retry,
  job_event::fail,  job_event::cancel,   job_event::lease_expired,
};

// The legal target of `ev` in `from`, if any: the whole table in one place.
std::optional<job_state> target_of(job_state from, job_event ev) {
  switch (from) {
  case job_state::pending:
    switch (ev) {
    case job_event::claim:
      return job_state::processing;
    case job_event::cancel:
      return job_state::failed;
    default:
      return std::nullopt;
    }
  case job_state::processing:
    switch (ev) {
    case job_event::complete:
      return job_state::completed;
    case job_event::retry:
    case job_event::lease_expired:
      return job_state::pending;
    case job_event::fail:
      return job_state::failed;
    default:
      return std::nullopt;
    }
  case job_state::completed:
  case job_state::failed:
    return std::nullopt;
  }
  return std::nullopt;
}

std::string ms_suffix(std::chrono::milliseconds x) {
  return std::to_string(x.count()) + "ms";
}

} // namespace

// -- states and events --------------------------------------------------------

std::string to_string(job_state x) {
  switch (x) {
  case job_state::pending:
    return "pending";
  case job_state::processing:
    return "processing";
  case job_state::completed:
    return "completed";
  case job_state::failed:
    return "failed";
  }
  return "job_state(" + std::to_string(static_cast<int>(x)) + ")";
}

std::optional<job_state> parse_job_state(std::string_view str) {
  for (auto x : all_states)
    if (str == to_string(x))
      return x;
  return std::nullopt;
}

bool is_terminal(job_state x) {
  return x == job_state::completed || x == job_state::failed;
}

std::ostream& operator<<(std::ostream& os, job_state x) {
  return os << to_string(x);
}

std::string to_string(job_event x) {
  switch (x) {
  case job_event::claim:
    return "claim";
  case job_event::complete:
    return "complete";
  case job_event::retry:
    return "retry";
  case job_event::fail:
    return "fail";
  case job_event::cancel:
    return "cancel";
  case job_event::lease_expired:
    return "lease_expired";
  }
  return "job_event(" + std::to_string(static_cast<int>(x)) + ")";
}

std::optional<job_event> parse_job_event(std::string_view str) {
  for (auto x : all_events)
    if (str == to_string(x))
      return x;
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, job_event x) {
  return os << to_string(x);
}

// -- transitions --------------------------------------------------------------

std::string to_string(const transition_error& x) {
  // Every event but lease_expired is a verb: "cannot claim a job that ...".
  auto action = x.event == job_event::lease_expired
                  ? "apply " + to_string(x.event) + " to"
                  : to_string(x.event);
  return "cannot " + action + " a job that is " + to_string(x.from);
}

std::ostream& operator<<(std::ostream& os, const transition_error& x) {
  return os << to_string(x);
}

job_state transition_result::value() const {
  assert(has_value());
  return std::get<job_state>(x_);
}

const transition_error& transition_result::error() const {
  assert(!has_value());
  return std::get<transition_error>(x_);
}

std::ostream& operator<<(std::ostream& os, const transition_result& x) {
  if (x)
    return os << x.value();
  return os << "error: " << x.error();
}

transition_result transition(job_state from, job_event ev) {
  if (auto target = target_of(from, ev))
    return *target;
  return transition_error{from, ev};
}

// -- errors -------------------------------------------------------------------

std::string to_string(error_class x) {
  switch (x) {
  case error_class::retryable:
    return "retryable";
  case error_class::permanent:
    return "permanent";
  case error_class::waiting:
    return "waiting";
  }
  return "error_class(" + std::to_string(static_cast<int>(x)) + ")";
}

std::ostream& operator<<(std::ostream& os, error_class x) {
  return os << to_string(x);
}

std::optional<error_class> classify_http_status(int status) {
  if (status < 100 || status > 599)
    return error_class::retryable;
  if (status >= 200 && status <= 299)
    return std::nullopt;
  if (status >= 500 || status == 408 || status == 429)
    return error_class::retryable;
  return error_class::permanent;
}

job_error job_error::make_retryable(
  std::string message, std::optional<std::chrono::milliseconds> retry_after) {
  return {error_class::retryable, std::move(message), retry_after};
}

job_error job_error::make_permanent(std::string message) {
  return {error_class::permanent, std::move(message), std::nullopt};
}

job_error job_error::make_waiting(std::string why,
                                  std::chrono::milliseconds delay) {
  return {error_class::waiting, "waiting: " + std::move(why), delay};
}

job_error
job_error::http_status(int status, std::string_view detail,
                       std::optional<std::chrono::milliseconds> retry_after) {
  auto cls = classify_http_status(status).value_or(error_class::permanent);
  auto message = "HTTP " + std::to_string(status) + ": " + std::string{detail};
  return {cls, std::move(message), retry_after};
}

job_error job_error::network(std::string_view detail) {
  return make_retryable("network: " + std::string{detail});
}

job_error job_error::timeout(std::string_view detail) {
  return make_retryable("timeout: " + std::string{detail});
}

job_error job_error::unknown_kind(std::string_view kind) {
  return make_permanent("unknown job kind '" + std::string{kind} + "'");
}

job_error job_error::validation(std::string_view detail) {
  return make_permanent("validation: " + std::string{detail});
}

job_error job_error::lease_lost() {
  return make_retryable("lease lost");
}

std::ostream& operator<<(std::ostream& os, const job_error& x) {
  os << x.cls << ": " << x.message;
  if (x.retry_after)
    os << " (retry_after=" << ms_suffix(*x.retry_after) << ')';
  return os;
}

// -- retry or fail ------------------------------------------------------------

std::ostream& operator<<(std::ostream& os, const failure_decision& x) {
  os << "failure_decision{" << x.event << " -> " << x.next_state;
  if (x.run_at) {
    auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(
      x.run_at->time_since_epoch());
    os << ", run_at=" << (since_epoch.count() >= 0 ? "+" : "")
       << ms_suffix(since_epoch);
  }
  return os << '}';
}

failure_decision on_failure(int attempt, int max_attempts, const job_error& err,
                            std::chrono::system_clock::time_point now,
                            const backoff_params& backoff, double u) {
  attempt = std::max(attempt, 1);
  max_attempts = std::max(max_attempts, 1);
  if (err.cls == error_class::waiting)
    return {job_event::retry, job_state::pending,
            next_run_at(now, backoff, 1, u, err.retry_after), false};
  if (!err.retryable() || attempt >= max_attempts)
    return {job_event::fail, job_state::failed, std::nullopt};
  return {job_event::retry, job_state::pending,
          next_run_at(now, backoff, attempt, u, err.retry_after)};
}

failure_decision on_lease_expired(int attempt, int max_attempts,
                                  int lease_losses,
                                  std::chrono::system_clock::time_point now) {
  if (lease_losses < max_forgiven_lease_losses)
    return {job_event::lease_expired, job_state::pending, now, false};
  if (std::max(attempt, 1) >= std::max(max_attempts, 1))
    return {job_event::fail, job_state::failed, std::nullopt};
  return {job_event::lease_expired, job_state::pending, now};
}

} // namespace ledgerd::state
