#include "sim/civil_time.hpp"

#include <cstdio>

namespace ledgerd::sim {

namespace {

using namespace std::chrono;

/// 01:00 UTC on the last Sunday of `m` in `y`.
sys_ms last_sunday_0100(year y, month m) {
  sys_days d{year_month_weekday_last{y, m, weekday_last{Sunday}}};
  return time_point_cast<milliseconds>(d + hours{1});
}

minutes stockholm_offset(sys_ms utc) {
  return stockholm_dst(utc) ? minutes{120} : minutes{60};
}

/// Reads exactly `n` digits at `pos`; advances `pos`.
std::optional<int> digits(std::string_view s, std::size_t& pos, int n) {
  if (pos + static_cast<std::size_t>(n) > s.size())
    return std::nullopt;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(n);
  return v;
}

bool take(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

struct civil {
  sys_ms local; // the wall time, read as if it were UTC
  std::optional<minutes> offset;
};

/// Parses "YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|(+|-)HH:MM]".
std::optional<civil> parse_civil(std::string_view s) {
  std::size_t pos = 0;
  auto y = digits(s, pos, 4);
  if (!y || !take(s, pos, '-'))
    return std::nullopt;
  auto mo = digits(s, pos, 2);
  if (!mo || !take(s, pos, '-'))
    return std::nullopt;
  auto d = digits(s, pos, 2);
  if (!d)
    return std::nullopt;
  year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)},
                     day{static_cast<unsigned>(*d)}};
  if (!ymd.ok())
    return std::nullopt;
  milliseconds tod{0};
  if (take(s, pos, 'T') || take(s, pos, ' ')) {
    auto h = digits(s, pos, 2);
    if (!h || !take(s, pos, ':'))
      return std::nullopt;
    auto mi = digits(s, pos, 2);
    if (!mi || *h > 23 || *mi > 59)
      return std::nullopt;
    int sec = 0;
    if (take(s, pos, ':')) {
      auto se = digits(s, pos, 2);
      if (!se || *se > 60)
        return std::nullopt;
      sec = *se;
    }
    tod = hours{*h} + minutes{*mi} + seconds{sec};
    if (take(s, pos, '.')) {
      int scale = 100;
      bool any = false;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        tod += milliseconds{(s[pos] - '0') * scale};
        scale /= 10;
        ++pos;
        any = true;
      }
      if (!any)
        return std::nullopt;
    }
  }
  civil out{sys_days{ymd} + tod, std::nullopt};
  if (take(s, pos, 'Z')) {
    out.offset = minutes{0};
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    auto oh = digits(s, pos, 2);
    take(s, pos, ':');
    auto om = digits(s, pos, 2);
    if (!oh || !om)
      return std::nullopt;
    out.offset = minutes{sign * (*oh * 60 + *om)};
  }
  if (pos != s.size())
    return std::nullopt;
  return out;
}

std::string format_fields(sys_ms t, char sep, bool millis) {
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss tod{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u%c%02d:%02d:%02d",
                static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), sep,
                static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()));
  std::string out = buf;
  if (millis) {
    std::snprintf(buf, sizeof buf, ".%03d",
                  static_cast<int>(tod.subseconds().count()));
    out += buf;
  }
  return out;
}

} // namespace

sys_ms utc_now() {
  return time_point_cast<milliseconds>(system_clock::now());
}

bool stockholm_dst(sys_ms utc) {
  year y = year_month_day{floor<days>(utc)}.year();
  return utc >= last_sunday_0100(y, March)
         && utc < last_sunday_0100(y, October);
}

std::string format_utc(sys_ms t, bool millis) {
  return format_fields(t, 'T', millis) + "Z";
}

std::optional<sys_ms> parse_utc(std::string_view text) {
  if (text.substr(0, 9) == "datetime'" && text.size() > 10
      && text.back() == '\'')
    text = text.substr(9, text.size() - 10);
  else if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'')
    text = text.substr(1, text.size() - 2);
  auto c = parse_civil(text);
  if (!c)
    return std::nullopt;
  return c->local - c->offset.value_or(minutes{0});
}

std::string format_stockholm_iso(sys_ms utc) {
  auto off = stockholm_offset(utc);
  char zone[8];
  std::snprintf(zone, sizeof zone, "+%02d:00",
                static_cast<int>(off.count() / 60));
  return format_fields(utc + off, 'T', true) + zone;
}

std::string format_http_date(sys_ms utc) {
  static constexpr const char* wdays[]{"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
  static constexpr const char* months[]{"Jan", "Feb", "Mar", "Apr",
                                        "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"};
  auto day = floor<days>(utc);
  year_month_day ymd{day};
  hh_mm_ss hms{floor<seconds>(utc - day)};
  char buf[40];
  std::snprintf(
    buf, sizeof buf, "%s, %02u %s %04d %02ld:%02ld:%02ld GMT",
    wdays[weekday{day}.c_encoding()], static_cast<unsigned>(ymd.day()),
    months[static_cast<unsigned>(ymd.month()) - 1],
    static_cast<int>(ymd.year()), static_cast<long>(hms.hours().count()),
    static_cast<long>(hms.minutes().count()),
    static_cast<long>(hms.seconds().count()));
  return buf;
}

std::string format_stockholm_wall(sys_ms utc) {
  return format_fields(utc + stockholm_offset(utc), ' ', false);
}

std::optional<sys_ms> parse_stockholm_wall(std::string_view text,
                                           bool fold_later) {
  auto c = parse_civil(text);
  if (!c || c->offset)
    return std::nullopt;
  // In the autumn fold both readings are valid.
  auto summer = c->local - minutes{120};
  auto winter = c->local - minutes{60};
  if (fold_later && !stockholm_dst(winter))
    return winter;
  if (stockholm_dst(summer))
    return summer;
  return winter;
}

} // namespace ledgerd::sim
