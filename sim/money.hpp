// Money in whole öre/cents, so totals add up exactly; JSON carries kronor.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace ledgerd::sim {

inline double to_amount(int64_t cents) {
  return static_cast<double>(cents) / 100.0;
}

/// Reads a number the way the providers accept it: JSON number or numeric
/// string ("1", "2.50"); anything else gives `fallback`.
inline double lenient_number(const nlohmann::json& j, double fallback) {
  if (j.is_number())
    return j.get<double>();
  if (j.is_string()) {
    try {
      std::size_t used = 0;
      auto s = j.get<std::string>();
      double v = std::stod(s, &used);
      return used == s.size() ? v : fallback;
    } catch (const std::exception&) {
      return fallback;
    }
  }
  return fallback;
}

inline int64_t to_cents(double amount) {
  return std::llround(amount * 100.0);
}

} // namespace ledgerd::sim
