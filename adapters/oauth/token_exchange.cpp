#include "adapters/oauth/token_exchange.hpp"

#include "state/base64.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace ledgerd::oauth {

namespace {

http::client_request form_post(std::string_view token_url,
                               std::string_view client_id,
                               std::string_view client_secret,
                               std::string body) {
  http::client_request req;
  req.method = "POST";
  req.url = std::string{token_url};
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"},
                 {"Authorization", basic_auth(client_id, client_secret)}};
  req.body = std::move(body);
  return req;
}

token_response failed(std::string error, std::string message) {
  token_response out;
  out.error = std::move(error);
  out.message = std::move(message);
  return out;
}

std::string string_field(const nlohmann::json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_string() ? i->get<std::string>() : "";
}

} // namespace

std::string basic_auth(std::string_view id, std::string_view secret) {
  std::string plain{id};
  plain += ':';
  plain += secret;
  return "Basic " + state::base64_encode(plain);
}

http::client_request refresh_request(std::string_view token_url,
                                     std::string_view client_id,
                                     std::string_view client_secret,
                                     std::string_view refresh_token) {
  return form_post(
    token_url, client_id, client_secret,
    http::make_query({{"grant_type", "refresh_token"},
                      {"refresh_token", std::string{refresh_token}}}));
}

http::client_request client_credentials_request(
  std::string_view token_url, std::string_view client_id,
  std::string_view client_secret, std::string_view provider_tenant_id) {
  auto req = form_post(token_url, client_id, client_secret,
                       "grant_type=client_credentials");
  req.headers.emplace_back("TenantId", std::string{provider_tenant_id});
  return req;
}

token_response parse_token_response(const http::client_result& res) {
  if (res.status == 0)
    return failed("transient", res.message);
  auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (!res.ok()) {
    // 400/401 carry {"error","error_description"}; anything else (5xx,
    // 429, an HTML error page) says nothing about the grant itself.
    if (body.is_object() && body.contains("error")
        && (res.status == 400 || res.status == 401))
      return failed(string_field(body, "error"),
                    string_field(body, "error_description"));
    return failed("transient",
                  "token endpoint answered " + std::to_string(res.status));
  }
  if (!body.is_object())
    return failed("transient", "token response is not JSON");
  token_response out;
  out.access_token = string_field(body, "access_token");
  out.refresh_token = string_field(body, "refresh_token");
  if (auto i = body.find("expires_in"); i != body.end()) {
    if (i->is_number_integer())
      out.expires_in = std::chrono::seconds{i->get<int64_t>()};
    else if (i->is_string())
      out.expires_in = std::chrono::seconds{
        std::strtoll(i->get<std::string>().c_str(), nullptr, 10)};
  }
  if (out.access_token.empty())
    return failed("transient", "token response without access_token");
  if (out.expires_in.count() <= 0)
    out.expires_in = std::chrono::seconds{3600};
  out.ok = true;
  return out;
}

} // namespace ledgerd::oauth
