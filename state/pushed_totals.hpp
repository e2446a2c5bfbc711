// Money the provider computes (SYNC-PROPERTIES.md §6): an invoice's total
// and VAT are the provider's arithmetic over the rows we sent, so what we
// sent for them is a claim to check, not a value both sides agreed on.
#pragma once

#include <nlohmann/json.hpp>

namespace ledgerd::state {

/// The base to link a pushed invoice with: `sent` without "total" and
/// "vat" when it states them (either is not 0). The merge against the
/// provider's answer then sees two independent claims for each: equal,
/// agreed; different (another rounding rule, a VAT rate not taken), a
/// conflict on that field, critical and so held for a person, shown on the
/// record, never taken silently. An invoice that states no totals (both 0:
/// the app leaves the arithmetic to the provider) takes the provider's.
nlohmann::json pushed_invoice_base(nlohmann::json sent);

} // namespace ledgerd::state
