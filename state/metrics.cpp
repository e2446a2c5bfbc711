#include "state/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace ledgerd::state {

namespace {

using enum metric_type;

const std::vector<double> seconds_buckets{
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800};

const std::vector<double> attempt_buckets{1, 2, 3, 4, 5, 8, 16};

// Declared in the order /metrics lists them; README.md documents each.
const std::vector<metric_family> catalogue{
  // Provider side.
  {"ledgerd_provider_requests_total",
   counter,
   "Provider API calls by provider, endpoint, HTTP status (network, "
   "timeout, ... when no response came) and outcome (ok, rejected, "
   "throttled, error).",
   {"provider", "endpoint", "status", "outcome"}},
  {"ledgerd_provider_request_duration_seconds",
   histogram,
   "Provider API call duration, from sending to the full response.",
   {"provider", "endpoint"},
   seconds_buckets},
  {"ledgerd_connections",
   gauge,
   "Provider connections by state (ok, refreshing, needs_reauth, "
   "unavailable).",
   {"state"}},
  // Rate limits.
  {"ledgerd_rate_limit_grants_total",
   counter,
   "Requests the rate limiter granted, per bucket.",
   {"bucket"}},
  {"ledgerd_rate_limit_waits_total",
   counter,
   "Granted requests that had to wait for their bucket, per bucket.",
   {"bucket"}},
  {"ledgerd_rate_limit_wait_seconds",
   histogram,
   "Time a request waited for its grant, per bucket.",
   {"bucket"},
   seconds_buckets},
  {"ledgerd_rate_limit_requests_per_minute",
   gauge,
   "Requests granted in the last minute, per bucket.",
   {"bucket"}},
  {"ledgerd_rate_limit_limit_per_minute",
   gauge,
   "The bucket's limit scaled to one minute.",
   {"bucket"}},
  {"ledgerd_rate_limit_waiting_requests",
   gauge,
   "Requests waiting for a grant now, per bucket.",
   {"bucket"}},
  {"ledgerd_rate_limit_throttled_total",
   counter,
   "429 answers the bucket saw (each pauses it).",
   {"bucket"}},
  // Jobs.
  {"ledgerd_jobs",
   gauge,
   "Jobs in the queue by state and priority.",
   {"state", "priority"}},
  {"ledgerd_jobs_oldest_pending_seconds",
   gauge,
   "Age of the oldest pending job that is due.",
   {}},
  {"ledgerd_jobs_finished_total",
   counter,
   "Job runs that ended, by kind and outcome (completed, retried, failed).",
   {"kind", "outcome"}},
  {"ledgerd_job_duration_seconds",
   histogram,
   "Duration of one run of a job (sync duration per operation), by kind.",
   {"kind"},
   seconds_buckets},
  {"ledgerd_job_latency_seconds",
   histogram,
   "Time from a job's enqueue to its completion or final failure, by kind.",
   {"kind"},
   seconds_buckets},
  {"ledgerd_job_attempts",
   histogram,
   "Attempts a job took until it completed or failed for good, by kind.",
   {"kind"},
   attempt_buckets},
  {"ledgerd_records_synced_total",
   counter,
   "Records written to the other side, by provider, entity and direction "
   "(pull: provider to local, push: local to provider).",
   {"provider", "entity", "direction"}},
  {"ledgerd_records_synced_last_hour",
   gauge,
   "Records synced in the last hour (both directions).",
   {}},
  // Sync state.
  {"ledgerd_sync_lag_seconds",
   gauge,
   "How far a cursor's watermark is behind now, per tenant, provider and "
   "entity.",
   {"tenant", "provider", "entity"}},
  {"ledgerd_conflicts_open", gauge, "Open conflicts per tenant.", {"tenant"}},
  {"ledgerd_records_remote_read_only",
   gauge,
   "Records whose local change the provider refuses (booked, converted, a "
   "move it does not offer), per tenant.",
   {"tenant"}},
  {"ledgerd_sync_paused",
   gauge,
   "1 while pulls of an entity of a connection are paused by provider drift "
   "(a field the mapping needs missing or renamed).",
   {"tenant", "provider", "entity"}},
  {"ledgerd_event_stream_up",
   gauge,
   "1 when the event stream is subscribed, else 0.",
   {"stream"}},
  {"ledgerd_event_stream_events_total",
   counter,
   "Events the stream received (duplicates included).",
   {"stream"}},
  {"ledgerd_event_stream_lag_seconds",
   gauge,
   "Seconds since the stream last received an event.",
   {"stream"}},
  // Actors.
  {"ledgerd_actors", gauge, "Running actors by type.", {"type"}},
  {"ledgerd_actor_mailbox_messages",
   gauge,
   "Largest mailbox of an actor of the type, as last reported.",
   {"type"}},
  {"ledgerd_supervisor_restarts_total",
   counter,
   "Restarts of each supervised child.",
   {"child"}},
  // Database.
  {"ledgerd_db_pool_connections",
   gauge,
   "PostgreSQL pool connections by state (idle, in_use).",
   {"state"}},
  {"ledgerd_db_pool_max_connections", gauge, "PostgreSQL pool size limit.", {}},
  {"ledgerd_db_pool_waiting_threads",
   gauge,
   "Threads waiting for a pooled connection.",
   {}},
  // The node.
  {"ledgerd_uptime_seconds", gauge, "Seconds since the node started.", {}},
  {"ledgerd_alerts_firing", gauge, "1 while the alert rule fires.", {"rule"}},
  {"ledgerd_metric_samples_rejected_total",
   counter,
   "Reported samples the monitor rejected (unknown metric or labels).",
   {}},
};

bool valid_sample(const metric_family& f, const metric_sample& s) {
  if (s.labels.size() != f.labels.size())
    return false;
  if (f.type == histogram)
    return s.buckets.size() == f.buckets.size() + 1;
  return s.buckets.empty();
}

std::string format_number(double x) {
  if (std::isinf(x))
    return x > 0 ? "+Inf" : "-Inf";
  if (std::isnan(x))
    return "NaN";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return ec == std::errc{} ? std::string{buf, end} : std::string{"0"};
}

void escape_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void escape_help(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

/// `{a="x",b="y"}` (plus an `le` label for buckets); empty without labels.
std::string label_text(const metric_family& f,
                       const std::vector<std::string>& values,
                       std::string_view le = {}) {
  if (f.labels.empty() && le.empty())
    return {};
  std::string out = "{";
  for (size_t i = 0; i < f.labels.size(); ++i) {
    if (i > 0)
      out += ',';
    out += f.labels[i];
    out += "=\"";
    escape_label_value(out, values[i]);
    out += '"';
  }
  if (!le.empty()) {
    if (!f.labels.empty())
      out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
  return out;
}

std::string_view type_name(metric_type t) {
  switch (t) {
  case counter:
    return "counter";
  case gauge:
    return "gauge";
  case histogram:
    return "histogram";
  }
  return "untyped";
}

} // namespace

std::span<const metric_family> metric_catalogue() {
  return catalogue;
}

const metric_family* find_metric(std::string_view name) {
  for (const auto& f : catalogue)
    if (f.name == name)
      return &f;
  return nullptr;
}

// -- metric_buffer ------------------------------------------------------------

void metric_buffer::add(std::string_view name, std::vector<std::string> labels,
                        double n) {
  auto& s = series_[{std::string{name}, labels}];
  s.name = name;
  s.labels = std::move(labels);
  s.value += n;
}

void metric_buffer::observe(std::string_view name,
                            std::vector<std::string> labels, double value) {
  const auto* f = find_metric(name);
  if (f == nullptr || f->type != histogram)
    return;
  auto& s = series_[{std::string{name}, labels}];
  if (s.buckets.empty()) {
    s.name = name;
    s.labels = std::move(labels);
    s.buckets.assign(f->buckets.size() + 1, 0);
  }
  auto i = std::lower_bound(f->buckets.begin(), f->buckets.end(), value);
  ++s.buckets[static_cast<size_t>(i - f->buckets.begin())];
  s.value += value;
}

void metric_buffer::set(std::string_view name, std::vector<std::string> labels,
                        double value) {
  auto& s = series_[{std::string{name}, labels}];
  s.name = name;
  s.labels = std::move(labels);
  s.value = value;
}

std::vector<metric_sample> metric_buffer::take() {
  std::vector<metric_sample> out;
  out.reserve(series_.size());
  for (auto& [_, s] : series_)
    out.push_back(std::move(s));
  series_.clear();
  return out;
}

// -- metric_store -------------------------------------------------------------

bool metric_store::apply(const metric_sample& s) {
  const auto* f = find_metric(s.name);
  if (f == nullptr || !valid_sample(*f, s))
    return false;
  auto& fam = families_[std::string{f->name}];
  auto& ser = fam[s.labels];
  switch (f->type) {
  case gauge:
    ser.value = s.value;
    break;
  case counter:
    ser.value += s.value;
    break;
  case histogram:
    if (ser.buckets.empty())
      ser.buckets.assign(s.buckets.size(), 0);
    for (size_t i = 0; i < s.buckets.size(); ++i)
      ser.buckets[i] += s.buckets[i];
    ser.value += s.value;
    break;
  }
  return true;
}

bool metric_store::set(std::string_view name, std::vector<std::string> labels,
                       double value) {
  const auto* f = find_metric(name);
  if (f == nullptr || f->type == histogram || labels.size() != f->labels.size())
    return false;
  families_[std::string{name}][std::move(labels)].value = value;
  return true;
}

void metric_store::clear(std::string_view name) {
  if (auto i = families_.find(name); i != families_.end())
    families_.erase(i);
}

double metric_store::value(std::string_view name,
                           const std::vector<std::string>& labels) const {
  auto i = families_.find(name);
  if (i == families_.end())
    return 0;
  auto j = i->second.find(labels);
  return j == i->second.end() ? 0 : j->second.value;
}

namespace {

bool labels_match(const metric_family& f,
                  const std::vector<std::string>& labels,
                  const std::map<std::string, std::string>& where) {
  for (const auto& [k, v] : where) {
    auto pos = std::find(f.labels.begin(), f.labels.end(), k);
    if (pos == f.labels.end()
        || labels[static_cast<size_t>(pos - f.labels.begin())] != v)
      return false;
  }
  return true;
}

} // namespace

double metric_store::sum(std::string_view name,
                         const std::map<std::string, std::string>& where,
                         bool max) const {
  const auto* f = find_metric(name);
  auto i = families_.find(name);
  if (f == nullptr || i == families_.end())
    return 0;
  double total = 0;
  bool first = true;
  for (const auto& [labels, ser] : i->second) {
    if (!labels_match(*f, labels, where))
      continue;
    total = !max    ? total + ser.value
            : first ? ser.value
                    : std::max(total, ser.value);
    first = false;
  }
  return total;
}

std::vector<uint64_t> metric_store::histogram_totals(
  std::string_view name,
  const std::map<std::string, std::string>& where) const {
  const auto* f = find_metric(name);
  auto i = families_.find(name);
  if (f == nullptr || i == families_.end())
    return {};
  std::vector<uint64_t> out;
  for (const auto& [labels, ser] : i->second) {
    if (!labels_match(*f, labels, where))
      continue;
    if (out.empty())
      out.assign(ser.buckets.size(), 0);
    uint64_t running = 0;
    for (size_t b = 0; b < ser.buckets.size(); ++b) {
      running += ser.buckets[b];
      out[b] += running;
    }
  }
  return out;
}

std::string metric_store::prometheus_text() const {
  std::string out;
  for (const auto& f : catalogue) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    escape_help(out, f.help);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += type_name(f.type);
    out += '\n';
    auto i = families_.find(f.name);
    if (i == families_.end())
      continue;
    for (const auto& [labels, ser] : i->second) {
      if (f.type != histogram) {
        out += f.name;
        out += label_text(f, labels);
        out += ' ';
        out += format_number(ser.value);
        out += '\n';
        continue;
      }
      uint64_t running = 0;
      for (size_t b = 0; b < ser.buckets.size(); ++b) {
        running += ser.buckets[b];
        auto le = b < f.buckets.size() ? format_number(f.buckets[b])
                                       : std::string{"+Inf"};
        out += f.name;
        out += "_bucket";
        out += label_text(f, labels, le);
        out += ' ';
        out += std::to_string(running);
        out += '\n';
      }
      out += f.name;
      out += "_sum";
      out += label_text(f, labels);
      out += ' ';
      out += format_number(ser.value);
      out += '\n';
      out += f.name;
      out += "_count";
      out += label_text(f, labels);
      out += ' ';
      out += std::to_string(running);
      out += '\n';
    }
  }
  return out;
}

double histogram_quantile(double q, const std::vector<double>& bounds,
                          const std::vector<uint64_t>& counts) {
  if (counts.empty() || counts.back() == 0)
    return 0;
  auto rank = q * static_cast<double>(counts.back());
  for (size_t b = 0; b < counts.size(); ++b) {
    if (static_cast<double>(counts[b]) < rank)
      continue;
    // The +Inf bucket has no upper bound: answer the highest finite one.
    if (b >= bounds.size())
      return bounds.empty() ? 0 : bounds.back();
    double lower = b == 0 ? 0 : bounds[b - 1];
    double below = b == 0 ? 0 : static_cast<double>(counts[b - 1]);
    double in_bucket = static_cast<double>(counts[b]) - below;
    if (in_bucket <= 0)
      return bounds[b];
    return lower + (bounds[b] - lower) * (rank - below) / in_bucket;
  }
  return bounds.empty() ? 0 : bounds.back();
}

} // namespace ledgerd::state
