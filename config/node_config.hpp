// The node's configuration: a plain tree of structs with documented defaults.
// load_config (config/load_config.hpp) fills it from a TOML file and checks
// it; everything here is plain data plus a few lookups, without I/O.
//
// Durations are whole milliseconds; in TOML they are strings such as "500ms",
// "5s", "2m", "1h" or "7d" (see parse_duration).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ledgerd::config {

/// Every duration in the configuration.
using duration = std::chrono::milliseconds;

// -- enumerations -------------------------------------------------------------

/// Lowest level of log lines the node writes.
enum class log_level { debug, info, warn, error };

/// CAF scheduler policy: work sharing (one shared queue) or work stealing.
enum class scheduler_policy { sharing, stealing };

/// An accounting provider.
enum class provider_kind { fortnox, visma };

/// A kind of record the engine keeps in sync.
enum class entity_kind { customers, invoices };

/// How a field changed on both sides to different values is resolved.
enum class conflict_rule {
  /// The provider's value wins.
  remote_wins,
  /// The company's own (PostgreSQL) value wins.
  local_wins,
  /// The later change wins; ties go to conflict_config::tie_winner.
  last_write_wins,
  /// A person decides: a row in `conflicts`, an alert, and the record waits.
  manual,
};

/// One side of the sync.
enum class sync_side { local, remote };

/// Comparison of an alert rule: metric `op` threshold.
enum class compare_op { gt, ge, lt, le, eq };

/// How urgent a firing alert is.
enum class alert_severity { info, warning, critical };

/// The TOML spelling of each enumerator, in declaration order.
template<class E>
struct enum_names;

template<>
struct enum_names<log_level> {
  static constexpr std::array<std::string_view, 4> value{"debug", "info",
                                                         "warn", "error"};
};

template<>
struct enum_names<scheduler_policy> {
  static constexpr std::array<std::string_view, 2> value{"sharing", "stealing"};
};

template<>
struct enum_names<provider_kind> {
  static constexpr std::array<std::string_view, 2> value{"fortnox", "visma"};
};

template<>
struct enum_names<entity_kind> {
  static constexpr std::array<std::string_view, 2> value{"customers",
                                                         "invoices"};
};

template<>
struct enum_names<conflict_rule> {
  static constexpr std::array<std::string_view, 4> value{
    "remote_wins", "local_wins", "last_write_wins", "manual"};
};

template<>
struct enum_names<sync_side> {
  static constexpr std::array<std::string_view, 2> value{"local", "remote"};
};

template<>
struct enum_names<compare_op> {
  static constexpr std::array<std::string_view, 5> value{">", ">=", "<",
                                                         "<=", "=="};
};

template<>
struct enum_names<alert_severity> {
  static constexpr std::array<std::string_view, 3> value{"info", "warning",
                                                         "critical"};
};

/// The TOML spelling of `x`.
template<class E>
constexpr std::string_view to_string(E x) requires requires {
  enum_names<E>::value;
}
{ return enum_names<E>::value[static_cast<size_t>(x)]; }

/// Parses the exact TOML spelling of an enumerator.
template<class E>
constexpr std::optional<E> from_string(std::string_view str) {
  const auto& names = enum_names<E>::value;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == str)
      return static_cast<E>(i);
  return std::nullopt;
}

// -- durations ----------------------------------------------------------------

/// Parses a duration: decimal digits followed by one unit, `ms`, `s`, `m`,
/// `h` or `d`, without sign, fraction or spaces ("500ms", "5s", "7d").
/// Returns nullopt on anything else or on overflow.
std::optional<duration> parse_duration(std::string_view str);

/// Formats `x` in the largest unit that represents it exactly ("90s" ->
/// "90s", 120000ms -> "2m"); the inverse of parse_duration.
std::string format_duration(duration x);

/// The host name of this machine: the default node_id ("ledgerd" when it
/// cannot be determined).
std::string default_node_id();

// -- [node] -------------------------------------------------------------------

/// Where the HTTP server (webhooks, /v1, /metrics, console) listens.
struct listen_address {
  /// Host name or IP address; IPv6 without brackets.
  std::string host = "127.0.0.1";
  /// TCP port; 0 picks a free port (tests).
  uint16_t port = 8080;

  friend bool operator==(const listen_address&, const listen_address&)
    = default;
};

/// "host:port", with brackets around an IPv6 host.
std::string to_string(const listen_address& x);

/// The CAF actor scheduler.
struct scheduler_config {
  /// Worker threads (1..256).
  size_t threads = 2;
  /// Work sharing or work stealing.
  scheduler_policy policy = scheduler_policy::sharing;

  friend bool operator==(const scheduler_config&, const scheduler_config&)
    = default;
};

/// [node]: this process.
struct node_settings {
  /// HTTP listen address ("host:port").
  listen_address listen;
  /// Name of this node: owner of job leases and tenant leases. Default: the
  /// host name.
  std::string node_id = default_node_id();
  /// Lowest level that is logged.
  config::log_level log_level = config::log_level::info;
  /// How long a shutdown waits for running jobs before it abandons them
  /// (their leases then expire and another node takes them).
  duration shutdown_grace = std::chrono::seconds{10};
  /// [node.scheduler].
  scheduler_config scheduler;

  friend bool operator==(const node_settings&, const node_settings&) = default;
};

// -- [database] ---------------------------------------------------------------

/// [database]: the PostgreSQL that holds jobs, links, cursors and the
/// company's own tables.
struct database_config {
  /// libpq connection string: a URI ("postgresql://user@host/db") or
  /// key=value pairs ("host=/run/postgresql dbname=ledgerd"). Required.
  std::string url;
  /// Connections in the pool (1..1000).
  size_t pool_size = 8;
  /// How long a caller waits for a free pooled connection before failing.
  duration acquire_timeout = std::chrono::seconds{5};

  friend bool operator==(const database_config&, const database_config&)
    = default;
};

// -- [supervisor] -------------------------------------------------------------

/// [supervisor]: OTP restart intensity. More than `max_restarts` restarts
/// within `restart_period` mean the fault is not transient and the
/// supervisor gives up (the node stops).
struct supervisor_config {
  /// Restarts allowed within one period.
  size_t max_restarts = 5;
  /// Length of the sliding period.
  duration restart_period = std::chrono::seconds{60};

  friend bool operator==(const supervisor_config&, const supervisor_config&)
    = default;
};

// -- [jobs] -------------------------------------------------------------------

/// [jobs]: defaults for the job queue.
struct jobs_config {
  /// Jobs running at once on this node, over all tenants.
  size_t concurrency = 32;
  /// Jobs running at once for one tenant (at most `concurrency`).
  size_t per_tenant_concurrency = 4;
  /// First retry delay; it doubles per attempt (with jitter) ...
  duration retry_base = std::chrono::seconds{1};
  /// ... up to this cap (at least retry_base).
  duration retry_cap = std::chrono::minutes{5};
  /// Attempts before a job fails for good (1..1000).
  uint32_t max_attempts = 8;
  /// How long a claimed job stays leased to this node without a heartbeat.
  duration lease = std::chrono::seconds{60};
  /// How long completed jobs are kept before they are deleted.
  duration retain_completed = std::chrono::hours{24 * 7};
  /// How long failed jobs are kept before they are deleted.
  duration retain_failed = std::chrono::hours{24 * 30};

  friend bool operator==(const jobs_config&, const jobs_config&) = default;
};

// -- [api] --------------------------------------------------------------------

/// [api]: the /v1 admin HTTP API.
struct api_config {
  /// Bearer tokens accepted on /v1 (each non-empty; usually "${VAR}"). None
  /// = every /v1 route except /v1/status answers 401 (closed by default).
  std::vector<std::string> tokens;
  /// Largest accepted request body; larger ones get 413 (1..1 GiB).
  size_t max_body_bytes = 1024 * 1024;

  friend bool operator==(const api_config&, const api_config&) = default;
};

// -- [rate_limits] ------------------------------------------------------------

/// A sliding-window budget: at most `requests` in any `window`.
struct rate_limit {
  /// Requests admitted per window (>= 1).
  uint32_t requests = 25;
  /// Length of the sliding window (> 0).
  duration window = std::chrono::seconds{5};
  /// Safety margin added to the window against clock granularity (>= 0,
  /// less than the window). Latency needs none: a slot is stamped at its
  /// answer, after the provider counted the request.
  duration margin = std::chrono::milliseconds{20};

  friend bool operator==(const rate_limit&, const rate_limit&) = default;
};

/// Per-tenant changes to a provider's rate limit; unset fields inherit.
struct rate_limit_override {
  std::optional<uint32_t> requests;
  std::optional<duration> window;
  std::optional<duration> margin;

  /// `base` with the fields that are set here replaced.
  rate_limit apply(rate_limit base) const;

  friend bool operator==(const rate_limit_override&, const rate_limit_override&)
    = default;
};

/// [rate_limits]: what each provider enforces (provider-facts.md).
struct rate_limits_config {
  /// Fortnox: 25 requests in any 5 s, per (client id, tenant).
  rate_limit fortnox{25, std::chrono::seconds{5},
                     std::chrono::milliseconds{20}};
  /// Visma eAccounting: 600 requests per minute, per (client, endpoint).
  rate_limit visma{600, std::chrono::seconds{60},
                   std::chrono::milliseconds{20}};

  /// The limit for `x`.
  const rate_limit& of(provider_kind x) const;

  friend bool operator==(const rate_limits_config&, const rate_limits_config&)
    = default;
};

// -- [[tenants]] --------------------------------------------------------------

/// Where a connection's OAuth tokens come from.
struct credentials_ref {
  enum class source {
    /// The `credentials` table in PostgreSQL (rotated tokens are stored
    /// there).
    db,
    /// An environment variable, read when the connection starts.
    env,
    /// Fortnox service account: OAuth client credentials for the Fortnox
    /// TenantId in `variable`; no refresh token at all.
    client_credentials,
  };

  source from = source::db;
  /// Name of the environment variable when `from == source::env`, the
  /// provider's TenantId when `from == source::client_credentials`.
  std::string variable;

  friend bool operator==(const credentials_ref&, const credentials_ref&)
    = default;
};

/// "db", "env:NAME" or "client_credentials:TENANT_ID".
std::string to_string(const credentials_ref& x);

/// [[tenants.connections]]: one provider account of a tenant. The real hosts
/// are only defaults; any stand-in (simulator, replayer, mock) can take their
/// place. Endpoints are set together: setting one requires all of them.
struct connection_config {
  /// Which provider.
  provider_kind provider = provider_kind::fortnox;
  /// API base URL without the version, maybe with a path prefix
  /// ("http://127.0.0.1:9100/fortnox", then "/3/invoices"). No trailing '/'.
  std::string base_url;
  /// OAuth token endpoint.
  std::string token_url;
  /// Fortnox WebSocket topics endpoint (ws:// or wss://); empty for Visma.
  std::string websocket_url;
  /// Where the tokens come from.
  credentials_ref credentials;
  /// OAuth client id (required).
  std::string client_id;
  /// OAuth client secret (required; usually "${VAR}" from the environment).
  std::string client_secret;
  /// API version: selects the adapter's mapping for it and is the path
  /// segment after base_url. One of known_api_versions(provider): Fortnox
  /// "3"; Visma "v2" (default) or "v3" (the simulator's stand-in for a
  /// future version).
  std::string api_version;
  /// A disabled connection is configured but not started.
  bool enabled = true;
  /// [tenants.connections.create_defaults]: provider fields every create of
  /// a customer / an invoice starts from (a JSON object as text, "" = none),
  /// for what the provider requires and the canonical model does not carry
  /// (e.g. Visma's TermsOfPaymentId).
  std::string customer_defaults;
  std::string invoice_defaults;

  friend bool operator==(const connection_config&, const connection_config&)
    = default;
};

/// Default API base URL of `x` (the real host).
std::string_view default_base_url(provider_kind x);

/// Default OAuth token URL of `x`.
std::string_view default_token_url(provider_kind x);

/// Default WebSocket URL of `x` (empty for providers without one).
std::string_view default_websocket_url(provider_kind x);

/// Default API version path segment of `x`.
std::string_view default_api_version(provider_kind x);

/// The API versions of `x` ledgerd has a mapping for, oldest first (the
/// adapters' list, adapters/provider/registry.hpp known_versions; a test
/// holds the two equal, so the loader needs no adapter code).
std::span<const std::string_view> known_api_versions(provider_kind x);

/// [tenants.sync.conflicts]: three-way merge rules.
struct conflict_config {
  /// Rule for fields without an override.
  conflict_rule default_rule = conflict_rule::last_write_wins;
  /// Overrides by field, keyed "customer.<field>" or "invoice.<field>".
  std::map<std::string, conflict_rule, std::less<>> fields;
  /// Who wins a last_write_wins tie (equal change times).
  sync_side tie_winner = sync_side::remote;

  /// The rule for `field` ("invoice.due_date").
  conflict_rule rule_for(std::string_view field) const;

  friend bool operator==(const conflict_config&, const conflict_config&)
    = default;
};

/// [tenants.sync].
struct sync_config {
  /// What is synced (non-empty, no duplicates).
  std::vector<entity_kind> entities{entity_kind::customers,
                                    entity_kind::invoices};
  /// Polling period (the safety net; slower while events are healthy).
  duration poll_interval = std::chrono::minutes{5};
  /// How often every remote id is listed to find hard deletes and anything
  /// a delta missed.
  duration reconcile_interval = std::chrono::hours{1};
  /// A delta pull asks for changes since its last scan's start minus this,
  /// so that changes committed while a scan ran are read again.
  duration pull_overlap = std::chrono::minutes{2};
  /// A write whose answer was lost is looked up before it is sent again; a
  /// lookup that finds nothing is believed only once the write is at least
  /// this old (provider searches may lag their store).
  duration in_doubt_settle = std::chrono::seconds{10};
  /// While provider events flow for a connection, its polling interval is
  /// this many times longer (1 = never stretched).
  uint32_t event_stretch = 4;
  /// Merge rules.
  conflict_config conflicts;

  /// Whether `x` is in `entities`.
  bool syncs(entity_kind x) const;

  friend bool operator==(const sync_config&, const sync_config&) = default;
};

/// [tenants.webhooks]: signed webhooks to POST /webhooks/{provider}/{tenant}
/// (Standard Webhooks).
struct webhook_config {
  /// Valid secrets ("whsec_" + base64), at most two: both are accepted
  /// while a secret rotates. Empty: webhooks of this tenant are refused.
  std::vector<std::string> secrets;
  /// How far webhook-timestamp may be from now.
  duration tolerance = std::chrono::minutes{5};

  friend bool operator==(const webhook_config&, const webhook_config&)
    = default;
};

/// [[tenants]]: one company.
struct tenant_config {
  /// Slug: lower-case letters, digits and '-', 1..63 characters, starting
  /// and ending with a letter or digit; unique.
  std::string id;
  /// Display name (default: the id).
  std::string name;
  /// Provider accounts, at most one per provider.
  std::vector<connection_config> connections;
  /// What and how to sync.
  sync_config sync;
  /// Incoming webhooks.
  webhook_config webhooks;
  /// [tenants.rate_limits.<provider>]: changes to [rate_limits] for this
  /// tenant.
  std::map<provider_kind, rate_limit_override> rate_limits;

  /// The connection to `x`, or nullptr.
  const connection_config* connection(provider_kind x) const;

  friend bool operator==(const tenant_config&, const tenant_config&) = default;
};

// -- [[alerts]] ---------------------------------------------------------------

/// [[alerts]]: fires when `metric op threshold` has held for `for_duration`.
struct alert_rule {
  /// Unique name.
  std::string name;
  /// Prometheus metric name ("ledgerd_conflicts_open").
  std::string metric;
  /// Label matchers: only series with these label values count.
  std::map<std::string, std::string, std::less<>> labels;
  /// Comparison of `condition = "> 10"`.
  compare_op op = compare_op::gt;
  /// Threshold of `condition`.
  double threshold = 0;
  /// How long the condition must hold before the alert fires (`for`).
  duration for_duration = duration::zero();
  /// Urgency.
  alert_severity severity = alert_severity::warning;
  /// Zero: the metric's current value (summed over the matching series).
  /// Set: a counter's increase over the window, or with `quantile` a
  /// histogram's quantile over the window.
  duration window = duration::zero();
  /// A histogram's quantile (0 < q < 1) over `window`; nullopt otherwise.
  std::optional<double> quantile;
  /// With `window`: the value is increase(metric{labels, ratio_of}) /
  /// increase(metric{labels}), e.g. the share of failed calls.
  std::map<std::string, std::string, std::less<>> ratio_of;
  /// How the matching series combine: false = their sum, true = their
  /// largest value (`aggregate = "max"`, e.g. the worst sync lag).
  bool aggregate_max = false;

  /// Whether `value` meets the condition.
  bool holds(double value) const;

  friend bool operator==(const alert_rule&, const alert_rule&) = default;
};

// -- [monitor] ----------------------------------------------------------------

/// [monitor]: metrics gathering and where alerts are sent.
struct monitor_config {
  /// How often gauges are gathered, history recorded and alerts evaluated.
  duration interval = std::chrono::seconds{1};
  /// Firing and resolved alerts are POSTed here as JSON; empty = only
  /// logged and shown.
  std::string alert_webhook;
  /// Attempts per notification (backoff from 1 s, doubling, capped at 30 s).
  size_t alert_webhook_attempts = 5;
  /// Deadline of one POST.
  duration alert_webhook_timeout = std::chrono::seconds{5};

  friend bool operator==(const monitor_config&, const monitor_config&)
    = default;
};

// -- root ---------------------------------------------------------------------

/// The whole configuration file.
struct node_config {
  /// [node].
  node_settings node;
  /// [database].
  database_config database;
  /// [supervisor].
  supervisor_config supervisor;
  /// [jobs].
  jobs_config jobs;
  /// [api].
  api_config api;
  /// [rate_limits].
  rate_limits_config rate_limits;
  /// [[tenants]], in file order.
  std::vector<tenant_config> tenants;
  /// [monitor].
  monitor_config monitor;
  /// [[alerts]], in file order.
  std::vector<alert_rule> alerts;

  /// The tenant with `id`, or nullptr.
  const tenant_config* find_tenant(std::string_view id) const;

  /// The effective limit for `tenant` at provider `x`: [rate_limits] with
  /// the tenant's overrides applied.
  rate_limit rate_limit_for(const tenant_config& tenant, provider_kind x) const;

  friend bool operator==(const node_config&, const node_config&) = default;
};

} // namespace ledgerd::config
