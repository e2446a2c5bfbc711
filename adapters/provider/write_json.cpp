#include "adapters/provider/write_json.hpp"

#include <algorithm>
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

void field_writer::operator()(std::string_view key,
                              const state::opt_string& value) const {
  if (create)
    put_present(out, key, value);
  else
    put(out, key, value, blank);
}

nlohmann::json writable(const nlohmann::json& raw,
                        std::span<const std::string_view> owned,
                        bool drop_links) {
  auto out = nlohmann::json::object();
  if (!raw.is_object())
    return out;
  for (auto i = raw.begin(); i != raw.end(); ++i)
    if (!(drop_links && i.key().starts_with('@'))
        && std::find(owned.begin(), owned.end(), i.key()) == owned.end())
      out[i.key()] = i.value();
  return out;
}

} // namespace ledgerd::provider
