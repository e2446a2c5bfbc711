// Building provider request bodies from canonical values.
#pragma once

#include "state/canonical.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

namespace ledgerd::provider {

/// `value` (units of 10^-scale) as a JSON number: an integer when whole,
/// else the double whose shortest text is exactly the decimal ("1250.5"),
/// so the body's text carries the exact value.
nlohmann::json decimal_number(int64_t value, int scale);

/// Sets `obj[key]` to `value`, or to `blank` when `value` is std::nullopt.
void put(nlohmann::json& obj, std::string_view key,
         const state::opt_string& value, const nlohmann::json& blank);

/// Sets `obj[key]` only when `value` has one (create bodies).
void put_present(nlohmann::json& obj, std::string_view key,
                 const state::opt_string& value);

} // namespace ledgerd::provider
