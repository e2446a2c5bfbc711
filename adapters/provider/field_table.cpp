#include "adapters/provider/field_table.hpp"

#include "adapters/provider/helpers.hpp"
#include "adapters/provider/lenient_json.hpp"

#include <algorithm>
#include <cassert>

namespace ledgerd::provider {

namespace {

using nlohmann::json;

template<class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};

template<class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

std::optional<std::string> read_text(const json& x, field_kind kind,
                                     std::string_view key) {
  switch (kind) {
  case field_kind::verbatim:
    return lenient::text(x, key);
  case field_kind::code:
    return ascii_upper(lenient::nonempty(x, key));
  case field_kind::date: {
    auto text = lenient::nonempty(x, key);
    if (text && text->size() >= 10)
      text->resize(10);
    return text;
  }
  case field_kind::text:
    return lenient::nonempty(x, key);
  case field_kind::flag:
  case field_kind::money:
    break;
  }
  assert(!"a text member mapped as flag or money");
  return std::nullopt;
}

template<class T>
std::optional<std::string> read_text(const json& x, const field<T>& f) {
  auto value = read_text(x, f.kind, f.key);
  if (!value && !f.fallback.empty())
    return read_text(x, f.kind, f.fallback);
  return value;
}

template<class T>
std::optional<int64_t> read_money(const json& x, const field<T>& f,
                                  int digits) {
  assert(f.kind == field_kind::money);
  auto value = lenient::decimal(x, f.key, digits);
  if (!value && !f.fallback.empty())
    return lenient::decimal(x, f.fallback, digits);
  return value;
}

// Reads one field; false when it is required and missing.
template<class T>
bool read_field(const json& x, const field<T>& f, int digits, T& out) {
  auto keep = [&](auto value, auto m) {
    if (value)
      out.*m = std::move(*value);
    return value.has_value() || !f.required;
  };
  return std::visit(overloaded{[&](state::opt_string T::*m) {
                                 out.*m = read_text(x, f);
                                 return (out.*m).has_value() || !f.required;
                               },
                               [&](std::string T::*m) {
                                 return keep(read_text(x, f), m);
                               },
                               [&](bool T::*m) {
                                 assert(f.kind == field_kind::flag);
                                 return keep(lenient::boolean(x, f.key), m);
                               },
                               [&](int64_t T::*m) {
                                 return keep(read_money(x, f, digits), m);
                               }},
                    f.to);
}

bool in_pass(field_kind kind, field_pass pass) {
  return (kind == field_kind::money) == (pass == field_pass::money);
}

} // namespace

template<class T>
bool read_fields(const json& x, std::span<const field<T>> table,
                 field_pass pass, int digits, T& out, std::string& error) {
  for (const auto& f : table)
    if (in_pass(f.kind, pass) && !read_field(x, f, digits, out)) {
      missing(error, f.key);
      return false;
    }
  return true;
}

template<class T>
bool carries_all(const json& x, std::span<const field<T>> table) {
  if (!x.is_object())
    return false;
  auto has = [&](std::string_view key) {
    return !key.empty() && x.find(key) != x.end();
  };
  return std::all_of(table.begin(), table.end(), [&](const field<T>& f) {
    return has(f.key) || has(f.fallback);
  });
}

template<class T>
void write_fields(const T& x, std::span<const field<T>> table,
                  const field_writer& set) {
  for (const auto& f : table) {
    if (!f.writable)
      continue;
    auto key = std::string{f.key};
    std::visit(overloaded{[&](state::opt_string T::*m) {
                            set(key, x.*m);
                          },
                          [&](std::string T::*m) {
                            set.out[key] = x.*m;
                          },
                          [&](bool T::*m) {
                            set.out[key] = x.*m;
                          },
                          [&](int64_t T::*) {
                            assert(!"money is never written");
                          }},
               f.to);
  }
}

template bool read_fields(const json&, std::span<const field<state::customer>>,
                          field_pass, int, state::customer&, std::string&);
template bool read_fields(const json&, std::span<const field<state::invoice>>,
                          field_pass, int, state::invoice&, std::string&);
template bool carries_all(const json&, std::span<const field<state::customer>>);
template bool carries_all(const json&, std::span<const field<state::invoice>>);
template void write_fields(const state::customer&,
                           std::span<const field<state::customer>>,
                           const field_writer&);
template void write_fields(const state::invoice&,
                           std::span<const field<state::invoice>>,
                           const field_writer&);

} // namespace ledgerd::provider
