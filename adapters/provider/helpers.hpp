// Small pieces every adapter needs: JSON requests and the common error
// shapes (no response, malformed body).
#pragma once

#include "adapters/provider/provider.hpp"
#include "state/canonical.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ledgerd::provider {

/// A request with JSON Accept (and, with a body, Content-Type) headers.
http::client_request json_request(std::string method, std::string url,
                                  const nlohmann::json* body = nullptr);

/// `url` + "?" + the encoded query, or `url` when `params` is empty.
std::string
with_query(std::string url,
           const std::vector<std::pair<std::string, std::string>>& params);

/// The error for a result without a (usable) response: its own class and
/// message.
error transport_error(const http::client_result& res);

/// An error for a response that lacks the expected shape.
error malformed(const http::client_result& res, std::string what);

/// An error for a request the adapter cannot build (bad canonical input).
error invalid_input(std::string what);

/// Canonical JSON parsed for a write; a validation error naming the field
/// when it is not valid canonical JSON.
template<class T>
using parsed = std::variant<T, error>;

parsed<state::customer> parse_customer(const nlohmann::json& canonical);
parsed<state::invoice> parse_invoice(const nlohmann::json& canonical);

} // namespace ledgerd::provider
