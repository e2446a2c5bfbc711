#include "sim/token_store.hpp"

#include <cmath>

namespace ledgerd::sim {

namespace {

constexpr double access_lifetime_s = 3600;

oauth_result invalid_client() {
  return {401,
          {{"error", "invalid_client"},
           {"error_description", "The client credentials are invalid"}}};
}

oauth_result invalid_grant() {
  return {400,
          {{"error", "invalid_grant"},
           {"error_description", "Invalid refresh token"}}};
}

} // namespace

token_store::token_store(double time_scale, uint64_t seed)
  : lifetime_(std::chrono::duration_cast<clock::duration>(
    std::chrono::duration<double>(access_lifetime_s / time_scale)))
  , expires_in_(std::max(1L, std::lround(access_lifetime_s / time_scale)))
  , rng_(seed ^ 0x746f6b656e73ULL) {}

std::string token_store::make_token(const char* prefix) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = prefix;
  for (int i = 0; i < 32; ++i)
    out += hex[rng_() % 16];
  return out;
}

nlohmann::json token_store::issue(const std::string& tenant_key,
                                  bool with_refresh,
                                  std::optional<std::string> refresh_token,
                                  std::optional<std::string> access_token,
                                  clock::time_point now) {
  auto access = access_token.value_or(make_token("at-"));
  access_[access] = grant{tenant_key, now + lifetime_};
  nlohmann::json out{{"access_token", access},
                     {"expires_in", expires_in_},
                     {"token_type", "bearer"},
                     {"scope", "customer invoice companyinformation"}};
  if (with_refresh) {
    auto refresh = refresh_token.value_or(make_token("rt-"));
    // Single use: the tenant's previous refresh token dies here.
    std::erase_if(refresh_, [&](const auto& kv) {
      return kv.second == tenant_key;
    });
    refresh_[refresh] = tenant_key;
    out["refresh_token"] = refresh;
  }
  return out;
}

nlohmann::json token_store::add_tenant(oauth_client c,
                                       std::optional<std::string> refresh_token,
                                       std::optional<std::string> access_token,
                                       clock::time_point now) {
  auto key = c.tenant_key;
  clients_[key] = std::move(c);
  return issue(key, true, std::move(refresh_token), std::move(access_token),
               now);
}

bool token_store::client_ok(const std::string& provider, const std::string& id,
                            const std::string& secret) const {
  for (const auto& [key, c] : clients_)
    if (c.provider == provider && c.client_id == id
        && c.client_secret == secret)
      return true;
  return false;
}

oauth_result token_store::refresh(const std::string& provider,
                                  const std::string& id,
                                  const std::string& secret,
                                  const std::string& token,
                                  clock::time_point now) {
  if (!client_ok(provider, id, secret))
    return invalid_client();
  auto i = refresh_.find(token);
  if (i == refresh_.end())
    return invalid_grant();
  const auto& c = clients_.at(i->second);
  if (c.client_id != id)
    return invalid_grant();
  auto key = i->second;
  ++refresh_count_[key];
  return {200, issue(key, true, std::nullopt, std::nullopt, now)};
}

oauth_result token_store::client_credentials(const std::string& id,
                                             const std::string& secret,
                                             int64_t tenant_id,
                                             clock::time_point now) {
  if (!client_ok("fortnox", id, secret))
    return invalid_client();
  for (const auto& [key, c] : clients_)
    if (c.provider == "fortnox" && c.client_id == id
        && c.tenant_id == tenant_id)
      return {200, issue(key, false, std::nullopt, std::nullopt, now)};
  return {
    400,
    {{"error", "invalid_request"}, {"error_description", "Invalid TenantId"}}};
}

std::pair<token_check, std::string>
token_store::resolve(const std::string& access_token,
                     clock::time_point now) const {
  auto i = access_.find(access_token);
  if (i == access_.end())
    return {token_check::unknown, {}};
  if (now >= i->second.expires)
    return {token_check::expired, i->second.tenant_key};
  return {token_check::ok, i->second.tenant_key};
}

const oauth_client* token_store::client_of(const std::string& key) const {
  auto i = clients_.find(key);
  return i == clients_.end() ? nullptr : &i->second;
}

void token_store::expire_all(clock::time_point now) {
  for (auto& [token, g] : access_)
    g.expires = std::min(g.expires, now);
}

nlohmann::json token_store::refreshes() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, c] : clients_) {
    auto i = refresh_count_.find(key);
    out[key] = i == refresh_count_.end() ? 0 : i->second;
  }
  return out;
}

void token_store::clear() {
  clients_.clear();
  refresh_.clear();
  access_.clear();
  refresh_count_.clear();
}

} // namespace ledgerd::sim
