#include "adapters/provider/lenient_json.hpp"

#include "state/canonical.hpp"

#include <algorithm>

namespace ledgerd::provider::lenient {

using nlohmann::json;

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view x, std::string_view y) {
  return x.size() == y.size()
         && std::equal(x.begin(), x.end(), y.begin(), [](char a, char b) {
              return lower(a) == lower(b);
            });
}

} // namespace

const json* find(const json& j, std::string_view key) {
  if (!j.is_object())
    return nullptr;
  auto i = j.find(key);
  return i == j.end() || i->is_null() ? nullptr : &*i;
}

const json* find_ci(const json& j, std::string_view key) {
  if (auto x = find(j, key))
    return x;
  if (!j.is_object())
    return nullptr;
  for (auto i = j.begin(); i != j.end(); ++i)
    if (!i->is_null() && iequals(i.key(), key))
      return &*i;
  return nullptr;
}

std::optional<std::string> text(const json& j) {
  if (j.is_string())
    return j.get<std::string>();
  if (j.is_number() || j.is_boolean())
    return j.dump();
  return std::nullopt;
}

std::optional<std::string> text(const json& j, std::string_view key) {
  auto x = find(j, key);
  return x ? text(*x) : std::nullopt;
}

std::optional<std::string> nonempty(const json& j, std::string_view key) {
  auto x = text(j, key);
  if (x && x->find_first_not_of(" \t\r\n") == std::string::npos)
    return std::nullopt;
  return x;
}

std::optional<int64_t> decimal(const json& j, std::string_view key, int scale) {
  auto x = find(j, key);
  return x ? state::decimal_from_json(*x, scale) : std::nullopt;
}

std::optional<bool> boolean(const json& j, std::string_view key) {
  auto x = find(j, key);
  if (x == nullptr)
    return std::nullopt;
  if (x->is_boolean())
    return x->get<bool>();
  if (x->is_number_integer()) {
    auto v = x->get<int64_t>();
    return v == 0 || v == 1 ? std::optional<bool>{v == 1} : std::nullopt;
  }
  if (x->is_string()) {
    const auto& s = x->get_ref<const std::string&>();
    if (iequals(s, "true") || s == "1")
      return true;
    if (iequals(s, "false") || s == "0")
      return false;
  }
  return std::nullopt;
}

std::optional<uint64_t> count(const json& j, std::string_view key) {
  auto x = find(j, key);
  if (x == nullptr)
    return std::nullopt;
  if (x->is_number_unsigned())
    return x->get<uint64_t>();
  if (x->is_number_integer())
    return x->get<int64_t>() < 0 ? std::nullopt
                                 : std::optional<uint64_t>{x->get<uint64_t>()};
  // "7" yes, "7.5" no: an exact whole number.
  auto whole = state::decimal_from_json(*x, 0);
  auto tenths = state::decimal_from_json(*x, 1);
  if (whole && tenths && *whole >= 0 && *tenths == *whole * 10)
    return static_cast<uint64_t>(*whole);
  return std::nullopt;
}

json parse(std::string_view body) {
  return json::parse(body.begin(), body.end(), nullptr, false);
}

} // namespace ledgerd::provider::lenient
