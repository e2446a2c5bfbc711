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

void adapter::annotate(const http::client_request&, remote_record&) const {
  // Most providers' answers say everything about their records.
}

} // namespace ledgerd::provider
