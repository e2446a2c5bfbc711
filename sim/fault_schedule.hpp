// Injected faults for provider API routes (POST /sim/faults).
//
// Counted faults hit the next N matching API requests; one-shot actions
// (WebSocket disconnect, token expiry) are returned to the caller to carry
// out. OAuth, WebSocket and /sim/ routes are never faulted, so a test can
// always reach the admin API and refresh tokens.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace ledgerd::sim {

struct field_rename {
  std::string provider;
  std::string from;
  std::string to;
};

struct one_shot_actions {
  bool websocket_disconnect = false;
  bool expire_tokens = false;
};

/// What happens to one request before the handler runs.
enum class pre_fault { none, reset, timeout, error_burst };

/// What happens to the response after the handler ran.
enum class post_fault { none, truncate, drop_response };

class fault_schedule {
public:
  /// `credit_copies_reference` is that switch's value for every spec that
  /// does not name it (the command line's choice).
  explicit fault_schedule(uint64_t seed, bool credit_copies_reference = true)
    : rng_(seed)
    , credit_default_(credit_copies_reference)
    , credit_copies_reference_(credit_copies_reference) {}

  /// Replaces every fault with those in `spec` ({} clears). Throws
  /// std::invalid_argument on a malformed spec.
  one_shot_actions configure(const nlohmann::json& spec);

  /// Consumes one count of reset, timeout or error_burst, in that order.
  /// A reset, timeout or error burst given a "method" only hits requests of
  /// that method (e.g. "POST": a create lost before the provider stored it).
  pre_fault take_pre(const std::string& method);

  int error_status() const {
    return error_status_;
  }

  /// Consumes drop_response_after_create (only for creates),
  /// drop_response_after_write (PUT and DELETE that succeeded) or truncate.
  post_fault take_post(bool created, const std::string& method, int status);

  /// Records a person creates in the provider's UI right after a create
  /// whose answer was dropped ("foreign_creates" of
  /// drop_response_after_create): they are newer than the lost record.
  int foreign_creates() const {
    return foreign_creates_;
  }

  /// Filtered lists (searches, deltas) do not see records younger than
  /// this: a search index that lags the store (`search_lag_ms`).
  std::chrono::milliseconds search_lag() const {
    return search_lag_;
  }

  /// Invoice totals rounded to whole units, the difference in
  /// RoundOff / TotalRoundings (`round_totals`): a rounding rule the engine
  /// does not share.
  bool round_totals() const {
    return round_totals_;
  }

  /// Visma's `$filter=X eq 'v'` matches case-insensitive substrings
  /// (`loose_search`), as Fortnox's search parameters do: whether Visma's
  /// eq is exact is unverified [U].
  bool loose_search() const {
    return loose_search_;
  }

  /// A Fortnox credit invoice copies ExternalInvoiceReference1 of the
  /// invoice it credits (`credit_copies_reference`, default true): whether
  /// real Fortnox does is unknown [U], and a copy is the harder case for a
  /// client that searches by that reference.
  bool credit_copies_reference() const {
    return credit_copies_reference_;
  }

  /// A new start value of credit_copies_reference (the quirk changed).
  void set_credit_default(bool x) {
    credit_default_ = credit_copies_reference_ = x;
  }

  /// A uniformly drawn latency, or zero.
  std::chrono::milliseconds draw_latency();

  /// Consumes one count of slow_answer when a GET of its path comes: the
  /// answer is made (read, Date stamped) at once and sent this much later,
  /// so it arrives stale when the record changes meanwhile.
  std::optional<std::chrono::milliseconds>
  take_slow_answer(const std::string& method, const std::string& path);

  const std::optional<field_rename>& rename() const {
    return rename_;
  }

  /// Headers every provider API answer carries while set: `Deprecation`
  /// (RFC 9745, `deprecation_header`) and `Sunset` (RFC 8594,
  /// `sunset_header`), as a provider announces a version's end. Not counted:
  /// they stay until the faults are replaced.
  std::vector<std::pair<std::string, std::string>> announcements() const;

  nlohmann::json to_json() const;

private:
  std::mt19937_64 rng_;
  std::optional<std::pair<int, int>> latency_;
  int error_status_ = 503;
  int error_burst_ = 0;
  int timeout_ = 0;
  int reset_ = 0;
  std::string reset_method_;
  std::string error_method_;
  std::string timeout_method_;
  int truncate_ = 0;
  int drop_after_create_ = 0;
  int foreign_creates_ = 0;
  int drop_after_write_ = 0;
  int slow_answer_ = 0;
  std::string slow_answer_path_;
  std::chrono::milliseconds slow_answer_ms_{0};
  std::chrono::milliseconds search_lag_{0};
  bool round_totals_ = false;
  bool loose_search_ = false;
  bool credit_default_ = true;
  bool credit_copies_reference_ = true;
  std::optional<field_rename> rename_;
  std::string deprecation_;
  std::string sunset_;
};

/// Renames every key `from` to `to`, at any depth.
void rename_keys(nlohmann::json& j, const std::string& from,
                 const std::string& to);

} // namespace ledgerd::sim
