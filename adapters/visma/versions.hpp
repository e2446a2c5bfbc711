// The Visma eAccounting API versions ledgerd knows, each as its field
// tables (adapters/provider/field_table.hpp). mapping.cpp walks them.
//
// - "v2": the API as Visma documents it (see mapping.hpp).
// - "v3": NOT a Visma release. It is our simulator's stand-in for a future
//   version (ledgerd-sim serves it at /visma/v3, sim/README.md), so that the
//   engine proves it can run two versions side by side. Against v2:
//   customers' EmailAddress is Email and invoices' YourReference is
//   BuyerReference (renamed); customers carry an ExternalReference field of
//   their own (added), which holds the local id instead of Note, so a note a
//   person writes in Visma survives ledgerd's writes.
#pragma once

#include "adapters/provider/version_table.hpp"

#include <span>
#include <string_view>

namespace ledgerd::visma {

/// One API version's mapping. Invoices are never updated (Visma has no
/// invoice PUT), so no invoice keys are owned.
using provider::version_table;

/// The mapping of `name`, nullptr for a version ledgerd does not know.
const version_table* find_version(std::string_view name);

/// The versions ledgerd knows, oldest first.
std::span<const std::string_view> known_versions();

} // namespace ledgerd::visma
