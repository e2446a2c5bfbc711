#include "config/node_config.hpp"

#include <algorithm>
#include <limits>
#include <unistd.h>

namespace ledgerd::config {

// -- durations ----------------------------------------------------------------

namespace {

struct unit {
  std::string_view suffix;
  int64_t millis;
};

// Largest first: format_duration picks the first that divides exactly.
constexpr std::array<unit, 5> units{{
  {"d", 86'400'000},
  {"h", 3'600'000},
  {"m", 60'000},
  {"s", 1'000},
  {"ms", 1},
}};

} // namespace

std::optional<duration> parse_duration(std::string_view str) {
  size_t digits = 0;
  while (digits < str.size() && str[digits] >= '0' && str[digits] <= '9')
    ++digits;
  if (digits == 0 || digits == str.size())
    return std::nullopt;
  auto suffix = str.substr(digits);
  auto u = std::find_if(units.begin(), units.end(), [&](const unit& x) {
    return x.suffix == suffix;
  });
  if (u == units.end())
    return std::nullopt;
  constexpr auto max = std::numeric_limits<int64_t>::max();
  int64_t count = 0;
  for (size_t i = 0; i < digits; ++i) {
    auto digit = static_cast<int64_t>(str[i] - '0');
    if (count > (max - digit) / 10)
      return std::nullopt;
    count = count * 10 + digit;
  }
  if (count > max / u->millis)
    return std::nullopt;
  return duration{count * u->millis};
}

std::string format_duration(duration x) {
  auto ms = x.count();
  if (ms == 0)
    return "0s";
  for (const auto& u : units)
    if (ms % u.millis == 0)
      return std::to_string(ms / u.millis) + std::string{u.suffix};
  return std::to_string(ms) + "ms"; // unreachable: "ms" divides everything
}

std::string default_node_id() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0')
    return "ledgerd";
  return std::string{buf.data()};
}

// -- [node] -------------------------------------------------------------------

std::string to_string(const listen_address& x) {
  auto port = std::to_string(x.port);
  if (x.host.find(':') != std::string::npos)
    return "[" + x.host + "]:" + port;
  return x.host + ":" + port;
}

// -- [rate_limits] ------------------------------------------------------------

rate_limit rate_limit_override::apply(rate_limit base) const {
  if (requests)
    base.requests = *requests;
  if (window)
    base.window = *window;
  if (margin)
    base.margin = *margin;
  return base;
}

const rate_limit& rate_limits_config::of(provider_kind x) const {
  switch (x) {
  case provider_kind::fortnox:
    return fortnox;
  case provider_kind::visma:
    return visma;
  }
  return fortnox; // unreachable
}

// -- [[tenants]] --------------------------------------------------------------

std::string to_string(const credentials_ref& x) {
  if (x.from == credentials_ref::source::env)
    return "env:" + x.variable;
  if (x.from == credentials_ref::source::client_credentials)
    return "client_credentials:" + x.variable;
  return "db";
}

std::string_view default_base_url(provider_kind x) {
  switch (x) {
  case provider_kind::fortnox:
    return "https://api.fortnox.se";
  case provider_kind::visma:
    return "https://eaccountingapi.vismaonline.com";
  }
  return {};
}

std::string_view default_token_url(provider_kind x) {
  switch (x) {
  case provider_kind::fortnox:
    return "https://apps.fortnox.se/oauth-v1/token";
  case provider_kind::visma:
    return "https://identity.vismaonline.com/connect/token";
  }
  return {};
}

std::string_view default_websocket_url(provider_kind x) {
  switch (x) {
  case provider_kind::fortnox:
    return "wss://ws.fortnox.se/topics-v1";
  case provider_kind::visma:
    return {};
  }
  return {};
}

std::string_view default_api_version(provider_kind x) {
  switch (x) {
  case provider_kind::fortnox:
    return "3";
  case provider_kind::visma:
    return "v2";
  }
  return {};
}

std::span<const std::string_view> known_api_versions(provider_kind x) {
  static constexpr std::string_view fortnox[] = {"3"};
  static constexpr std::string_view visma[] = {"v2", "v3"};
  switch (x) {
  case provider_kind::fortnox:
    return fortnox;
  case provider_kind::visma:
    return visma;
  }
  return {};
}

conflict_rule conflict_config::rule_for(std::string_view field) const {
  if (auto i = fields.find(field); i != fields.end())
    return i->second;
  return default_rule;
}

bool sync_config::syncs(entity_kind x) const {
  return std::find(entities.begin(), entities.end(), x) != entities.end();
}

const connection_config* tenant_config::connection(provider_kind x) const {
  for (const auto& c : connections)
    if (c.provider == x)
      return &c;
  return nullptr;
}

// -- [[alerts]] ---------------------------------------------------------------

bool alert_rule::holds(double value) const {
  switch (op) {
  case compare_op::gt:
    return value > threshold;
  case compare_op::ge:
    return value >= threshold;
  case compare_op::lt:
    return value < threshold;
  case compare_op::le:
    return value <= threshold;
  case compare_op::eq:
    return value == threshold;
  }
  return false;
}

// -- root ---------------------------------------------------------------------

const tenant_config* node_config::find_tenant(std::string_view id) const {
  for (const auto& t : tenants)
    if (t.id == id)
      return &t;
  return nullptr;
}

rate_limit node_config::rate_limit_for(const tenant_config& tenant,
                                       provider_kind x) const {
  auto base = rate_limits.of(x);
  if (auto i = tenant.rate_limits.find(x); i != tenant.rate_limits.end())
    return i->second.apply(base);
  return base;
}

} // namespace ledgerd::config
