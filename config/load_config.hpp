// Reads the node's TOML configuration into a node_config and checks it.
//
// Every problem found is reported, not just the first: TOML syntax errors,
// unknown keys (typos are never silently ignored), wrong types, values out of
// range and inconsistencies between sections. Each problem names the file,
// the line and column when known, the key path and what is wrong:
//
//   ledgerd.toml:14:12: tenants[1].connections[0].provider: must be one of
//   fortnox, visma (got "fortnox2")
//
// String values may refer to the environment: "${VAR}" is replaced by the
// variable's value and "${VAR:-default}" by the default when the variable is
// unset or empty; "$${" stands for a literal "${". Integer and boolean keys
// also accept a string that uses ${...}, parsed after expansion
// (pool_size = "${LEDGERD_POOL:-8}").
#pragma once

#include "config/node_config.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ledgerd::config {

/// One thing wrong with a configuration.
struct problem {
  /// The file (or source name given to parse_config).
  std::string file;
  /// 1-based line of the offending key or value; 0 when unknown.
  uint32_t line = 0;
  /// 1-based column; 0 when unknown.
  uint32_t column = 0;
  /// TOML key path ("tenants[1].connections[0].provider"); empty for syntax
  /// errors and unreadable files.
  std::string key;
  /// What is wrong ("must be one of fortnox, visma (got \"fortnox2\")").
  std::string message;

  friend bool operator==(const problem&, const problem&) = default;
};

/// "file:line:column: key: message", leaving out what is unknown.
std::string to_string(const problem& x);

std::ostream& operator<<(std::ostream& out, const problem& x);

/// All problems, one per line (each line ends with '\n'), for the CLI.
std::string format_problems(const std::vector<problem>& xs);

/// A loaded configuration or the problems that prevent it.
class config_result {
public:
  config_result(node_config x)
    : value_(std::move(x)) {}

  config_result(std::vector<problem> xs)
    : value_(std::move(xs)) {}

  /// True when there are no problems.
  bool ok() const {
    return std::holds_alternative<node_config>(value_);
  }

  explicit operator bool() const {
    return ok();
  }

  /// The configuration; requires ok().
  const node_config& config() const {
    return std::get<node_config>(value_);
  }

  node_config& config() {
    return std::get<node_config>(value_);
  }

  /// The problems; empty when ok().
  const std::vector<problem>& problems() const;

private:
  std::variant<node_config, std::vector<problem>> value_;
};

/// Looks up an environment variable; nullopt when it is not set.
using env_lookup
  = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment (getenv).
env_lookup process_environment();

/// Result of expand_env: the expanded text, or why it failed.
struct expansion {
  std::optional<std::string> value;
  /// Set when `value` is not ("LEDGERD_X is not set and has no default").
  std::string error;
};

/// Expands ${VAR} and ${VAR:-default} in `text` (see the top of this file).
expansion expand_env(std::string_view text, const env_lookup& env);

/// Parses TOML `text`; `source_name` is the file name used in problems.
config_result parse_config(std::string_view text, std::string_view source_name,
                           const env_lookup& env = process_environment());

/// Reads and parses the file at `path` (problems name it as given).
config_result load_config(const std::filesystem::path& path,
                          const env_lookup& env = process_environment());

} // namespace ledgerd::config
