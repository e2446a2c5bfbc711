#include "tests/support/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace ledgerd::test {

namespace {

using clock = std::chrono::steady_clock;

[[noreturn]] void exec_child(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& env,
                             int err_fd) {
  dup2(err_fd, STDERR_FILENO);
  dup2(err_fd, STDOUT_FILENO);
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, STDIN_FILENO);
  // Signals blocked by the test runner must not stay blocked in the child.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (auto& [k, v] : env)
    setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

} // namespace

child_process::child_process(std::vector<std::string> argv,
                             std::map<std::string, std::string> env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0)
    exec_child(argv, env, fds[1]);
  close(fds[1]);
  err_fd_ = fds[0];
}

child_process::~child_process() {
  if (!status_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (err_fd_ >= 0)
    close(err_fd_);
}

bool child_process::read_some(std::chrono::milliseconds timeout) {
  pollfd pfd{err_fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0)
    return false;
  char buf[4096];
  auto n = read(err_fd_, buf, sizeof(buf));
  if (n <= 0)
    return false;
  output_.append(buf, static_cast<size_t>(n));
  return true;
}

std::optional<std::string>
child_process::wait_for_line(const std::string& needle,
                             std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  for (;;) {
    // Look at complete lines not scanned yet.
    size_t eol;
    while ((eol = output_.find('\n', scanned_)) != std::string::npos) {
      auto line = output_.substr(scanned_, eol - scanned_);
      scanned_ = eol + 1;
      if (line.find(needle) != std::string::npos)
        return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock::now());
    if (left.count() <= 0 || !read_some(left))
      return std::nullopt;
  }
}

void child_process::signal(int sig) {
  if (!status_)
    kill(pid_, sig);
}

int child_process::wait(std::chrono::milliseconds timeout) {
  if (status_)
    return *status_;
  auto deadline = clock::now() + timeout;
  for (;;) {
    int st = 0;
    auto r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      while (read_some(std::chrono::milliseconds{0})) {
      }
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return *status_;
    }
    if (clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      status_ = -1;
      return -1;
    }
    // Drain stderr while waiting so the child never blocks on a full pipe.
    read_some(std::chrono::milliseconds{50});
  }
}

} // namespace ledgerd::test
