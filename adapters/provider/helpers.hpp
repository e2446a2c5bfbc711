// Small pieces every adapter needs: JSON requests, the common error shapes
// (no response, malformed body), the skeleton of error classification and of
// reading records out of responses.
#pragma once

#include "adapters/provider/provider.hpp"
#include "state/canonical.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ledgerd::provider {

/// A request with JSON Accept (and, with a body, Content-Type) headers.
http::client_request json_request(std::string method, std::string url,
                                  const nlohmann::json* body = nullptr);

/// A JSON request with `body`, or the error that kept the body from being
/// built.
outcome<http::client_request> body_request(std::string method, std::string url,
                                           outcome<nlohmann::json> body);

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

/// The action moving invoice `kind` from `from` to `to` by the provider's
/// `rules`, or the validation error naming why there is none (not an
/// invoice, nothing to change, a move the provider does not offer).
outcome<state::lifecycle_action>
plan_move(std::span<const state::lifecycle_rule> rules,
          std::string_view provider, entity kind, state::invoice_status from,
          state::invoice_status to);

/// Reads the provider's error body into `err` (code, message, fields) and
/// may refine `err.kind` by the provider's own code.
using error_body_reader = void (*)(const nlohmann::json& body, error& err);

/// Classifies a failed result: transport_error without a response; else the
/// status class (a non-error status counts as validation), refined by
/// `read` from the parsed body; the message falls back to the body text or
/// the client's message; rate limits carry the client's Retry-After hint.
error classify_response(const http::client_result& res, error_body_reader read);

/// Sets `error` to "`what` missing or not readable" (mapping functions
/// return std::nullopt with it).
std::nullopt_t missing(std::string& error, std::string_view what);

/// ASCII upper case (currency and country codes).
std::string ascii_upper(std::string x);
std::optional<std::string> ascii_upper(std::optional<std::string> x);

/// Canonical JSON parsed for a write; a validation error naming the field
/// when it is not valid canonical JSON.
template<class T>
using parsed = std::variant<T, error>;

parsed<state::customer> parse_customer(const nlohmann::json& canonical);
parsed<state::invoice> parse_invoice(const nlohmann::json& canonical);

/// A provider's reader of one Customer / Invoice object; std::nullopt with
/// `error` naming what is missing.
/// (Functions, not pointers: a reader may carry its API version's table.)
using customer_reader = std::function<std::optional<state::customer>(
  const nlohmann::json& x, std::string& error)>;
using invoice_reader = std::function<std::optional<state::invoice>(
  const nlohmann::json& x, std::string& error)>;

/// One provider object `x` as a record (canonical, remote_id, raw) read with
/// the provider's readers, or a malformed error. The version is `version`
/// when the provider has one, else the content hash of the canonical JSON.
outcome<remote_record>
read_record(entity kind, const nlohmann::json& x,
            const customer_reader& customer, const invoice_reader& invoice,
            std::optional<std::string> version = std::nullopt);

/// Reads a list's page numbers from its envelope `meta` (numbers or numeric
/// strings, under the provider's key names) into `out`; an empty list's 0
/// pages count as one (last) page. False, `out` untouched, when one is
/// missing.
bool read_page_numbers(const nlohmann::json& meta, page& out,
                       std::string_view current_key, std::string_view pages_key,
                       std::string_view total_key);

/// A provider's object -> record function (its `to_record`).
using record_reader
  = std::function<outcome<remote_record>(entity kind, const nlohmann::json& x)>;

/// Reads the array `items` of a list response into `out`: records, or
/// rejected entries named by `key_of` (the provider's key, "" when none).
void read_items(page& out, entity kind, const nlohmann::json& items,
                const record_reader& read,
                std::string (*key_of)(entity kind, const nlohmann::json& x));

/// The record `x` of a single-record response; an error carries the
/// response's status.
outcome<remote_record> read_one(entity kind, const nlohmann::json& x,
                                const http::client_result& res,
                                const record_reader& read);

} // namespace ledgerd::provider
