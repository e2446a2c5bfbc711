#include "adapters/http/worker_pool.hpp"

#include <algorithm>

namespace ledgerd {

worker_pool::worker_pool(size_t threads, size_t max_queued)
  : st_(std::make_shared<shared_state>()) {
  st_->max_queued = max_queued;
  threads = std::max<size_t>(threads, 1);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i)
    threads_.emplace_back(run, st_);
}

worker_pool::~worker_pool() {
  {
    std::lock_guard guard{st_->mtx};
    st_->stopping = true;
  }
  st_->cv.notify_all();
  for (auto& t : threads_) {
    if (t.get_id() == std::this_thread::get_id())
      t.detach();
    else
      t.join();
  }
}

bool worker_pool::submit(std::function<void()> task) {
  {
    std::lock_guard guard{st_->mtx};
    if (st_->stopping || st_->queue.size() >= st_->max_queued)
      return false;
    st_->queue.push_back(std::move(task));
  }
  st_->cv.notify_one();
  return true;
}

void worker_pool::run(std::shared_ptr<shared_state> st) {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock guard{st->mtx};
      st->cv.wait(guard, [&] {
        return st->stopping || !st->queue.empty();
      });
      if (st->queue.empty())
        return;
      task = std::move(st->queue.front());
      st->queue.pop_front();
    }
    task();
  }
}

} // namespace ledgerd
