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

/// `num / den` rounded half away from zero, in integers (den > 0).
inline int64_t round_div(int64_t num, int64_t den) {
  auto half = den / 2;
  return num >= 0 ? (num + half) / den : -((-num + half) / den);
}

/// A decimal read as an integer count of 10^-scale units: the providers
/// compute in decimals, so the simulator must not do money in doubles.
inline int64_t scaled(double value, int scale) {
  return std::llround(value * std::pow(10.0, scale));
}

/// A row's amount in cents: price (cents) x quantity x (1 - discount), each
/// an exact decimal, rounded once at the end, half away from zero.
/// `discount_e6` is the discount fraction in millionths.
inline int64_t line_cents(double price, double quantity, int64_t discount_e6) {
  // Up to 10^(2 + 4 + 6) of scale: fine for any invoice row.
  __int128 num = static_cast<__int128>(scaled(price, 2)) * scaled(quantity, 4)
                 * (1'000'000 - discount_e6);
  __int128 den = 10'000LL * 1'000'000LL;
  __int128 half = den / 2;
  auto q = num >= 0 ? (num + half) / den : -((-num + half) / den);
  return static_cast<int64_t>(q);
}

} // namespace ledgerd::sim
