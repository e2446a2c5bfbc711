// The ledgerctl commands that talk to a running node through its HTTP API
// (status, top, jobs, batches, conflicts, tenants): human tables by
// default, the API's JSON with --json, and a clear error when the node
// cannot be reached.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ledgerd::ctl {

/// Where the node is and how to authenticate.
struct api_target {
  /// "http://127.0.0.1:8080".
  std::string base_url;
  /// The admin bearer token; empty = none sent.
  std::string token;
};

/// A parsed command line: command, positional arguments, --key value
/// options and --flags.
struct api_command {
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> options;
  bool json = false;
};

/// The names of the commands run_api_command handles.
bool is_api_command(const std::string& command);

/// Runs one API command; returns the exit status (0 ok, 1 the node said no
/// or cannot be reached, 2 bad usage). Writes to stdout and stderr.
int run_api_command(const api_target& target, const api_command& cmd);

/// Usage lines of the API commands, for ledgerctl's help.
extern const char* const api_usage;

} // namespace ledgerd::ctl
