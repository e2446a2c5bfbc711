#include "actors/sync_jobs.hpp"

#include "adapters/http/client.hpp"
#include "adapters/pg/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace ledgerd {

void add_sync_jobs(job_registry& registry,
                   std::shared_ptr<const sync_env> env) {
  registry.add(
    "pull", [env](caf::event_based_actor* self, const job& j, job_done done) {
      run_pull(self, j, std::move(done), env);
    });
  registry.add(
    "push", [env](caf::event_based_actor* self, const job& j, job_done done) {
      run_push(self, j, std::move(done), env);
    });
  registry.add("reconcile", [env](caf::event_based_actor* self, const job& j,
                                  job_done done) {
    run_reconcile(self, j, std::move(done), env);
  });
}

state::job_error job_error_of(const provider_failure& f) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  // Not the job's fault: it waits without spending a try (the connection
  // looks for new credentials itself, see actors/provider.hpp).
  if (f.needs_reauth)
    return state::job_error::make_waiting("connection needs re-authorization: "
                                            + f.message,
                                          std::chrono::seconds{30});
  // Nor is a token endpoint that failed for now (throttled, down): the
  // grant stands, and tries spent on it would fail every job of the
  // connection for good during an outage (sim quirk oauth.token_limit).
  if (f.no_token)
    return state::job_error::make_waiting(
      "no access token for now: " + f.message, no_token_wait);
  // Nor is a budget that granted nothing within max_grant_wait: the
  // tenant's other work holds it (found by scripts/soak 30: a pull on a
  // saturated Fortnox tenant spent its tries waiting).
  if (f.kind == static_cast<uint8_t>(http::failure::rate_limited)
      && f.status == 0)
    return state::job_error::make_waiting("budget busy: " + f.message,
                                          grant_busy_wait);
  auto detail = f.code.empty() ? f.message : f.code + ": " + f.message;
  // Refused for its token even after a refresh (revoked again meanwhile):
  // the connection's trouble, not the record's (found by scripts/soak).
  if (f.kind == static_cast<uint8_t>(http::failure::auth))
    return state::job_error::make_retryable(
      "provider " + std::to_string(f.status) + ": " + detail);
  if (f.malformed)
    return state::job_error::validation("provider answer not understood: "
                                        + detail);
  if (f.retryable || f.outcome_unknown) {
    std::optional<milliseconds> after;
    if (f.retry_after.count() > 0)
      after = duration_cast<milliseconds>(f.retry_after);
    return state::job_error::make_retryable(
      "provider " + std::to_string(f.status) + ": " + detail, after);
  }
  return state::job_error::make_permanent("provider " + std::to_string(f.status)
                                          + ": " + detail);
}

state::job_error job_error_of(const std::exception& e) {
  if (const auto* pe = dynamic_cast<const pg::error*>(&e)) {
    // A unique key another session took between our read and our write:
    // the next try reads what it wrote (found by scripts/soak).
    if (pe->sqlstate() == "23505")
      return state::job_error::make_retryable(e.what());
    // 22 data exception, 23 other integrity violations: the record is bad.
    auto cls = pe->sqlstate().substr(0, 2);
    if (cls == "22" || cls == "23")
      return state::job_error::validation(e.what());
    // The database down or restarting is nobody's record's fault (found
    // by scripts/soak: pulls spent their tries on PostgreSQL crashes).
    if (pe->connection_lost() || cls == "08" || cls == "57")
      return state::job_error::make_waiting(
        std::string{"database unavailable: "} + e.what(), database_wait);
    return state::job_error::make_retryable(e.what());
  }
  if (dynamic_cast<const std::invalid_argument*>(&e) != nullptr
      || dynamic_cast<const nlohmann::json::exception*>(&e) != nullptr)
    return state::job_error::validation(e.what());
  return state::job_error::make_retryable(e.what());
}

} // namespace ledgerd
