// Building provider request bodies from canonical values.
#pragma once

#include "state/canonical.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
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

/// Sets mapped string fields of a write body: a create (`create`) sends only
/// the fields that are set; an update sends every field, `blank` for a
/// cleared one (Fortnox ignores null and wants "", Visma takes null).
struct field_writer {
  nlohmann::json& out;
  bool create;
  nlohmann::json blank;

  void operator()(std::string_view key, const state::opt_string& value) const;
};

/// The members of `raw` (the last provider object of an update; an empty
/// object when `raw` is no object) without the keys the provider owns, and
/// with `drop_links` also without keys starting with '@' (Fortnox links).
nlohmann::json writable(const nlohmann::json& raw,
                        std::span<const std::string_view> owned,
                        bool drop_links = false);

} // namespace ledgerd::provider
