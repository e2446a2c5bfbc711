// The rules every API version's field table keeps (version_table.hpp), for
// every version of every provider the registry knows: a new table that
// breaks one fails here before it meets a provider.
#include "adapters/fortnox/versions.hpp"
#include "adapters/provider/registry.hpp"
#include "adapters/visma/versions.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

using namespace ledgerd;
using provider::version_table;

namespace {

const version_table* table_of(std::string_view provider,
                              std::string_view version) {
  if (provider == "fortnox")
    return fortnox::find_version(version);
  if (provider == "visma")
    return visma::find_version(version);
  return nullptr;
}

template<class T, class M>
void check_fields(std::span<const provider::field<T>> fields,
                  std::span<const std::string_view> owned, M T::*key) {
  REQUIRE_FALSE(fields.empty());
  // The record's key comes first, is required and is the provider's.
  auto* first = std::get_if<M T::*>(&fields[0].to);
  REQUIRE(first != nullptr);
  CHECK(*first == key);
  CHECK(fields[0].required);
  CHECK_FALSE(fields[0].writable);
  std::set<std::string_view> written;
  for (const auto& f : fields) {
    INFO(f.key);
    CHECK_FALSE(f.key.empty());
    if (!f.writable)
      continue;
    // Written once, never a key the provider owns, never money.
    CHECK(written.insert(f.key).second);
    CHECK(std::find(owned.begin(), owned.end(), f.key) == owned.end());
    CHECK(f.kind != provider::field_kind::money);
  }
}

} // namespace

TEST_CASE("every API version's table keeps the table rules") {
  for (auto provider : provider::known_providers()) {
    auto versions = provider::known_versions(provider);
    REQUIRE_FALSE(versions.empty());
    for (auto version : versions) {
      INFO(std::string{provider} + " " + std::string{version});
      const auto* v = table_of(provider, version);
      REQUIRE(v != nullptr);
      CHECK(v->name == version);
      check_fields(v->customer, v->customer_owned, &state::customer::remote_id);
      check_fields(v->invoice, v->invoice_owned, &state::invoice::remote_id);
    }
  }
}

TEST_CASE("a version no table names is not found") {
  CHECK(fortnox::find_version("4") == nullptr);
  CHECK(visma::find_version("v1") == nullptr);
  CHECK(fortnox::find_version("3") != nullptr);
  CHECK(visma::find_version("v3") != nullptr);
}
