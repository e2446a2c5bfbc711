#include "state/iso_time.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace ledgerd::state {

namespace {

/// Reads exactly `len` digits of `x` at `pos` into `out`.
bool digits_at(std::string_view x, size_t pos, size_t len, int& out) {
  if (x.size() < pos + len)
    return false;
  auto [p, ec] = std::from_chars(x.data() + pos, x.data() + pos + len, out);
  return ec == std::errc{} && p == x.data() + pos + len;
}

} // namespace

std::string format_iso_utc(std::chrono::sys_seconds t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(
    buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ",
    static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
    static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
    static_cast<long>(hms.minutes().count()),
    static_cast<long>(hms.seconds().count()));
  return buf;
}

std::optional<std::chrono::sys_seconds> parse_iso_utc(std::string_view x) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  auto num = [&](size_t pos, size_t len, int& out) {
    return digits_at(x, pos, len, out);
  };
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d))
    return std::nullopt;
  if (x.size() > 10 && (!num(11, 2, h) || !num(14, 2, mi)))
    return std::nullopt;
  if (x.size() > 17 && x[16] == ':' && !num(17, 2, s))
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y},
                                  std::chrono::month{static_cast<unsigned>(mo)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok())
    return std::nullopt;
  return std::chrono::sys_days{ymd} + std::chrono::hours{h}
         + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view x) {
  // "Tue, 31 Jan 2023 11:39:51 GMT": fixed positions, 29 characters.
  static constexpr std::array<std::string_view, 12> months{
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (x.size() != 29 || x.substr(3, 2) != ", " || x[7] != ' ' || x[11] != ' '
      || x[16] != ' ' || x[19] != ':' || x[22] != ':' || x.substr(25) != " GMT")
    return std::nullopt;
  unsigned mo = 0;
  while (mo < months.size() && months[mo] != x.substr(8, 3))
    ++mo;
  int d = 0, y = 0, h = 0, mi = 0, s = 0;
  if (mo == months.size() || !digits_at(x, 5, 2, d) || !digits_at(x, 12, 4, y)
      || !digits_at(x, 17, 2, h) || !digits_at(x, 20, 2, mi)
      || !digits_at(x, 23, 2, s) || h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y},
                                  std::chrono::month{mo + 1},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok())
    return std::nullopt;
  return std::chrono::sys_days{ymd} + std::chrono::hours{h}
         + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

} // namespace ledgerd::state
