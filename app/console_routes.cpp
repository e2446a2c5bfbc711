#include "app/console_routes.hpp"

#include "adapters/http/server.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace ledgerd {

namespace {

/// Content-Type by file extension; empty for files the console does not
/// serve.
std::string content_type(std::string_view name) {
  if (name.ends_with(".html"))
    return "text/html; charset=utf-8";
  if (name.ends_with(".js"))
    return "text/javascript; charset=utf-8";
  if (name.ends_with(".css"))
    return "text/css; charset=utf-8";
  return {};
}

const console_asset* find_asset(std::string_view name) {
  for (const auto& a : console_assets())
    if (a.name == name)
      return &a;
  return nullptr;
}

http::response asset_response(const console_asset& a) {
  http::response res;
  res.content_type = content_type(a.name);
  res.body = std::string{a.content};
  // Revalidate every time: a new node version serves new files at once.
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // The page may carry ?token=...: never send it on as a referrer.
  res.headers.emplace_back("Referrer-Policy", "no-referrer");
  res.headers.emplace_back(
    "Content-Security-Policy",
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  return res;
}

http::response not_found(std::string_view name) {
  return http::response::json(
    404, {{"error", "no console file " + std::string{name}}});
}

} // namespace

void add_console_routes(http::server& srv) {
  srv.route("GET", "/", [](const http::request&, http::responder res) {
    if (const auto* index = find_asset("index.html"))
      res.respond(asset_response(*index));
    else
      res.respond(not_found("index.html"));
  });
  srv.route("GET", "/console/{file}",
            [](const http::request& req, http::responder res) {
              const auto& name = req.params.at("file");
              const auto* asset = find_asset(name);
              if (asset == nullptr || content_type(name).empty())
                res.respond(not_found(name));
              else
                res.respond(asset_response(*asset));
            });
}

} // namespace ledgerd
