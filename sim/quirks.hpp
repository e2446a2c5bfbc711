// Provider behaviours that shared/provider-facts.md marks unknown [U] or
// inferred [I], each a named switch with every plausible value, so that the
// engine is proven under all of them rather than under the one the
// simulator happens to share with it. A quirk is a standing property of the
// simulated provider (set at start: `--quirk NAME=VALUE`, `--profile P`;
// `POST /sim/quirks` changes it at run time); faults (fault_schedule) are
// transient events on top.
//
// Profiles: `default` (the reading the simulator always had) and
// `adversarial` (each quirk at its least convenient plausible value).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ledgerd::sim {

/// Where a request's latency is spent (quirk latency_side).
enum class latency_side { answer, request, split };

/// One switch: its name, its values (the first is the default), the
/// adversarial one, and what it stands for.
struct quirk_def {
  std::string_view name;
  std::vector<std::string_view> values;
  std::string_view adversarial;
  std::string_view about;
};

/// Every quirk the simulator knows (sim/README.md lists the same).
const std::vector<quirk_def>& quirk_defs();

class quirk_set {
public:
  /// Every quirk at its default.
  quirk_set();

  /// `default` or `adversarial`; nullopt for another name.
  static std::optional<quirk_set> profile(std::string_view name);

  /// Sets `NAME=VALUE`; an error message ("" on success) naming the known
  /// quirks or values when one is unknown.
  std::string set(std::string_view assignment);
  std::string set(std::string_view name, std::string_view value);

  const std::string& get(std::string_view name) const;
  const std::map<std::string, std::string, std::less<>>& values() const {
    return values_;
  }

  // -- typed readers --------------------------------------------------------

  /// fortnox.lastmodified_boundary: a record modified exactly at the
  /// `lastmodified` instant is listed (inclusive) or not.
  bool fortnox_lastmodified_inclusive() const;
  /// fortnox.lastmodified_seconds: whether the seconds count or the filter
  /// starts at the minute.
  bool fortnox_lastmodified_seconds() const;
  /// fortnox.lastmodified_fold: an autumn-fold wall time is read as its
  /// later (winter time) instant.
  bool fortnox_lastmodified_fold_later() const;
  /// fortnox.max_limit: the largest page size honoured.
  std::size_t fortnox_max_limit() const;
  /// fortnox.over_limit: a larger `limit` is clamped (true) or refused.
  bool fortnox_over_limit_clamped() const;
  /// fortnox.page_past_end: a page past the last one answers 404 (true) or
  /// an empty page.
  bool fortnox_page_past_end_404() const;
  /// visma.max_pagesize: the largest `$pagesize` honoured.
  std::size_t visma_max_pagesize() const;
  /// visma.filter_match: `$filter=X eq 'v'` matches substrings, any case.
  bool visma_substring_filter() const;
  /// visma.list_items: list items are summaries (some keys left out).
  bool visma_summary_list_items() const;
  /// visma.total_rounding: invoice totals are rounded to whole units.
  bool visma_whole_totals() const;
  /// visma.throttle_body: whether a 429 says "Try again in N seconds".
  bool visma_throttle_hint() const;
  /// oauth.token_limit: token requests per client and minute, 0 for none.
  std::size_t oauth_token_limit() const;
  /// latency_side: whether latency delays the provider's count of a
  /// request (request, split) or only its answer.
  latency_side latency() const;
  /// clock_offset_s: how far the provider's clock is ahead of true time.
  std::chrono::seconds clock_offset() const;
  /// search_lag_ms: filtered lists miss records created this recently.
  std::chrono::milliseconds search_lag() const;
  /// fortnox.credit_copies_reference: a credit invoice copies the
  /// original's ExternalInvoiceReference1.
  bool fortnox_credit_copies_reference() const;

private:
  std::map<std::string, std::string, std::less<>> values_;
};

} // namespace ledgerd::sim
