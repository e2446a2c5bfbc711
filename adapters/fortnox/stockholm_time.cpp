#include "adapters/fortnox/stockholm_time.hpp"

#include <cstdio>

namespace ledgerd::fortnox {

using namespace std::chrono;

namespace {

// 01:00 UTC on the last Sunday of `m` in year `y`.
sys_seconds switch_at(year y, month m) {
  sys_days day{year_month_weekday_last{y, m, weekday_last{Sunday}}};
  return day + hours{1};
}

} // namespace

hours stockholm_offset(sys_seconds utc) {
  auto y = year_month_day{floor<days>(utc)}.year();
  bool summer = utc >= switch_at(y, March) && utc < switch_at(y, October);
  return hours{summer ? 2 : 1};
}

std::string stockholm_wall_time(sys_seconds utc) {
  auto local = utc + stockholm_offset(utc);
  auto day = floor<days>(local);
  year_month_day ymd{day};
  hh_mm_ss hms{local - day};
  char buf[64];
  std::snprintf(
    buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld:%02ld",
    static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
    static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
    static_cast<long>(hms.minutes().count()),
    static_cast<long>(hms.seconds().count()));
  return buf;
}

std::string stockholm_lower_bound(sys_seconds utc) {
  // The last summer-time hour is the one whose wall time recurs in winter.
  bool in_fold = stockholm_offset(utc) == hours{2}
                 && stockholm_offset(utc + hours{1}) == hours{1};
  return stockholm_wall_time(in_fold ? utc - hours{1} : utc);
}

} // namespace ledgerd::fortnox
