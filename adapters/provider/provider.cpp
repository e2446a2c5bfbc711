// The adapter interface's small shared pieces.
#include "adapters/provider/provider.hpp"

namespace ledgerd::provider {

std::string_view to_string(entity x) {
  switch (x) {
  case entity::customer:
    return "customer";
  case entity::invoice:
    return "invoice";
  }
  return "unknown";
}

bool error::retryable() const {
  switch (kind) {
  case http::failure::network:
  case http::failure::timeout:
  case http::failure::rate_limited:
  case http::failure::transient:
    return true;
  default:
    return false;
  }
}

std::string_view to_string(retirement_header x) {
  switch (x) {
  case retirement_header::deprecation:
    return "Deprecation";
  case retirement_header::sunset:
    return "Sunset";
  case retirement_header::none:
    break;
  }
  return "";
}

std::string describe(const retirement& x) {
  return "provider announced " + std::string{to_string(x.header)} + ": "
         + x.value + " on " + x.path;
}

retirement retirement_of(const http::client_result& res, std::string path) {
  // Header names arrive lower-cased (client_result::headers).
  for (auto h : {retirement_header::sunset, retirement_header::deprecation}) {
    auto name = h == retirement_header::sunset ? "sunset" : "deprecation";
    if (auto value = res.header(name); !value.empty())
      return {h, std::move(value), std::move(path)};
  }
  return {};
}

void adapter::annotate(const http::client_request&, remote_record&) const {
  // Most providers' answers say everything about their records.
}

} // namespace ledgerd::provider
