// A small fixed pool of threads for blocking work that HTTP handlers hand
// off (PostgreSQL calls): the server's io thread and the CAF workers never
// block on libpq. Tasks answer through their http::responder, which is
// thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ledgerd {

class worker_pool {
public:
  /// Starts `threads` threads (at least 1); at most `max_queued` tasks wait.
  worker_pool(size_t threads, size_t max_queued);

  /// Runs the tasks already queued, then joins the threads (a thread that
  /// drops the last reference from inside a task is detached instead).
  ~worker_pool();

  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  /// Queues `task`; false when the queue is full or the pool is stopping.
  bool submit(std::function<void()> task);

private:
  /// Shared with the threads, so a detached thread never outlives it.
  struct shared_state {
    std::mutex mtx;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
    size_t max_queued = 0;
    bool stopping = false;
  };

  static void run(std::shared_ptr<shared_state> st);

  std::shared_ptr<shared_state> st_;
  std::vector<std::thread> threads_;
};

} // namespace ledgerd
