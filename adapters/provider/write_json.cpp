#include "adapters/provider/write_json.hpp"

#include <cstdlib>
#include <string>

namespace ledgerd::provider {

nlohmann::json decimal_number(int64_t value, int scale) {
  auto text = state::format_decimal(value, scale);
  if (text.find('.') == std::string::npos)
    return std::stoll(text);
  // Up to 15 significant digits survive text -> double -> shortest text.
  return std::strtod(text.c_str(), nullptr);
}

void put(nlohmann::json& obj, std::string_view key,
         const state::opt_string& value, const nlohmann::json& blank) {
  obj[std::string{key}] = value ? nlohmann::json(*value) : blank;
}

void put_present(nlohmann::json& obj, std::string_view key,
                 const state::opt_string& value) {
  if (value)
    obj[std::string{key}] = *value;
}

} // namespace ledgerd::provider
