// OAuth state of every tenant: client credentials, the one valid refresh
// token (single use, rotated on every refresh, as both providers do) and
// the access tokens with their expiry.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <string>

namespace ledgerd::sim {

struct oauth_client {
  std::string provider;   // "fortnox" or "visma"
  std::string tenant_key; // "fortnox/acme"
  std::string client_id;
  std::string client_secret;
  int64_t tenant_id = 0; // Fortnox TenantId; 0 for Visma
};

/// An OAuth endpoint's answer.
struct oauth_result {
  int status;
  nlohmann::json body;
};

enum class token_check { ok, unknown, expired };

class token_store {
public:
  using clock = std::chrono::steady_clock;

  token_store(double time_scale, uint64_t seed);

  /// Registers a tenant and returns its first token pair. Given tokens are
  /// used as they are (a seed file can pin them); missing ones are made up.
  nlohmann::json add_tenant(oauth_client c,
                            std::optional<std::string> refresh_token,
                            std::optional<std::string> access_token,
                            clock::time_point now);

  /// grant_type=refresh_token.
  oauth_result refresh(const std::string& provider, const std::string& id,
                       const std::string& secret, const std::string& token,
                       clock::time_point now);

  /// grant_type=client_credentials with a TenantId header (Fortnox only).
  oauth_result client_credentials(const std::string& id,
                                  const std::string& secret, int64_t tenant_id,
                                  clock::time_point now);

  /// Which tenant an access token belongs to, if it is still valid.
  std::pair<token_check, std::string> resolve(const std::string& access_token,
                                              clock::time_point now) const;

  const oauth_client* client_of(const std::string& tenant_key) const;

  /// Every access token expires now (fault "expire_tokens").
  void expire_all(clock::time_point now);

  /// {"fortnox/acme": n}
  nlohmann::json refreshes() const;

  void clear();

private:
  bool client_ok(const std::string& provider, const std::string& id,
                 const std::string& secret) const;
  std::string make_token(const char* prefix);
  nlohmann::json issue(const std::string& tenant_key, bool with_refresh,
                       std::optional<std::string> refresh_token,
                       std::optional<std::string> access_token,
                       clock::time_point now);

  clock::duration lifetime_;
  long expires_in_;
  std::mt19937_64 rng_;
  std::map<std::string, oauth_client> clients_; // by tenant key
  std::map<std::string, std::string> refresh_;  // token -> tenant key
  struct grant {
    std::string tenant_key;
    clock::time_point expires;
  };
  std::map<std::string, grant> access_;
  std::map<std::string, uint64_t> refresh_count_;
};

} // namespace ledgerd::sim
