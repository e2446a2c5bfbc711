// A request as the route handlers see it and the answer they give, free of
// Beast types so the handlers stay plain functions.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ledgerd::sim {

struct api_request {
  std::string method;                       // "GET", "POST", ...
  std::vector<std::string> segments;        // decoded path segments
  std::map<std::string, std::string> query; // decoded
  std::string authorization;                // raw header
  std::string tenant_id;                    // raw "TenantId" header
  std::string host;                         // raw "Host" header
  std::string body;
  /// The latency left for the answer, when its share on the way to the
  /// provider was spent before routing (quirk latency_side); unset: drawn
  /// after admission.
  std::optional<std::chrono::milliseconds> answer_latency;
};

struct api_response {
  int status = 200;
  std::optional<nlohmann::json> json; // serialised when set
  std::string text;                   // sent when json is empty
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  /// The request created a record (drop_response_after_create applies).
  bool created = false;

  static api_response of(int status, nlohmann::json body) {
    api_response r;
    r.status = status;
    r.json = std::move(body);
    return r;
  }

  static api_response empty(int status) {
    api_response r;
    r.status = status;
    r.content_type.clear();
    return r;
  }

  std::string body() const {
    return json ? json->dump() : text;
  }
};

} // namespace ledgerd::sim
