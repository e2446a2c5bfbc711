#include "adapters/provider/rest_adapter.hpp"

#include "adapters/provider/helpers.hpp"

namespace ledgerd::provider {

rest_adapter::rest_adapter(const rest_api& api, std::string base_url,
                           std::string api_version)
  : api_(api)
  , base_(std::move(base_url) + "/" + std::move(api_version)) {
  // Nothing else: the adapter is a pure request planner.
}

std::string_view rest_adapter::name() const {
  return api_.name;
}

capabilities rest_adapter::caps() const {
  return api_.caps;
}

std::string rest_adapter::endpoint(entity kind) const {
  return std::string{kind == entity::customer ? api_.customers : api_.invoices};
}

std::string rest_adapter::endpoint_of(const http::client_request& req,
                                      entity kind) const {
  auto prefix = base_ + "/";
  std::string_view url = req.url;
  if (url.starts_with(prefix)) {
    auto rest = url.substr(prefix.size());
    auto resource = rest.substr(0, rest.find_first_of("/?"));
    if (!resource.empty())
      return std::string{resource};
  }
  return endpoint(kind);
}

http::client_request rest_adapter::get(entity kind,
                                       std::string_view remote_id) const {
  return json_request("GET", item(kind, remote_id));
}

std::string rest_adapter::collection(entity kind) const {
  return base_ + "/" + endpoint(kind);
}

std::string rest_adapter::at(std::string_view path) const {
  return base_ + "/" + std::string{path};
}

std::string rest_adapter::item(entity kind, std::string_view remote_id) const {
  return collection(kind) + "/" + http::url_encode(remote_id);
}

} // namespace ledgerd::provider
