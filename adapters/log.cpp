#include "adapters/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ledgerd::log {

namespace {

std::atomic<level> min_level{level::info};
std::mutex sink_mtx;
std::function<void(const std::string&)> custom_sink;

bool needs_quotes(std::string_view x) {
  if (x.empty())
    return true;
  for (char c : x)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || c < 0x20)
      return true;
  return false;
}

void append_value(std::string& out, std::string_view x) {
  if (!needs_quotes(x)) {
    out += x;
    return;
  }
  out += '"';
  for (char c : x) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      out += c;
    }
  }
  out += '"';
}

std::string utc_timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

} // namespace

std::optional<level> parse_level(std::string_view name) {
  if (name == "debug")
    return level::debug;
  if (name == "info")
    return level::info;
  if (name == "warn")
    return level::warn;
  if (name == "error")
    return level::error;
  return std::nullopt;
}

std::string_view to_string(level x) {
  switch (x) {
  case level::debug:
    return "debug";
  case level::info:
    return "info";
  case level::warn:
    return "warn";
  case level::error:
    return "error";
  }
  return "unknown";
}

void set_level(level x) {
  min_level = x;
}

bool enabled(level x) {
  return x >= min_level.load();
}

void set_sink(std::function<void(const std::string&)> sink) {
  std::lock_guard guard{sink_mtx};
  custom_sink = std::move(sink);
}

std::string format(level lvl, std::string_view component, std::string_view msg,
                   fields kvs) {
  std::string line;
  line.reserve(128);
  line += "ts=";
  line += utc_timestamp();
  line += " level=";
  line += to_string(lvl);
  line += " component=";
  append_value(line, component);
  line += " msg=";
  append_value(line, msg);
  for (const auto& kv : kvs) {
    line += ' ';
    line += kv.key;
    line += '=';
    append_value(line, kv.value);
  }
  return line;
}

void write(level lvl, std::string_view component, std::string_view msg,
           fields kvs) {
  if (!enabled(lvl))
    return;
  auto line = format(lvl, component, msg, kvs);
  std::lock_guard guard{sink_mtx};
  if (custom_sink) {
    custom_sink(line);
    return;
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace ledgerd::log
