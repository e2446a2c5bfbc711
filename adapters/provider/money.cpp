#include "adapters/provider/money.hpp"

#include <algorithm>
#include <array>

namespace ledgerd::provider {

int minor_unit_digits(std::string_view currency) {
  static constexpr std::array<std::string_view, 16> zero{
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr std::array<std::string_view, 7> three{
    "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  if (std::find(zero.begin(), zero.end(), currency) != zero.end())
    return 0;
  if (std::find(three.begin(), three.end(), currency) != three.end())
    return 3;
  return 2;
}

} // namespace ledgerd::provider
