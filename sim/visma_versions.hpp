// The Visma API versions the simulator serves: /visma/v2 (Visma's API as
// documented) and /visma/v3, a hypothetical next version that stands in for
// a future one (nothing Visma has announced). The store keeps v2's names
// plus what v3 adds; each version is a delta applied at the API boundary
// (visma_api.cpp), to request bodies on the way in and to answers on the
// way out:
// - renamed: customers' EmailAddress is Email in v3, invoices'
//   YourReference is BuyerReference;
// - added: customers' ExternalReference exists in v3 only (v2 answers never
//   show it and v2 bodies cannot write it).
// A body that uses another version's name is ignored for that field, as an
// API ignores keys it does not know.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ledgerd::sim::visma {

enum class api_version { v2, v3 };

/// The version of the path segment ("v2", "v3"); std::nullopt otherwise.
std::optional<api_version> parse_version(std::string_view segment);

/// A request body of `v` in the store's names.
void to_store(api_version v, nlohmann::json& body);

/// An answer in the store's names as `v` shows it.
void to_served(api_version v, nlohmann::json& body);

/// A field name of `v` (e.g. in a $filter) in the store's names.
std::string stored_name(api_version v, std::string name);

} // namespace ledgerd::sim::visma
