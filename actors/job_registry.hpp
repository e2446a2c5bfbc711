// Job handlers by kind. A handler runs inside its job's actor and reports
// the end of the run exactly once through `job_done`; it may first ask other
// actors (provider, rate limiter) and report from a continuation.
#pragma once

#include "messages/jobs.hpp"
#include "state/job_state.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace caf {
class event_based_actor;
} // namespace caf

namespace ledgerd {

/// How a run of a job ended, as the handler sees it.
struct job_result {
  /// nullopt: success.
  std::optional<state::job_error> error;
  /// JSON summary of what the run did; empty = none.
  std::string progress;

  static job_result success(std::string progress = {}) {
    return {std::nullopt, std::move(progress)};
  }

  static job_result failure(state::job_error err) {
    return {std::move(err), {}};
  }
};

/// A handler's line back to its job actor. Ending the run is one-shot: the
/// first call counts, later calls are ignored. Call it from the job actor's
/// context (the handler or its continuations).
class job_done {
public:
  using finish_fn = std::function<void(job_result)>;
  using progress_fn = std::function<void(std::string)>;

  job_done() = default;

  explicit job_done(finish_fn fn, progress_fn progress = {})
    : fn_(std::make_shared<finish_fn>(std::move(fn)))
    , progress_(std::move(progress)) {}

  /// Ends the run.
  void operator()(job_result result) const {
    if (!fn_ || !*fn_)
      return;
    auto fn = std::move(*fn_);
    *fn_ = nullptr;
    fn(std::move(result));
  }

  /// Saves resumable progress (JSON) while the run goes on: a later attempt
  /// of the job receives it in job::progress. Ignored after the run ended.
  void progress(std::string json) const {
    if (fn_ && *fn_ && progress_)
      progress_(std::move(json));
  }

private:
  std::shared_ptr<finish_fn> fn_;
  progress_fn progress_;
};

using job_handler = std::function<void(caf::event_based_actor* self,
                                       const job& j, job_done done)>;

/// kind -> handler. Built once at start, then shared read-only.
class job_registry {
public:
  /// Registers `handler` for `kind`, replacing an earlier one.
  void add(std::string kind, job_handler handler);

  /// The handler for `kind`, or nullptr.
  const job_handler* find(const std::string& kind) const;

  std::vector<std::string> kinds() const;

private:
  std::map<std::string, job_handler> handlers_;
};

} // namespace ledgerd
