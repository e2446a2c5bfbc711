// Minor units per currency: canonical money is an integer of the currency's
// smallest unit (öre, cents, yen), so the scale depends on the currency.
#pragma once

#include <string_view>

namespace ledgerd::provider {

/// Decimal digits of the minor unit (ISO 4217): 2 for most, 0 for JPY,
/// ISK, KRW..., 3 for BHD, KWD...; 2 for unknown codes.
int minor_unit_digits(std::string_view currency);

} // namespace ledgerd::provider
