// Fortnox error bodies come in three shapes (provider-facts.md §1.8):
// {"ErrorInformation":{"error","message","code"}} with the keys in either
// casing, {"message":"unauthorized"} from the auth layer, and OAuth's
// {"error","error_description"} from the token endpoint.
#include "adapters/fortnox/adapter.hpp"
#include "adapters/provider/helpers.hpp"
#include "adapters/provider/lenient_json.hpp"

namespace ledgerd::fortnox {

namespace {

using nlohmann::json;
namespace lenient = provider::lenient;

// Fortnox's own codes that say more than the HTTP status.
http::failure by_code(std::string_view code, http::failure fallback) {
  if (code == "2000433" || code == "2000434")
    return http::failure::not_found;
  if (code == "2000310" || code == "2000311")
    return http::failure::auth;
  if (code == "1000003")
    return http::failure::transient;
  // A rejected or revoked refresh token / client: only a person can fix it.
  if (code == "invalid_grant" || code == "invalid_client"
      || code == "unauthorized_client")
    return http::failure::auth;
  return fallback;
}

void read_body(const json& body, provider::error& err) {
  if (auto info = lenient::find_ci(body, "ErrorInformation")) {
    if (auto x = lenient::find_ci(*info, "code"))
      err.code = lenient::text(*x).value_or("");
    if (auto x = lenient::find_ci(*info, "message"))
      err.message = lenient::text(*x).value_or("");
    return;
  }
  if (auto oauth = lenient::text(body, "error"); oauth && body.is_object()) {
    err.code = *oauth;
    err.message = lenient::text(body, "error_description").value_or(*oauth);
    return;
  }
  if (auto message = lenient::find_ci(body, "message"))
    err.message = lenient::text(*message).value_or("");
}

} // namespace

provider::error classify(const http::client_result& res) {
  return provider::classify_response(
    res, [](const json& body, provider::error& err) {
      read_body(body, err);
      // 429 and 5xx keep their class whatever the code says.
      if (err.kind != http::failure::rate_limited
          && err.kind != http::failure::transient)
        err.kind = by_code(err.code, err.kind);
    });
}

} // namespace ledgerd::fortnox
