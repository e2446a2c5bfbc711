#include "actors/job_runner.hpp"

#include "adapters/log.hpp"

#include <caf/all.hpp>

#include <random>

namespace ledgerd {

namespace {

double default_jitter() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>{0.0, 1.0}(gen);
}

void report(caf::stateful_actor<job_runner_state>* self,
            const caf::actor& report_to, const job_runner_options& opts,
            const job_result& result) {
  auto& st = self->state;
  if (st.reported)
    return;
  st.reported = true;
  auto u = opts.jitter ? opts.jitter() : default_jitter();
  auto outcome
    = make_outcome(st.current, result, opts.wall_clock(), opts.backoff, u);
  if (result.error) {
    // A job waiting on another (an invoice on its customer) is not failing:
    // it says so once per try at info, not as a warning.
    auto level = outcome.waiting ? log::level::info : log::level::warn;
    log::write(level, "job", outcome.waiting ? "run waits" : "run failed",
               {{"job", st.current.id},
                {"tenant", st.current.tenant},
                {"kind", st.current.kind},
                {"attempt", st.current.attempt},
                {"next", outcome.next_state},
                {"error", result.error->message}});
  }
  self->send(report_to, std::move(outcome));
  self->quit();
}

std::string describe(const std::exception_ptr& ptr) {
  try {
    std::rethrow_exception(ptr);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

} // namespace

job_outcome make_outcome(const job& j, const job_result& result,
                         std::chrono::system_clock::time_point now,
                         const state::backoff_params& backoff, double u) {
  job_outcome out;
  out.id = j.id;
  out.lease_owner = j.lease_owner;
  out.attempt = j.attempt;
  out.progress = result.progress;
  if (!result.error) {
    out.next_state = to_string(state::job_state::completed);
    return out;
  }
  auto decision = state::on_failure(j.attempt, j.max_attempts, *result.error,
                                    now, backoff, u);
  out.next_state = to_string(decision.next_state);
  if (decision.run_at)
    out.run_at = *decision.run_at;
  out.waiting = !decision.uses_attempt;
  out.error = result.error->message;
  return out;
}

caf::behavior job_runner(caf::stateful_actor<job_runner_state>* self, job j,
                         std::shared_ptr<const job_registry> registry,
                         caf::actor report_to,
                         std::shared_ptr<const job_runner_options> opts) {
  self->state.current = std::move(j);
  auto finish = [self, report_to, opts](job_result result) {
    report(self, report_to, *opts, result);
  };
  // An exception escaping a continuation is a bug in the handler; the job
  // still gets an outcome (retryable, bounded by max_attempts).
  self->set_exception_handler(
    [finish](caf::scheduled_actor*, std::exception_ptr& ptr) -> caf::error {
      finish(job_result::failure(
        state::job_error::make_retryable("handler threw: " + describe(ptr))));
      return caf::exit_reason::normal;
    });
  const auto& current = self->state.current;
  const auto* handler = registry->find(current.kind);
  if (handler == nullptr) {
    finish(job_result::failure(state::job_error::unknown_kind(current.kind)));
    return {};
  }
  // The deadline tick is matched by this behavior and, should the handler
  // replace it with become(), by the default handler.
  auto on_timeout = [finish] {
    finish(job_result::failure(
      state::job_error::timeout("the job ran past its timeout")));
  };
  self->become([on_timeout](tick_atom) {
    on_timeout();
  });
  self->set_default_handler(
    [on_timeout](caf::scheduled_actor* ptr,
                 caf::message_view& msg) -> caf::result<caf::message> {
      if (msg.content().match_elements<tick_atom>()) {
        on_timeout();
        return caf::message{};
      }
      return caf::print_and_drop(ptr, msg);
    });
  try {
    auto progress = [self, report_to](std::string json) {
      const auto& j = self->state.current;
      self->send(report_to,
                 job_progress{j.id, j.lease_owner, j.attempt, std::move(json)});
    };
    (*handler)(self, current, job_done{finish, progress});
  } catch (...) {
    finish(job_result::failure(state::job_error::make_retryable(
      "handler threw: " + describe(std::current_exception()))));
  }
  return {};
}

} // namespace ledgerd
