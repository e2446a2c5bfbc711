// Canonical JSON and exact decimals. nlohmann::json's default object is a
// std::map, so keys come out sorted and `dump()` is canonical as long as
// every value is an integer, a string, a bool or null (no doubles here).
#include "state/canonical.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace ledgerd::state {

namespace {

using nlohmann::json;

// --- decimals --------------------------------------------------------------

constexpr int max_scale = 18;

constexpr std::array<uint64_t, max_scale + 1> pow10 = [] {
  std::array<uint64_t, max_scale + 1> xs{};
  xs[0] = 1;
  for (std::size_t i = 1; i < xs.size(); ++i)
    xs[i] = xs[i - 1] * 10;
  return xs;
}();

// A decimal as its digits and the position of the point: "12.5" is
// {digits "125", point 2}; "0.05" may be {"005", 1}.
struct decimal_text {
  bool negative = false;
  std::string digits;
  long point = 0;
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim(std::string_view x) {
  auto blank = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  };
  while (!x.empty() && blank(x.front()))
    x.remove_prefix(1);
  while (!x.empty() && blank(x.back()))
    x.remove_suffix(1);
  return x;
}

// Length of a thousands separator at the start of `x`: a space, a no-break
// space (U+00A0) or a narrow no-break space (U+202F), as Swedish formatting
// uses them; 0 if none.
std::size_t group_separator(std::string_view x) {
  if (!x.empty() && x[0] == ' ')
    return 1;
  if (x.starts_with("\xC2\xA0"))
    return 2;
  if (x.starts_with("\xE2\x80\xAF"))
    return 3;
  return 0;
}

// Integer part: digits, optionally grouped by three with separators
// ("1 250 000"). Returns false for malformed groups.
bool read_integer_part(std::string_view& x, std::string& out) {
  std::size_t group = 0;
  bool grouped = false;
  while (!x.empty()) {
    if (is_digit(x[0])) {
      out += x[0];
      ++group;
      x.remove_prefix(1);
      continue;
    }
    auto sep = group_separator(x);
    if (sep == 0 || group == 0 || (grouped && group != 3) || group > 3)
      break;
    if (sep >= x.size() || !is_digit(x[sep]))
      return false;
    grouped = true;
    group = 0;
    x.remove_prefix(sep);
  }
  return !out.empty() && (!grouped || group == 3);
}

// Exponent of a JSON number's text ("e+21", "E-05").
bool read_exponent(std::string_view& x, long& exponent) {
  x.remove_prefix(1);
  bool negative = false;
  if (!x.empty() && (x[0] == '+' || x[0] == '-')) {
    negative = x[0] == '-';
    x.remove_prefix(1);
  }
  if (x.empty() || x.size() > 4)
    return false;
  long value = 0;
  for (char c : x) {
    if (!is_digit(c))
      return false;
    value = value * 10 + (c - '0');
  }
  exponent = negative ? -value : value;
  x = {};
  return true;
}

std::optional<decimal_text> read_decimal(std::string_view x,
                                         bool allow_exponent) {
  x = trim(x);
  decimal_text result;
  if (!x.empty() && (x[0] == '-' || x[0] == '+')) {
    result.negative = x[0] == '-';
    x.remove_prefix(1);
  }
  if (!read_integer_part(x, result.digits))
    return std::nullopt;
  result.point = static_cast<long>(result.digits.size());
  if (!x.empty() && (x[0] == '.' || x[0] == ',')) {
    x.remove_prefix(1);
    auto before = result.digits.size();
    while (!x.empty() && is_digit(x[0])) {
      result.digits += x[0];
      x.remove_prefix(1);
    }
    if (result.digits.size() == before)
      return std::nullopt;
  }
  if (!x.empty() && allow_exponent && (x[0] == 'e' || x[0] == 'E')) {
    long exponent = 0;
    if (!read_exponent(x, exponent))
      return std::nullopt;
    result.point += exponent;
  }
  if (!x.empty())
    return std::nullopt;
  return result;
}

// Scales `d` to units of 10^-scale, rounding half away from zero.
std::optional<int64_t> to_units(const decimal_text& d, int scale) {
  if (scale < 0 || scale > max_scale)
    return std::nullopt;
  auto digit_at = [&](long i) -> uint64_t {
    return i >= 0 && i < static_cast<long>(d.digits.size())
             ? static_cast<uint64_t>(d.digits[i] - '0')
             : 0;
  };
  // Digits left of the cut (point + scale) form the magnitude; leading
  // zeros of a long integer part cost nothing.
  long cut = d.point + scale;
  long first = static_cast<long>(d.digits.find_first_not_of('0'));
  if (first < 0)
    first = static_cast<long>(d.digits.size());
  constexpr uint64_t limit = std::numeric_limits<int64_t>::max();
  uint64_t magnitude = 0;
  for (long i = std::min(first, cut); i < cut; ++i) {
    if (magnitude > (limit - digit_at(i)) / 10)
      return std::nullopt;
    magnitude = magnitude * 10 + digit_at(i);
  }
  if (digit_at(cut) >= 5) {
    if (magnitude == limit)
      return std::nullopt;
    ++magnitude;
  }
  auto value = static_cast<int64_t>(magnitude);
  return d.negative ? -value : value;
}

// --- JSON field access with errors that name the field -----------------------

struct reader {
  const json& j;
  std::string& error;
  std::string prefix;

  bool fail(std::string_view key, std::string_view what) {
    if (error.empty())
      error = prefix + std::string{key} + ": " + std::string{what};
    return false;
  }

  const json* find(std::string_view key) {
    auto i = j.find(key);
    return i == j.end() || i->is_null() ? nullptr : &*i;
  }

  bool text(std::string_view key, std::string& out) {
    auto x = find(key);
    if (x == nullptr)
      return fail(key, "missing");
    if (!x->is_string())
      return fail(key, "not a string");
    out = x->get<std::string>();
    return true;
  }

  bool text(std::string_view key, opt_string& out) {
    auto x = find(key);
    if (x == nullptr) {
      out.reset();
      return true;
    }
    if (!x->is_string())
      return fail(key, "not a string");
    out = x->get<std::string>();
    return true;
  }

  // Keeps `out` (its default) when the field is absent.
  bool flag(std::string_view key, bool& out) {
    auto x = find(key);
    if (x == nullptr)
      return true;
    if (!x->is_boolean())
      return fail(key, "not a boolean");
    out = x->get<bool>();
    return true;
  }

  template<class Int>
  bool integer(std::string_view key, Int& out) {
    auto x = find(key);
    if (x == nullptr)
      return true;
    if (!x->is_number_integer())
      return fail(key, "not an integer");
    auto value = x->get<int64_t>();
    if (value < std::numeric_limits<Int>::min()
        || value > std::numeric_limits<Int>::max())
      return fail(key, "out of range");
    out = static_cast<Int>(value);
    return true;
  }

  template<class Int>
  bool decimal(std::string_view key, int scale, Int& out) {
    auto x = find(key);
    if (x == nullptr)
      return true;
    auto value = decimal_from_json(*x, scale);
    if (!value || *value < std::numeric_limits<Int>::min()
        || *value > std::numeric_limits<Int>::max())
      return fail(key, "not a decimal");
    out = static_cast<Int>(*value);
    return true;
  }
};

json opt(const opt_string& x) {
  return x ? json(*x) : json(nullptr);
}

std::optional<invoice_row> row_from_json(const json& j, std::size_t index,
                                         std::string& error) {
  std::string prefix = "rows[" + std::to_string(index) + "].";
  if (!j.is_object()) {
    error = prefix.substr(0, prefix.size() - 1) + ": not an object";
    return std::nullopt;
  }
  reader r{j, error, prefix};
  invoice_row x;
  bool ok = r.integer("line_no", x.line_no) && r.text("article", x.article)
            && r.text("description", x.description)
            && r.decimal("quantity", 4, x.quantity_e4) && r.text("unit", x.unit)
            && r.integer("unit_price", x.unit_price)
            && r.decimal("vat_percent", 2, x.vat_percent_e2);
  if (!ok)
    return std::nullopt;
  return x;
}

bool known_status(std::string_view x) {
  return std::find(std::begin(invoice_statuses), std::end(invoice_statuses), x)
         != std::end(invoice_statuses);
}

} // namespace

// --- public API
// ---------------------------------------------------------------

std::optional<int64_t> parse_decimal(std::string_view text, int scale) {
  auto d = read_decimal(text, false);
  return d ? to_units(*d, scale) : std::nullopt;
}

std::optional<int64_t> decimal_from_json(const json& j, int scale) {
  if (scale < 0 || scale > max_scale)
    return std::nullopt;
  if (j.is_number_integer()) {
    // Unsigned values above int64 are out of range either way.
    if (j.is_number_unsigned()
        && j.get<uint64_t>() > std::numeric_limits<int64_t>::max())
      return std::nullopt;
    auto value = j.get<int64_t>();
    auto factor = static_cast<int64_t>(pow10[scale]);
    if (value > std::numeric_limits<int64_t>::max() / factor
        || value < std::numeric_limits<int64_t>::min() / factor)
      return std::nullopt;
    return value * factor;
  }
  if (j.is_number_float()) {
    // dump() prints the shortest text that round-trips ("1250.5", "1e+21"):
    // the value as the provider wrote it, without double arithmetic.
    auto d = read_decimal(j.dump(), true);
    return d ? to_units(*d, scale) : std::nullopt;
  }
  if (j.is_string())
    return parse_decimal(j.get_ref<const std::string&>(), scale);
  return std::nullopt;
}

std::string format_decimal(int64_t value, int scale) {
  scale = std::clamp(scale, 0, max_scale);
  // Unsigned magnitude: also right for INT64_MIN.
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value)
                                 : static_cast<uint64_t>(value);
  std::string out = value < 0 ? "-" : "";
  out += std::to_string(magnitude / pow10[scale]);
  if (scale == 0)
    return out;
  auto fraction = std::to_string(magnitude % pow10[scale]);
  fraction.insert(0, static_cast<std::size_t>(scale) - fraction.size(), '0');
  while (!fraction.empty() && fraction.back() == '0')
    fraction.pop_back();
  if (!fraction.empty())
    out += '.' + fraction;
  return out;
}

json to_json(const customer& x) {
  return json{{"remote_id", opt(x.remote_id)},
              {"customer_number", opt(x.customer_number)},
              {"name", x.name},
              {"org_number", opt(x.org_number)},
              {"vat_number", opt(x.vat_number)},
              {"email", opt(x.email)},
              {"phone", opt(x.phone)},
              {"address1", opt(x.address1)},
              {"address2", opt(x.address2)},
              {"postal_code", opt(x.postal_code)},
              {"city", opt(x.city)},
              {"country_code", opt(x.country_code)},
              {"currency", x.currency},
              {"active", x.active},
              {"external_ref", opt(x.external_ref)}};
}

// Keys "quantity" and "vat_percent" (the ledger.invoice_rows columns): the
// values are decimals, not the _e4/_e2 integers of the struct.
json to_json(const invoice_row& x) {
  return json{{"line_no", x.line_no},
              {"article", opt(x.article)},
              {"description", opt(x.description)},
              {"quantity", format_decimal(x.quantity_e4, 4)},
              {"unit", opt(x.unit)},
              {"unit_price", x.unit_price},
              {"vat_percent", format_decimal(x.vat_percent_e2, 2)}};
}

json to_json(const invoice& x) {
  auto rows = json::array();
  for (const auto& row : x.rows)
    rows.push_back(to_json(row));
  return json{{"remote_id", opt(x.remote_id)},
              {"invoice_number", opt(x.invoice_number)},
              {"customer_remote_id", x.customer_remote_id},
              {"invoice_date", x.invoice_date},
              {"due_date", opt(x.due_date)},
              {"currency", x.currency},
              {"total", x.total},
              {"vat", x.vat},
              {"status", x.status},
              {"your_reference", opt(x.your_reference)},
              {"our_reference", opt(x.our_reference)},
              {"external_ref", opt(x.external_ref)},
              {"rows", std::move(rows)}};
}

std::optional<customer> customer_from_json(const json& j, std::string& error) {
  error.clear();
  if (!j.is_object()) {
    error = "customer: not an object";
    return std::nullopt;
  }
  reader r{j, error, ""};
  customer x;
  bool ok
    = r.text("remote_id", x.remote_id)
      && r.text("customer_number", x.customer_number) && r.text("name", x.name)
      && r.text("org_number", x.org_number)
      && r.text("vat_number", x.vat_number) && r.text("email", x.email)
      && r.text("phone", x.phone) && r.text("address1", x.address1)
      && r.text("address2", x.address2) && r.text("postal_code", x.postal_code)
      && r.text("city", x.city) && r.text("country_code", x.country_code)
      && (r.find("currency") == nullptr || r.text("currency", x.currency))
      && r.flag("active", x.active) && r.text("external_ref", x.external_ref);
  if (!ok)
    return std::nullopt;
  return x;
}

std::optional<invoice> invoice_from_json(const json& j, std::string& error) {
  error.clear();
  if (!j.is_object()) {
    error = "invoice: not an object";
    return std::nullopt;
  }
  reader r{j, error, ""};
  invoice x;
  bool ok = r.text("remote_id", x.remote_id)
            && r.text("invoice_number", x.invoice_number)
            && r.text("customer_remote_id", x.customer_remote_id)
            && r.text("invoice_date", x.invoice_date)
            && r.text("due_date", x.due_date)
            && (r.find("currency") == nullptr || r.text("currency", x.currency))
            && r.integer("total", x.total) && r.integer("vat", x.vat)
            && (r.find("status") == nullptr || r.text("status", x.status))
            && r.text("your_reference", x.your_reference)
            && r.text("our_reference", x.our_reference)
            && r.text("external_ref", x.external_ref);
  if (!ok)
    return std::nullopt;
  if (!known_status(x.status)) {
    error = "status: unknown value \"" + x.status + "\"";
    return std::nullopt;
  }
  if (auto rows = r.find("rows"); rows != nullptr) {
    if (!rows->is_array()) {
      error = "rows: not an array";
      return std::nullopt;
    }
    for (std::size_t i = 0; i < rows->size(); ++i) {
      auto row = row_from_json((*rows)[i], i, error);
      if (!row)
        return std::nullopt;
      x.rows.push_back(std::move(*row));
    }
  }
  return x;
}

} // namespace ledgerd::state
