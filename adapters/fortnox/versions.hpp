// The Fortnox API versions ledgerd knows, each as its field tables
// (adapters/provider/version_table.hpp). mapping.cpp walks them; rows,
// status and the key a create chooses are read in code, the same in every
// version so far.
//
// - "3": the API as Fortnox documents it (provider-facts.md §1, see
//   mapping.hpp). A future Fortnox version is one more table here, its name
//   in `known_versions`, and its tests.
#pragma once

#include "adapters/provider/version_table.hpp"

#include <span>
#include <string_view>

namespace ledgerd::fortnox {

using provider::version_table;

/// The mapping of `name`, nullptr for a version ledgerd does not know.
const version_table* find_version(std::string_view name);

/// The versions ledgerd knows, oldest first.
std::span<const std::string_view> known_versions();

} // namespace ledgerd::fortnox
