// Registration table: adding a provider is one line in `entries`.
#include "adapters/provider/registry.hpp"

#include "adapters/fortnox/adapter.hpp"
#include "adapters/visma/adapter.hpp"

#include <algorithm>
#include <array>

namespace ledgerd::provider {

namespace {

using factory = std::unique_ptr<adapter> (*)(std::string, std::string);
using version_list = std::span<const std::string_view> (*)();

struct entry {
  std::string_view name;
  factory make;
  /// The versions `make` maps.
  version_list versions;
};

template<class T>
std::unique_ptr<adapter> make(std::string base_url, std::string version) {
  return std::make_unique<T>(std::move(base_url), std::move(version));
}

constexpr std::array entries{
  entry{"fortnox", make<fortnox::adapter>, fortnox::known_versions},
  entry{"visma", make<visma::adapter>, visma::known_versions},
};

} // namespace

std::unique_ptr<adapter> make_adapter(std::string_view provider,
                                      std::string base_url,
                                      std::string api_version) {
  for (const auto& x : entries) {
    if (x.name != provider)
      continue;
    auto versions = x.versions();
    if (std::find(versions.begin(), versions.end(), api_version)
        == versions.end())
      return nullptr;
    return x.make(std::move(base_url), std::move(api_version));
  }
  return nullptr;
}

std::vector<std::string_view> known_providers() {
  std::vector<std::string_view> out;
  for (const auto& x : entries)
    out.push_back(x.name);
  return out;
}

std::vector<std::string_view> known_versions(std::string_view provider) {
  for (const auto& x : entries)
    if (x.name == provider) {
      auto versions = x.versions();
      return {versions.begin(), versions.end()};
    }
  return {};
}

} // namespace ledgerd::provider
