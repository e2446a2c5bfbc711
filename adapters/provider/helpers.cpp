#include "adapters/provider/helpers.hpp"

namespace ledgerd::provider {

http::client_request json_request(std::string method, std::string url,
                                  const nlohmann::json* body) {
  http::client_request req;
  req.method = std::move(method);
  req.url = std::move(url);
  req.headers.emplace_back("Accept", "application/json");
  if (body != nullptr) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body->dump();
    req.allow_gzip_body = true;
  }
  return req;
}

std::string
with_query(std::string url,
           const std::vector<std::pair<std::string, std::string>>& params) {
  if (!params.empty())
    url += '?' + http::make_query(params);
  return url;
}

error transport_error(const http::client_result& res) {
  error err;
  err.kind
    = res.error == http::failure::none ? http::failure::network : res.error;
  err.status = res.status;
  err.message = res.message;
  return err;
}

error malformed(const http::client_result& res, std::string what) {
  // Not retryable: the client already reports truncated bodies as network
  // failures, so a complete response of the wrong shape is an API change
  // that a retry cannot fix; it becomes a per-record failure.
  error err;
  err.kind = http::failure::validation;
  err.status = res.status;
  err.message = std::move(what);
  err.malformed = true;
  return err;
}

error invalid_input(std::string what) {
  error err;
  err.kind = http::failure::validation;
  err.message = std::move(what);
  return err;
}

parsed<state::customer> parse_customer(const nlohmann::json& canonical) {
  std::string why;
  if (auto x = state::customer_from_json(canonical, why))
    return std::move(*x);
  return invalid_input("canonical customer: " + why);
}

parsed<state::invoice> parse_invoice(const nlohmann::json& canonical) {
  std::string why;
  if (auto x = state::invoice_from_json(canonical, why))
    return std::move(*x);
  return invalid_input("canonical invoice: " + why);
}

} // namespace ledgerd::provider
