// OAuth 2 token requests of both providers (pure: builds requests, reads
// responses). Fortnox (apps.fortnox.se/oauth-v1/token) and Visma
// (identity.vismaonline.com/connect/token) take the same form-encoded
// refresh request with HTTP Basic client authentication; Fortnox service
// accounts use client credentials with a TenantId header instead.
// Refresh tokens are single use on both: every refresh returns a new one.
#pragma once

#include "adapters/http/client.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace ledgerd::oauth {

/// grant_type=refresh_token with the current refresh token.
http::client_request refresh_request(std::string_view token_url,
                                     std::string_view client_id,
                                     std::string_view client_secret,
                                     std::string_view refresh_token);

/// grant_type=client_credentials for a Fortnox service account of
/// `provider_tenant_id` (header TenantId).
http::client_request client_credentials_request(
  std::string_view token_url, std::string_view client_id,
  std::string_view client_secret, std::string_view provider_tenant_id);

/// What the token endpoint answered.
struct token_response {
  bool ok = false;
  std::string access_token;
  /// Empty when the endpoint rotated none (client credentials).
  std::string refresh_token;
  std::chrono::seconds expires_in{0};
  /// On failure: the OAuth error ("invalid_grant", "invalid_client", ...)
  /// or "transient" (network, timeout, 5xx, 429, unreadable body).
  std::string error;
  std::string message;

  /// The grant itself is dead: only a person can authorize again.
  bool needs_reauth() const {
    return error == "invalid_grant" || error == "invalid_client"
           || error == "unauthorized_client";
  }
};

token_response parse_token_response(const http::client_result& res);

/// "Basic base64(id:secret)".
std::string basic_auth(std::string_view id, std::string_view secret);

} // namespace ledgerd::oauth
