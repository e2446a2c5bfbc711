#include "adapters/provider/helpers.hpp"

#include "adapters/provider/content_hash.hpp"
#include "adapters/provider/lenient_json.hpp"

#include <algorithm>
#include <cctype>

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

outcome<http::client_request> body_request(std::string method, std::string url,
                                           outcome<nlohmann::json> body) {
  if (auto err = std::get_if<error>(&body))
    return *err;
  return json_request(std::move(method), std::move(url),
                      &std::get<nlohmann::json>(body));
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

outcome<state::lifecycle_action>
plan_move(std::span<const state::lifecycle_rule> rules,
          std::string_view provider, entity kind, state::invoice_status from,
          state::invoice_status to) {
  if (kind != entity::invoice)
    return invalid_input("only invoices have a lifecycle");
  auto plan = state::plan_transition(rules, provider, from, to);
  if (plan.action == state::lifecycle_action::none)
    return invalid_input("nothing to change");
  if (plan.action == state::lifecycle_action::refused)
    return invalid_input(std::move(plan.refusal));
  return plan.action;
}

error classify_response(const http::client_result& res,
                        error_body_reader read) {
  if (res.status == 0)
    return transport_error(res);
  error err;
  err.status = res.status;
  err.kind = http::classify_status(res.status);
  if (err.kind == http::failure::none)
    err.kind = http::failure::validation;
  read(lenient::parse(res.body), err);
  if (err.message.empty())
    err.message = res.body.empty() ? res.message : res.body;
  if (err.kind == http::failure::rate_limited)
    err.retry_after = res.retry_after;
  return err;
}

std::nullopt_t missing(std::string& error, std::string_view what) {
  error = std::string{what} + " missing or not readable";
  return std::nullopt;
}

std::string ascii_upper(std::string x) {
  for (auto& c : x)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return x;
}

std::optional<std::string> ascii_upper(std::optional<std::string> x) {
  if (x)
    *x = ascii_upper(std::move(*x));
  return x;
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

outcome<remote_record> read_record(entity kind, const nlohmann::json& x,
                                   const customer_reader& customer,
                                   const invoice_reader& invoice,
                                   std::optional<std::string> version) {
  remote_record rec;
  rec.kind = kind;
  std::string why;
  if (kind == entity::customer) {
    auto c = customer(x, why);
    if (!c)
      return malformed({}, why);
    rec.canonical = state::to_json(*c);
    rec.remote_id = *c->remote_id;
  } else {
    auto inv = invoice(x, why);
    if (!inv)
      return malformed({}, why);
    rec.canonical = state::to_json(*inv);
    rec.remote_id = *inv->remote_id;
  }
  rec.version = version ? std::move(*version) : content_version(rec.canonical);
  rec.raw = x;
  return rec;
}

bool read_page_numbers(const nlohmann::json& meta, page& out,
                       std::string_view current_key, std::string_view pages_key,
                       std::string_view total_key) {
  auto current = lenient::count(meta, current_key);
  auto pages = lenient::count(meta, pages_key);
  auto total = lenient::count(meta, total_key);
  if (!current || !pages || !total)
    return false;
  out.current = static_cast<uint32_t>(*current);
  // An empty list says 0 pages; it is still one (last) page.
  out.total_pages = static_cast<uint32_t>(std::max<uint64_t>(*pages, 1));
  out.total_records = *total;
  return true;
}

void read_items(page& out, entity kind, const nlohmann::json& items,
                const record_reader& read,
                std::string (*key_of)(entity kind, const nlohmann::json& x)) {
  for (const auto& x : items) {
    auto rec = read(kind, x);
    if (auto err = std::get_if<error>(&rec))
      out.rejected.push_back({key_of(kind, x), err->message});
    else
      out.records.push_back(std::move(std::get<remote_record>(rec)));
  }
}

outcome<remote_record> read_one(entity kind, const nlohmann::json& x,
                                const http::client_result& res,
                                const record_reader& read) {
  auto rec = read(kind, x);
  if (auto err = std::get_if<error>(&rec))
    err->status = res.status;
  return rec;
}

} // namespace ledgerd::provider
