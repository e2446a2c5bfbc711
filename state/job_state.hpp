// The job state machine: states, events, the legal transitions between them,
// the classification of job errors and the retry-or-fail decision.
//
//   pending    --claim-->                 processing
//   pending    --cancel-->                failed
//   processing --complete-->              completed
//   processing --retry | lease_expired--> pending (later run_at)
//   processing --fail-->                  failed
//
// completed and failed are terminal. Every function here is pure: no clock,
// no randomness, no I/O, no exceptions.
//
// Attempt semantics (ledgerd.jobs.attempt): `attempt` counts claims. It is 0
// for a job never claimed, `claim` increments it, so while a job is processing
// `attempt` is the 1-based number of the running try. A try that ends without
// `complete` with an error is spent: when the try numbered `max_attempts`
// fails the job goes to failed, earlier ones are retried. A try whose lease
// expired (its node died or lost the database) is forgiven, up to
// max_forgiven_lease_losses times since the job last saved progress:
// max_attempts grows by one instead, so
// `attempt` stays the try's fencing token. Neither retry nor lease_expired
// changes `attempt`; the next claim does.
#pragma once

#include "state/backoff.hpp"
#include "state/priority.hpp"

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace ledgerd::state {

// -- states and events --------------------------------------------------------

/// The state of a job, spelled as in the ledgerd.jobs.state CHECK constraint.
enum class job_state : uint8_t {
  /// Waiting to be claimed once run_at has passed.
  pending,
  /// Claimed and leased by a worker.
  processing,
  /// Done (terminal).
  completed,
  /// Given up: attempts exhausted, permanent error or cancelled (terminal).
  failed,
};

/// Returns the state's database spelling, e.g. "pending".
std::string to_string(job_state x);

/// Parses the database spelling (exact, lowercase); std::nullopt otherwise.
std::optional<job_state> parse_job_state(std::string_view str);

/// True for completed and failed: no event leaves them.
bool is_terminal(job_state x);

std::ostream& operator<<(std::ostream& os, job_state x);

/// Something that happens to a job.
enum class job_event : uint8_t {
  /// A worker claims a due job: pending -> processing (attempt + 1).
  claim,
  /// The try succeeded: processing -> completed.
  complete,
  /// The try failed with a retryable error and attempts remain:
  /// processing -> pending with a later run_at.
  retry,
  /// The try failed and the job gives up (permanent error or attempts
  /// exhausted): processing -> failed.
  fail,
  /// Someone cancels a job that has not started: pending -> failed.
  cancel,
  /// The worker's lease ran out (it died or hung): processing -> pending. The
  /// lost try counts as an attempt.
  lease_expired,
};

/// Returns the enumerator's name, e.g. "lease_expired".
std::string to_string(job_event x);

/// Parses an enumerator's exact name; std::nullopt otherwise.
std::optional<job_event> parse_job_event(std::string_view str);

std::ostream& operator<<(std::ostream& os, job_event x);

// -- transitions --------------------------------------------------------------

/// Why `transition` refused: `event` is not legal in state `from`.
struct transition_error {
  job_state from;
  job_event event;

  friend bool operator==(const transition_error&, const transition_error&)
    = default;
};

/// A message naming the event and the state, e.g. "cannot complete a job that
/// is pending" or "cannot apply lease_expired to a job that is completed".
std::string to_string(const transition_error& x);

std::ostream& operator<<(std::ostream& os, const transition_error& x);

/// The outcome of `transition`: the target state, or a `transition_error`.
class transition_result {
public:
  transition_result(job_state target)
    : x_(target) {}

  transition_result(transition_error error)
    : x_(error) {}

  bool has_value() const {
    return std::holds_alternative<job_state>(x_);
  }

  explicit operator bool() const {
    return has_value();
  }

  /// The target state. Precondition: has_value().
  job_state value() const;

  /// Why the transition is illegal. Precondition: !has_value().
  const transition_error& error() const;

  friend bool operator==(const transition_result&, const transition_result&)
    = default;

private:
  std::variant<job_state, transition_error> x_;
};

/// Prints the target state or the error message.
std::ostream& operator<<(std::ostream& os, const transition_result& x);

/// Applies `ev` to a job in state `from`. Legal transitions are exactly:
///   pending    --claim-->         processing
///   pending    --cancel-->        failed
///   processing --complete-->      completed
///   processing --retry-->         pending
///   processing --fail-->          failed
///   processing --lease_expired--> pending
/// Everything else, including every event on a terminal state, is an error.
/// Whether attempts remain is not checked here; `on_failure` decides that.
transition_result transition(job_state from, job_event ev);

// -- errors -------------------------------------------------------------------

/// Whether trying the same job again can succeed.
enum class error_class : uint8_t {
  /// Transient: network errors, timeouts, 5xx, 429, 408, a lost lease.
  retryable,
  /// Trying again cannot help: validation errors, other 4xx, an unknown job
  /// kind.
  permanent,
  /// Not a failure of the job: it waits on something that is making
  /// progress (its customer's push, a provider's search catching up). It goes
  /// back to pending at retry_after without using up an attempt.
  waiting,
};

/// Returns the enumerator's name, e.g. "retryable".
std::string to_string(error_class x);

std::ostream& operator<<(std::ostream& os, error_class x);

/// Classifies the HTTP status of a provider response.
/// - 2xx: std::nullopt, not an error.
/// - 408, 429 and 5xx: retryable.
/// - other 4xx: permanent. (A 401 should be answered with a token refresh
///   before the job sees it; once it reaches the job, it is permanent.)
/// - 1xx and 3xx: permanent. An API call neither expects an interim final
///   status nor follows redirects; asking again gets the same answer.
/// - outside 100..599: retryable, like any garbled response off the network.
std::optional<error_class> classify_http_status(int status);

/// Why a try failed, as recorded in ledgerd.jobs.last_error.
struct job_error {
  /// Retry or give up.
  error_class cls = error_class::retryable;

  /// Human-readable cause.
  std::string message;

  /// The provider's earliest time to try again, relative to the failure
  /// (HTTP Retry-After, "try again in N seconds"), if it gave one.
  std::optional<std::chrono::milliseconds> retry_after;

  /// Tried again later (a waiting job is, too).
  bool retryable() const {
    return cls != error_class::permanent;
  }

  /// A transient error.
  static job_error
  make_retryable(std::string message,
                 std::optional<std::chrono::milliseconds> retry_after
                 = std::nullopt);

  /// An error that trying again cannot fix.
  static job_error make_permanent(std::string message);

  /// The job waits for `why` and runs again after `delay`; no attempt is
  /// used up (see error_class::waiting).
  static job_error make_waiting(std::string why,
                                std::chrono::milliseconds delay);

  /// The provider answered with HTTP `status`; classified by
  /// `classify_http_status`. A 2xx that the caller still treats as a failure
  /// (say, an undecodable body) is permanent. Message: "HTTP <status>:
  /// <detail>"
  static job_error
  http_status(int status, std::string_view detail,
              std::optional<std::chrono::milliseconds> retry_after
              = std::nullopt);

  /// The connection failed or broke (retryable). Message: "network: <detail>"
  static job_error network(std::string_view detail);

  /// No answer in time (retryable). Message: "timeout: <detail>"
  static job_error timeout(std::string_view detail);

  /// No handler for the job's kind (permanent). Message: "unknown job kind
  /// '<kind>'"
  static job_error unknown_kind(std::string_view kind);

  /// The payload or the provider's data is invalid (permanent). Message:
  /// "validation: <detail>"
  static job_error validation(std::string_view detail);

  /// The worker's lease expired before the try finished (retryable).
  /// Message: "lease lost"
  static job_error lease_lost();

  friend bool operator==(const job_error&, const job_error&) = default;
};

/// Prints e.g. "retryable: HTTP 503: down (retry_after=2000ms)".
std::ostream& operator<<(std::ostream& os, const job_error& x);

// -- retry or fail ------------------------------------------------------------

/// What to do with a processing job whose try failed.
struct failure_decision {
  /// The event to record: retry or lease_expired (back to pending) or fail.
  job_event event;

  /// transition(processing, event): pending or failed.
  job_state next_state;

  /// When the job may be claimed again; set iff next_state is pending.
  std::optional<std::chrono::system_clock::time_point> run_at;

  /// False for a waiting job (the try is given back: attempt - 1) and for a
  /// forgiven lost lease (max_attempts + 1: attempt is the fencing token).
  bool uses_attempt = true;

  friend bool operator==(const failure_decision&, const failure_decision&)
    = default;
};

/// Prints e.g. "failure_decision{retry -> pending, run_at=+1500ms}" (run_at in
/// milliseconds since the epoch).
std::ostream& operator<<(std::ostream& os, const failure_decision& x);

/// Decides retry vs fail after the try numbered `attempt` (see the attempt
/// semantics above) of at most `max_attempts` failed with `err` at `now`.
/// - permanent error: fail at once, whatever attempts remain;
/// - retryable error and attempt < max_attempts: retry at
///   next_run_at(now, backoff, attempt, u, err.retry_after);
/// - retryable error and attempt >= max_attempts: fail;
/// - waiting: retry at now + retry_after (else the first backoff step), the
///   try given back (uses_attempt false), whatever attempts remain.
/// `u` is a uniform draw from [0, 1) for the jitter. An attempt below 1 counts
/// as 1, a max_attempts below 1 as 1.
failure_decision on_failure(int attempt, int max_attempts, const job_error& err,
                            std::chrono::system_clock::time_point now,
                            const backoff_params& backoff, double u);

/// How many expired leases a job is forgiven: beyond them a lost lease counts
/// as a spent try again, so a job that crashes its node every time it runs
/// still ends (in failed) instead of crashing the node forever.
constexpr int max_forgiven_lease_losses = 5;

/// The decision for a processing job whose lease expired at `now`, after
/// `lease_losses` earlier expiries since the job last saved progress (a job
/// that moves forward between deaths of its node is not the one killing
/// it). While fewer than max_forgiven_lease_losses
/// were forgiven: back to pending at once (run_at = now), the try not used
/// (uses_attempt false: the caller raises max_attempts by one). After that
/// like on_failure(attempt, max_attempts, job_error::lease_lost(), ...), with
/// run_at = now and the event lease_expired instead of retry: the lost try
/// counts and the job fails when it was the last one.
failure_decision on_lease_expired(int attempt, int max_attempts,
                                  int lease_losses,
                                  std::chrono::system_clock::time_point now);

} // namespace ledgerd::state
