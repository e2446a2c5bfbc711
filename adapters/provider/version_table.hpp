// One provider API version's mapping as data (field_table.hpp): a new
// version of a provider is one new table (and its tests), not new code.
// What every version of a provider shares so far (rows, status, wrappers,
// paths) stays in that provider's mapping code.
#pragma once

#include "adapters/provider/field_table.hpp"
#include "state/canonical.hpp"

#include <span>
#include <string_view>

namespace ledgerd::provider {

struct version_table {
  /// As it is spelled in paths and in the configuration ("3", "v2").
  std::string_view name;
  /// Customer fields, the key first.
  std::span<const field<state::customer>> customer;
  /// Invoice fields, the key first.
  std::span<const field<state::invoice>> invoice;
  /// Keys the provider computes or owns: an update that starts from the
  /// last object read never sends them back.
  std::span<const std::string_view> customer_owned;
  std::span<const std::string_view> invoice_owned;
};

/// The table of `versions` named `name`, nullptr when none is.
const version_table* find_version(std::span<const version_table> versions,
                                  std::string_view name);

} // namespace ledgerd::provider
