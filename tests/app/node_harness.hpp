// What the end-to-end tests of the real binaries share: a temporary config
// file, a minimal node config and the port the node listens on.
#pragma once

#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace ledgerd::test::app {

using namespace std::chrono_literals;

inline const std::string ledgerd_bin
  = std::string{LEDGERD_BINARY_DIR} + "/ledgerd";
inline const std::string ledgerctl_bin
  = std::string{LEDGERD_BINARY_DIR} + "/ledgerctl";

/// A config file in a temp dir, removed at the end of the test.
struct temp_config {
  explicit temp_config(const std::string& text) {
    path = std::filesystem::temp_directory_path()
           / ("ledgerd-node-test-" + std::to_string(getpid()) + "-"
              + std::to_string(++counter) + ".toml");
    std::ofstream{path} << text;
  }
  ~temp_config() {
    std::filesystem::remove(path);
  }
  std::filesystem::path path;
  static inline int counter = 0;
};

inline std::string node_config(const std::string& db_url,
                               const std::string& grace = "5s") {
  return "[node]\nlisten = \"127.0.0.1:0\"\nshutdown_grace = \"" + grace
         + "\"\n[database]\nurl = \"" + db_url + "\"\n";
}

/// Parses the port out of the node's `msg=listening url=http://h:p` line.
inline uint16_t listening_port(child_process& node) {
  auto line = node.wait_for_line("msg=listening url=", 30s);
  REQUIRE(line);
  auto pos = line->rfind(':');
  return static_cast<uint16_t>(std::stoi(line->substr(pos + 1)));
}

} // namespace ledgerd::test::app
