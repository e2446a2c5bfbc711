#include "sim/visma_versions.hpp"

#include <array>
#include <utility>

#include "sim/fault_schedule.hpp"

namespace ledgerd::sim::visma {

namespace {

using json = nlohmann::json;

/// {stored (v2) name, v3 name}.
constexpr std::array<std::pair<const char*, const char*>, 2> v3_renames{{
  {"EmailAddress", "Email"},
  {"YourReference", "BuyerReference"},
}};

/// Keys v3 added: the store has them, v2 does not.
constexpr std::array<const char*, 1> v3_added{"ExternalReference"};

void erase_keys(json& j, const char* key) {
  if (j.is_array()) {
    for (auto& x : j)
      erase_keys(x, key);
  } else if (j.is_object()) {
    j.erase(key);
    for (auto& [k, v] : j.items())
      erase_keys(v, key);
  }
}

} // namespace

std::optional<api_version> parse_version(std::string_view segment) {
  if (segment == "v2")
    return api_version::v2;
  if (segment == "v3")
    return api_version::v3;
  return std::nullopt;
}

void to_store(api_version v, json& body) {
  if (v == api_version::v2) {
    for (const auto* key : v3_added)
      erase_keys(body, key);
    return;
  }
  // v3 knows no v2 names: drop them before the v3 names take their place.
  for (const auto& [stored, served] : v3_renames) {
    erase_keys(body, stored);
    rename_keys(body, served, stored);
  }
}

void to_served(api_version v, json& body) {
  if (v == api_version::v2) {
    for (const auto* key : v3_added)
      erase_keys(body, key);
    return;
  }
  for (const auto& [stored, served] : v3_renames)
    rename_keys(body, stored, served);
}

std::string stored_name(api_version v, std::string name) {
  if (v == api_version::v3)
    for (const auto& [stored, served] : v3_renames)
      if (name == served)
        return stored;
  return name;
}

} // namespace ledgerd::sim::visma
