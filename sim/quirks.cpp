#include "sim/quirks.hpp"

#include <charconv>

namespace ledgerd::sim {

const std::vector<quirk_def>& quirk_defs() {
  // The first value is the default; `adversarial` the least convenient
  // plausible one. Visma's window shape (sliding or fixed) and whether the
  // HTTP method is part of its bucket key are no switches: a client that
  // keeps a sliding window per endpoint is within every such reading.
  static const std::vector<quirk_def> defs{
    {"fortnox.lastmodified_boundary",
     {"inclusive", "exclusive"},
     "exclusive",
     "a record modified exactly at the lastmodified instant is listed or "
     "not [U]"},
    {"fortnox.lastmodified_seconds",
     {"honoured", "ignored"},
     "ignored",
     "the seconds of lastmodified count, or the filter starts at the minute "
     "(a wider window: more records to fetch) [V-lib]"},
    {"fortnox.lastmodified_fold",
     {"earlier", "later"},
     "later",
     "in the autumn fold (02:00-02:59 twice) a lastmodified wall time is "
     "read as its summer (earlier) or winter (later) instant [U]"},
    {"fortnox.max_limit",
     {"500", "100"},
     "100",
     "the largest page size (limit) Fortnox honours [U]"},
    {"fortnox.over_limit",
     {"refuse", "clamp"},
     "clamp",
     "a limit above the maximum is refused with 400 2000588, or clamped to "
     "it [U] (adversarial: clamp, since with max_limit 100 a refusal of 500 "
     "would break every published SDK)"},
    {"fortnox.page_past_end",
     {"empty", "404"},
     "404",
     "a page past the last one is empty, or 404 [U]"},
    {"fortnox.credit_copies_reference",
     {"true", "false"},
     "true",
     "a credit invoice copies ExternalInvoiceReference1 of the invoice it "
     "credits (a search by the reference then finds both) [U]"},
    {"visma.max_pagesize",
     {"500", "200", "100"},
     "100",
     "the largest $pagesize Visma honours (larger ones are clamped; "
     "Meta.PageSize says so) [U]"},
    {"visma.filter_match",
     {"exact", "substring"},
     "substring",
     "$filter=X eq 'v' matches exactly, or any value containing v, any case "
     "[U]"},
    {"visma.total_rounding",
     {"exact", "whole"},
     "whole",
     "an invoice's total is the exact sum of its rows, or rounded to whole "
     "units with the difference in TotalRoundings (VAT stays exact) [U]"},
    {"visma.throttle_body",
     {"hint", "bare"},
     "bare",
     "a 429 says \"Try again in N seconds\", or only that the quota is "
     "exceeded [I]"},
    {"visma.list_items",
     {"whole", "summary"},
     "summary",
     "list items (customers, invoices, drafts, searches included) carry the "
     "whole record, or a summary without its rows, references, e-mail, "
     "telephone and note [U]"},
    {"search_lag_ms",
     {"0", "2000"},
     "2000",
     "filtered lists (searches, lastmodified, $filter, modifiedSinceUtc) "
     "miss records created less than this long ago: a search index behind "
     "the store [U]; any integer >= 0"},
    {"oauth.token_limit",
     {"0", "5"},
     "5",
     "token requests (refresh, client credentials) a client may make per "
     "minute at the provider's token endpoint, 0 for no limit; more are "
     "answered 429 with a bare text body and no Retry-After, and rotate "
     "nothing [U]; any integer >= 0"},
    {"latency_side",
     {"answer", "request", "split"},
     "split",
     "where the latency of a latency_ms fault is spent: on the way back "
     "(the request is counted at once), on the way there (counted only "
     "after it), or a random share of each [U]; a client limiter that "
     "stamps requests at their send time meets 429s under the latter two"},
    {"clock_offset_s",
     {"0", "-300", "300"},
     "-300",
     "the provider's clock is this many seconds ahead of true time (behind "
     "when negative): its record times, filters, Date headers and "
     "Meta.ServerTimeUtc all run on it [U] (provider-facts.md: a few seconds "
     "of skew seen [I]); any integer"},
  };
  return defs;
}

namespace {

const quirk_def* find_def(std::string_view name) {
  for (const auto& d : quirk_defs())
    if (d.name == name)
      return &d;
  return nullptr;
}

std::optional<std::size_t> to_size(std::string_view x) {
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(x.data(), x.data() + x.size(), v);
  if (ec != std::errc{} || end != x.data() + x.size())
    return std::nullopt;
  return v;
}

std::optional<int64_t> to_int(std::string_view x) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(x.data(), x.data() + x.size(), v);
  if (ec != std::errc{} || end != x.data() + x.size())
    return std::nullopt;
  return v;
}

std::string join_values(const quirk_def& d) {
  std::string out;
  for (auto v : d.values)
    out += (out.empty() ? "" : ", ") + std::string{v};
  return out;
}

} // namespace

quirk_set::quirk_set() {
  for (const auto& d : quirk_defs())
    values_.emplace(std::string{d.name}, std::string{d.values.front()});
}

std::optional<quirk_set> quirk_set::profile(std::string_view name) {
  quirk_set out;
  if (name == "default")
    return out;
  if (name != "adversarial")
    return std::nullopt;
  for (const auto& d : quirk_defs())
    out.values_[std::string{d.name}] = std::string{d.adversarial};
  return out;
}

std::string quirk_set::set(std::string_view assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos)
    return "a quirk is NAME=VALUE (got \"" + std::string{assignment} + "\")";
  return set(assignment.substr(0, eq), assignment.substr(eq + 1));
}

std::string quirk_set::set(std::string_view name, std::string_view value) {
  const auto* d = find_def(name);
  if (d == nullptr) {
    std::string known;
    for (const auto& x : quirk_defs())
      known += (known.empty() ? "" : ", ") + std::string{x.name};
    return "unknown quirk \"" + std::string{name} + "\" (known: " + known + ")";
  }
  bool free_number
    = ((d->name == "search_lag_ms" || d->name == "oauth.token_limit")
       && to_size(value).has_value())
      || (d->name == "clock_offset_s" && to_int(value).has_value());
  bool listed = false;
  for (auto v : d->values)
    listed = listed || v == value;
  if (!listed && !free_number)
    return "quirk " + std::string{name} + " takes " + join_values(*d)
           + " (got \"" + std::string{value} + "\")";
  values_[std::string{name}] = std::string{value};
  return {};
}

const std::string& quirk_set::get(std::string_view name) const {
  return values_.find(name)->second;
}

bool quirk_set::fortnox_lastmodified_inclusive() const {
  return get("fortnox.lastmodified_boundary") == "inclusive";
}

bool quirk_set::fortnox_lastmodified_seconds() const {
  return get("fortnox.lastmodified_seconds") == "honoured";
}

bool quirk_set::fortnox_lastmodified_fold_later() const {
  return get("fortnox.lastmodified_fold") == "later";
}

std::size_t quirk_set::fortnox_max_limit() const {
  return to_size(get("fortnox.max_limit")).value_or(500);
}

bool quirk_set::fortnox_over_limit_clamped() const {
  return get("fortnox.over_limit") == "clamp";
}

bool quirk_set::fortnox_page_past_end_404() const {
  return get("fortnox.page_past_end") == "404";
}

bool quirk_set::fortnox_credit_copies_reference() const {
  return get("fortnox.credit_copies_reference") == "true";
}

std::size_t quirk_set::visma_max_pagesize() const {
  return to_size(get("visma.max_pagesize")).value_or(500);
}

bool quirk_set::visma_substring_filter() const {
  return get("visma.filter_match") == "substring";
}

bool quirk_set::visma_summary_list_items() const {
  return get("visma.list_items") == "summary";
}

bool quirk_set::visma_whole_totals() const {
  return get("visma.total_rounding") == "whole";
}

bool quirk_set::visma_throttle_hint() const {
  return get("visma.throttle_body") == "hint";
}

std::size_t quirk_set::oauth_token_limit() const {
  return to_size(get("oauth.token_limit")).value_or(0);
}

latency_side quirk_set::latency() const {
  const auto& v = get("latency_side");
  if (v == "request")
    return latency_side::request;
  if (v == "split")
    return latency_side::split;
  return latency_side::answer;
}

std::chrono::seconds quirk_set::clock_offset() const {
  return std::chrono::seconds{to_int(get("clock_offset_s")).value_or(0)};
}

std::chrono::milliseconds quirk_set::search_lag() const {
  return std::chrono::milliseconds{
    static_cast<int64_t>(to_size(get("search_lag_ms")).value_or(0))};
}

} // namespace ledgerd::sim
