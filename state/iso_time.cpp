#include "state/iso_time.hpp"

#include <charconv>
#include <cstdio>

namespace ledgerd::state {

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
    if (x.size() < pos + len)
      return false;
    auto [p, ec] = std::from_chars(x.data() + pos, x.data() + pos + len, out);
    return ec == std::errc{} && p == x.data() + pos + len;
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

} // namespace ledgerd::state
