// ledgerd: the sync node. Usage: ledgerd --config FILE [--check-config]
#include "adapters/log.hpp"
#include "app/node.hpp"
#include "config/load_config.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view usage
  = R"(usage: ledgerd [--config FILE] [--check-config]

  --config FILE    node configuration (TOML); default: $LEDGERD_CONFIG or
                   config/ledgerd.toml
  --check-config   validate the configuration and exit (0 valid, 2 invalid)
  --version        print the version
)";

struct options {
  std::string config_path;
  bool check_only = false;
};

// Returns nullopt after printing usage or version (exit 0) or an error.
std::optional<options> parse_args(int argc, char** argv, int& status) {
  options opts;
  if (auto env = std::getenv("LEDGERD_CONFIG"))
    opts.config_path = env;
  else
    opts.config_path = "config/ledgerd.toml";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      opts.config_path = argv[++i];
    } else if (arg == "--check-config") {
      opts.check_only = true;
    } else if (arg == "--version") {
      std::cout << "ledgerd " << LEDGERD_VERSION << '\n';
      status = 0;
      return std::nullopt;
    } else {
      std::cerr << (arg == "--help" || arg == "-h" ? "" : "unknown argument: ")
                << (arg == "--help" || arg == "-h" ? "" : arg)
                << (arg == "--help" || arg == "-h" ? "" : "\n") << usage;
      status = arg == "--help" || arg == "-h" ? 0 : ledgerd::exit_bad_config;
      return std::nullopt;
    }
  }
  return opts;
}

ledgerd::log::level to_log_level(ledgerd::config::log_level x) {
  return *ledgerd::log::parse_level(ledgerd::config::to_string(x));
}

} // namespace

int main(int argc, char** argv) {
  int status = 0;
  auto opts = parse_args(argc, argv, status);
  if (!opts)
    return status;
  auto loaded = ledgerd::config::load_config(opts->config_path);
  if (!loaded) {
    std::cerr << ledgerd::config::format_problems(loaded.problems());
    std::cerr << "ledgerd: invalid configuration, nothing started\n";
    return ledgerd::exit_bad_config;
  }
  if (opts->check_only) {
    std::cout << opts->config_path << ": ok\n";
    return 0;
  }
  ledgerd::log::set_level(to_log_level(loaded.config().node.log_level));
  return ledgerd::run_node(loaded.config());
}
