// The plumbing every REST provider shares: records live at
// `{base_url}/{api_version}/{endpoint}` (collection) and
// `.../{endpoint}/{remote_id}` (item), one endpoint per entity. A provider
// adapter derives from `rest_adapter`, describes itself in a `rest_api`
// (name, endpoints, capabilities) and implements only what differs: list
// parameters, response envelopes, write bodies and error classification.
#pragma once

#include "adapters/provider/provider.hpp"

#include <string>
#include <string_view>

namespace ledgerd::provider {

/// What a REST provider is, as data.
struct rest_api {
  /// "fortnox", "visma".
  std::string_view name;
  /// Endpoint (path segment, rate-limit name) of customers and invoices.
  std::string_view customers;
  std::string_view invoices;
  capabilities caps;
};

class rest_adapter : public adapter {
public:
  /// `base_url` without a trailing slash; `api_version` as the provider
  /// spells it in paths ("3", "v2").
  rest_adapter(const rest_api& api, std::string base_url,
               std::string api_version);

  std::string_view name() const override;
  capabilities caps() const override;
  std::string endpoint(entity kind) const override;
  std::string endpoint_of(const http::client_request& req,
                          entity kind) const override;
  /// GET of the record's item URL.
  http::client_request get(entity kind,
                           std::string_view remote_id) const override;

protected:
  /// {base}/{version}/{endpoint}.
  std::string collection(entity kind) const;
  /// {base}/{version}/{path}: an endpoint besides the two entities' (Visma
  /// customerinvoicedrafts).
  std::string at(std::string_view path) const;
  /// collection/{remote_id, URL-encoded}.
  std::string item(entity kind, std::string_view remote_id) const;

private:
  rest_api api_;
  std::string base_;
};

} // namespace ledgerd::provider
