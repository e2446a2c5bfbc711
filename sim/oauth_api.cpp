#include "sim/oauth_api.hpp"

#include "sim/url.hpp"

namespace ledgerd::sim {

namespace {

api_response oauth_error(int status, const char* error, const char* text) {
  return api_response::of(status,
                          {{"error", error}, {"error_description", text}});
}

} // namespace

api_response oauth_token(world& w, const std::string& provider,
                         const api_request& req) {
  if (req.method != "POST")
    return oauth_error(405, "invalid_request", "Method not allowed");
  auto form = parse_form(req.body);
  // Basic auth as both providers document; Visma clients may also post the
  // credentials in the form.
  auto creds = basic_credentials(req.authorization);
  if (!creds && form.count("client_id") > 0)
    creds = std::pair{form["client_id"], form["client_secret"]};
  if (!creds)
    return oauth_error(401, "invalid_client",
                       "The client credentials are invalid");
  // Judged before the grant: a throttled refresh rotates nothing.
  if (!w.admit_token_request(provider, creds->first)) {
    api_response r;
    r.status = 429;
    r.text = "Too Many Requests";
    r.content_type = "text/plain";
    return r;
  }
  auto now = token_store::clock::now();
  const auto& grant = form["grant_type"];
  oauth_result r;
  if (grant == "refresh_token") {
    r = w.tokens.refresh(provider, creds->first, creds->second,
                         form["refresh_token"], now);
  } else if (grant == "client_credentials" && provider == "fortnox") {
    int64_t tenant_id = 0;
    try {
      tenant_id = std::stoll(req.tenant_id);
    } catch (const std::exception&) {
      return oauth_error(400, "invalid_request", "Missing TenantId header");
    }
    r = w.tokens.client_credentials(creds->first, creds->second, tenant_id,
                                    now);
  } else {
    return oauth_error(400, "unsupported_grant_type",
                       "The grant type is not supported");
  }
  return api_response::of(r.status, std::move(r.body));
}

} // namespace ledgerd::sim
