// What the benchmarks that run the real node share: the node as a child
// process (log to a file, port from its "listening" line, peak RSS, CPU
// time) and percentiles.
#pragma once

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace ledgerd::bench {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// The node as a child process; its output goes to a log file.
struct node_process {
  pid_t pid = -1;
  std::filesystem::path log;

  node_process(const std::string& binary, const std::string& config,
               std::filesystem::path log_path)
    : log(std::move(log_path)) {
    pid = fork();
    if (pid == 0) {
      // A benchmark or soak that dies (an abort under ASan) takes its node
      // with it instead of leaving it on the database.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      auto fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(binary.c_str(), binary.c_str(), "--config", config.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }

  /// The port from the node's "msg=listening url=http://host:port" line.
  uint16_t port(std::chrono::seconds limit) const {
    auto deadline = clock_type::now() + limit;
    while (clock_type::now() < deadline) {
      std::ifstream in{log};
      std::string line;
      while (std::getline(in, line))
        if (auto at = line.find("msg=listening url="); at != std::string::npos)
          return static_cast<uint16_t>(
            std::stoi(line.substr(line.rfind(':') + 1)));
      std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("the node did not start; see " + log.string());
  }

  /// CPU seconds (user + system) the node used so far.
  double cpu_seconds() const {
    std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
    std::string text{std::istreambuf_iterator<char>{in}, {}};
    // Fields after the command name (which may hold spaces) start at ')'.
    std::istringstream rest{text.substr(text.rfind(')') + 2)};
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i)
      if (i == 14 || i == 15)
        ticks += std::stod(field);
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

  /// VmHWM: the most resident memory the node ever had.
  double peak_rss_mb() const {
    std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmHWM:", 0) == 0)
        return std::stod(line.substr(6)) / 1024.0;
    return 0;
  }

  /// SIGTERM, and SIGKILL if the node has not exited within a minute (a
  /// node that hangs on its way out must not hang the benchmark; it says so).
  ~node_process() {
    if (pid <= 0)
      return;
    kill(pid, SIGTERM);
    auto deadline = clock_type::now() + 60s;
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (clock_type::now() > deadline) {
        fprintf(stderr, "node %d did not exit within 60 s of SIGTERM: killed\n",
                static_cast<int>(pid));
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
  }
};

inline double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto i = static_cast<size_t>(p * static_cast<double>(xs.size() - 1));
  return xs[i];
}

} // namespace ledgerd::bench
