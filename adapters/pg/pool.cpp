#include "adapters/pg/pool.hpp"

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ledgerd::pg {

namespace detail {

/// Shared by the pool and its leases, so a lease can outlive the pool.
/// Connecting and closing happen outside the mutex: a slow server must not
/// block threads that only want to return a connection.
struct pool_core {
  explicit pool_core(pool_options opts)
    : options(std::move(opts)) {}

  /// Reserves a slot (counted in in_use) and returns an idle connection for
  /// it, or nullptr when the caller must connect. Throws on timeout.
  std::unique_ptr<connection> reserve(std::chrono::milliseconds timeout) {
    std::unique_lock guard{mutex};
    auto has_room = [this] {
      return !idle.empty() || in_use < options.max_size;
    };
    if (!has_room()) {
      ++waiters;
      bool ok = released.wait_for(guard, timeout, has_room);
      --waiters;
      if (!ok)
        throw error(error::kind::operation, "pool.acquire",
                    "pool exhausted: " + std::to_string(in_use)
                      + " connections busy for "
                      + std::to_string(timeout.count()) + "ms");
    }
    ++in_use;
    if (idle.empty())
      return nullptr;
    auto conn = std::move(idle.back());
    idle.pop_back();
    return conn;
  }

  /// Fills a reserved slot with a live connection: the idle one if the
  /// server still has it, else a new one.
  std::unique_ptr<connection> fill(std::unique_ptr<connection> conn) {
    if (conn && conn->is_alive())
      return conn;
    if (conn)
      count_drop();
    conn.reset();
    auto fresh
      = std::make_unique<connection>(options.conninfo, options.connect);
    std::lock_guard guard{mutex};
    ++connects;
    return fresh;
  }

  void count_drop() {
    std::lock_guard guard{mutex};
    ++drops;
  }

  /// Frees a slot; keeps `conn` for reuse when it is clean and whole.
  void give_back(std::unique_ptr<connection> conn, bool broken) {
    bool reusable = conn && !broken && !conn->is_broken()
                    && !conn->in_transaction() && !conn->is_listening();
    {
      std::lock_guard guard{mutex};
      --in_use;
      if (reusable)
        idle.push_back(std::move(conn));
      else if (conn)
        ++drops;
    }
    released.notify_one();
    // A dropped connection closes here, outside the lock.
  }

  pool_stats stats() {
    std::lock_guard guard{mutex};
    return {options.max_size,
            idle.size() + in_use,
            idle.size(),
            in_use,
            waiters,
            connects,
            drops};
  }

  const pool_options options;
  std::mutex mutex;
  std::condition_variable released;
  std::vector<std::unique_ptr<connection>> idle;
  std::size_t in_use = 0;
  std::size_t waiters = 0;
  std::uint64_t connects = 0;
  std::uint64_t drops = 0;
};

} // namespace detail

// -- lease --------------------------------------------------------------------

lease::lease(std::shared_ptr<detail::pool_core> core,
             std::unique_ptr<connection> conn)
  : core_(std::move(core))
  , conn_(std::move(conn)) {}

lease::lease(lease&& other) noexcept
  : core_(std::move(other.core_))
  , conn_(std::move(other.conn_))
  , broken_(other.broken_) {}

lease& lease::operator=(lease&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
    conn_ = std::move(other.conn_);
    broken_ = other.broken_;
  }
  return *this;
}

lease::~lease() {
  release();
}

void lease::release() noexcept {
  if (core_)
    core_->give_back(std::move(conn_), broken_);
  core_.reset();
  broken_ = false;
}

// -- pool ---------------------------------------------------------------------

pool::pool(pool_options opts) {
  if (opts.max_size == 0)
    throw std::invalid_argument("pg::pool: max_size must be at least 1");
  core_ = std::make_shared<detail::pool_core>(std::move(opts));
}

lease pool::acquire(std::chrono::milliseconds timeout) {
  auto conn = core_->reserve(timeout);
  try {
    return lease{core_, core_->fill(std::move(conn))};
  } catch (...) {
    core_->give_back(nullptr, true);
    throw;
  }
}

pool_stats pool::stats() const {
  return core_->stats();
}

} // namespace ledgerd::pg
