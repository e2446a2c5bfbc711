// Structured logging: one line per event, logfmt (key=value), written whole
// so lines from different threads never interleave. Example:
//   ts=2026-11-24T12:00:00.123Z level=info component=supervisor
//   msg="child restarted" child=health restarts=1
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace ledgerd::log {

enum class level { debug, info, warn, error };

/// Parses "debug", "info", "warn" or "error".
std::optional<level> parse_level(std::string_view name);

std::string_view to_string(level x);

/// One key=value pair; numbers and strings convert implicitly.
struct field {
  template<class T>
  field(std::string_view k, const T& v)
    : key(k) {
    if constexpr (std::is_same_v<T, bool>)
      value = v ? "true" : "false";
    else if constexpr (std::is_arithmetic_v<T>)
      value = std::to_string(v);
    else
      value = std::string{v};
  }

  std::string_view key;
  std::string value;
};

using fields = std::initializer_list<field>;

/// Drops events below `x` (default: info).
void set_level(level x);

bool enabled(level x);

/// Replaces where lines go (default: stderr); tests capture them. Pass an
/// empty function to restore stderr.
void set_sink(std::function<void(const std::string& line)> sink);

/// Formats one event as a logfmt line (without newline).
std::string format(level lvl, std::string_view component, std::string_view msg,
                   fields kvs);

void write(level lvl, std::string_view component, std::string_view msg,
           fields kvs = {});

inline void debug(std::string_view component, std::string_view msg,
                  fields kvs = {}) {
  if (enabled(level::debug))
    write(level::debug, component, msg, kvs);
}

inline void info(std::string_view component, std::string_view msg,
                 fields kvs = {}) {
  write(level::info, component, msg, kvs);
}

inline void warn(std::string_view component, std::string_view msg,
                 fields kvs = {}) {
  write(level::warn, component, msg, kvs);
}

inline void error(std::string_view component, std::string_view msg,
                  fields kvs = {}) {
  write(level::error, component, msg, kvs);
}

} // namespace ledgerd::log
