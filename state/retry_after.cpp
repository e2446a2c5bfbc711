#include "state/retry_after.hpp"

#include <array>
#include <cstdint>

namespace ledgerd::state {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Delays beyond this are nonsense (136 years) and rejected.
constexpr uint64_t max_seconds = uint64_t{1} << 32;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

// Position of the first case-insensitive occurrence of `needle` at or after
// `from`, or npos.
size_t ifind(std::string_view hay, std::string_view needle, size_t from) {
  if (needle.size() > hay.size())
    return std::string_view::npos;
  for (auto i = from; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle))
      return i;
  return std::string_view::npos;
}

std::string_view trim(std::string_view x) {
  while (!x.empty() && is_space(x.front()))
    x.remove_prefix(1);
  while (!x.empty() && is_space(x.back()))
    x.remove_suffix(1);
  return x;
}

// Parses a run of digits into `out`; false when empty or beyond max_seconds.
bool parse_digits(std::string_view digits, uint64_t& out) {
  if (digits.empty())
    return false;
  out = 0;
  for (auto c : digits) {
    if (!is_digit(c))
      return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
    if (out > max_seconds * 1000)
      return false;
  }
  return true;
}

// Milliseconds per unit, by the unit's spellings; 0 for an unknown unit.
uint64_t unit_ms(std::string_view unit) {
  struct entry {
    std::string_view name;
    uint64_t ms;
  };
  static constexpr std::array<entry, 14> units{{
    {"", 1000},
    {"ms", 1},
    {"millisecond", 1},
    {"milliseconds", 1},
    {"s", 1000},
    {"sec", 1000},
    {"secs", 1000},
    {"second", 1000},
    {"seconds", 1000},
    {"m", 60'000},
    {"min", 60'000},
    {"mins", 60'000},
    {"minute", 60'000},
    {"minutes", 60'000},
  }};
  for (const auto& x : units)
    if (iequals(unit, x.name))
      return x.ms;
  return 0;
}

// Parses "N[.F] [unit]" at the start of `x`.
std::optional<milliseconds> parse_amount(std::string_view x) {
  size_t i = 0;
  while (i < x.size() && is_digit(x[i]))
    ++i;
  uint64_t whole = 0;
  if (!parse_digits(x.substr(0, i), whole))
    return std::nullopt;
  // An optional fraction, e.g. "2.5".
  std::string_view frac;
  if (i + 1 < x.size() && x[i] == '.' && is_digit(x[i + 1])) {
    auto start = ++i;
    while (i < x.size() && is_digit(x[i]))
      ++i;
    frac = x.substr(start, i - start);
  }
  while (i < x.size() && is_space(x[i]))
    ++i;
  auto unit_start = i;
  while (i < x.size() && is_alpha(x[i]))
    ++i;
  auto per_unit = unit_ms(x.substr(unit_start, i - unit_start));
  if (per_unit == 0)
    return std::nullopt;
  if (whole > max_seconds * 1000 / per_unit)
    return std::nullopt;
  // whole * per_unit ms plus frac * per_unit / 10^digits ms, rounded up
  // (fraction digits past the sixth only decide the rounding).
  uint64_t total = whole * per_unit;
  uint64_t num = 0;
  uint64_t den = 1;
  bool rest = false;
  for (size_t d = 0; d < frac.size(); ++d) {
    if (d < 6) {
      num = num * 10 + static_cast<uint64_t>(frac[d] - '0');
      den *= 10;
    } else if (frac[d] != '0') {
      rest = true;
    }
  }
  auto scaled = num * per_unit;
  total += scaled / den;
  if (scaled % den != 0 || rest)
    ++total;
  if (total > max_seconds * 1000)
    return std::nullopt;
  return milliseconds{static_cast<int64_t>(total)};
}

} // namespace

std::optional<seconds> parse_retry_after(std::string_view value) {
  auto x = trim(value);
  constexpr std::string_view name = "retry-after";
  if (x.size() >= name.size() && iequals(x.substr(0, name.size()), name)) {
    x = trim(x.substr(name.size()));
    if (x.empty() || x.front() != ':')
      return std::nullopt;
    x = trim(x.substr(1));
  }
  uint64_t n = 0;
  if (!parse_digits(x, n) || n > max_seconds)
    return std::nullopt;
  return seconds{static_cast<int64_t>(n)};
}

std::optional<milliseconds> parse_try_again_in(std::string_view message) {
  constexpr std::array<std::string_view, 3> phrases{"try again in", "retry in",
                                                    "retry after"};
  for (auto phrase : phrases) {
    for (auto pos = ifind(message, phrase, 0); pos != std::string_view::npos;
         pos = ifind(message, phrase, pos + 1)) {
      auto rest = message.substr(pos + phrase.size());
      // The phrase must end a word: "retry instantly" is no "retry in".
      if (!rest.empty() && !is_space(rest.front()))
        continue;
      if (auto result = parse_amount(trim(rest)))
        return result;
    }
  }
  return std::nullopt;
}

std::optional<milliseconds>
parse_retry_hint(std::string_view retry_after_header, std::string_view body) {
  if (auto header = parse_retry_after(retry_after_header))
    return std::chrono::duration_cast<milliseconds>(*header);
  return parse_try_again_in(body);
}

} // namespace ledgerd::state
