// Runs a program of ours (ledgerd, ledgerctl, the simulator) as a child
// process for end-to-end tests, with its output (stdout and stderr, in one
// stream) captured line by line.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ledgerd::test {

class child_process {
public:
  /// Starts `argv[0]` with `argv`, extra environment `env` on top of ours,
  /// stdout and stderr captured together.
  child_process(std::vector<std::string> argv,
                std::map<std::string, std::string> env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Reads the output until a line contains `needle`; returns that line, or
  /// nullopt when the process ends or `timeout` passes first.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout);

  /// Sends `sig` to the process.
  void signal(int sig);

  /// Waits for the exit status (-1 on timeout; the process is then killed).
  int wait(std::chrono::milliseconds timeout);

  /// Everything read so far.
  const std::string& output() const {
    return output_;
  }

private:
  bool read_some(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::string output_;
  size_t scanned_ = 0;
  std::optional<int> status_;
};

} // namespace ledgerd::test
