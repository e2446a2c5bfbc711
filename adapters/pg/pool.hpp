// A bounded, thread-safe pool of PostgreSQL connections. Connections are made
// lazily, handed out as RAII leases and checked on the way out and back in:
// a session the server closed (restart, failover) is replaced on acquire, and
// one that failed with a connection loss is dropped on release.
#pragma once

#include "adapters/pg/connection.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ledgerd::pg {

struct pool_options {
  std::string conninfo;
  /// Upper bound on open connections (idle + leased).
  std::size_t max_size = 4;
  /// Also bounds acquire() when the server is unreachable.
  connect_options connect;
};

/// A snapshot for metrics.
struct pool_stats {
  std::size_t max_size = 0;
  /// Open connections: idle + in_use.
  std::size_t size = 0;
  std::size_t idle = 0;
  /// Leased, or being connected for a lease.
  std::size_t in_use = 0;
  /// Threads blocked in acquire() waiting for a free slot.
  std::size_t waiters = 0;
  /// Totals since start: connections opened and dropped (broken, dead,
  /// returned mid-transaction). Growing drops mean reconnects.
  std::uint64_t connects = 0;
  std::uint64_t drops = 0;
};

namespace detail {
struct pool_core;
} // namespace detail

/// Exclusive use of one pooled connection until destruction (or release()).
/// Leases may outlive the pool object.
class lease {
public:
  lease() = default;
  lease(lease&&) noexcept;
  lease& operator=(lease&&) noexcept;
  ~lease();

  connection& operator*() const noexcept {
    return *conn_;
  }

  connection* operator->() const noexcept {
    return conn_.get();
  }

  explicit operator bool() const noexcept {
    return conn_ != nullptr;
  }

  /// Drops the connection instead of reusing it. Not needed after a
  /// pg::error with connection_lost(): the connection remembers that itself.
  void mark_broken() noexcept {
    broken_ = true;
  }

  /// Gives the connection back now.
  void release() noexcept;

private:
  friend class pool;

  lease(std::shared_ptr<detail::pool_core> core,
        std::unique_ptr<connection> conn);

  std::shared_ptr<detail::pool_core> core_;
  std::unique_ptr<connection> conn_;
  bool broken_ = false;
};

class pool {
public:
  /// Opens no connection yet. Throws std::invalid_argument if max_size is 0.
  explicit pool(pool_options opts);

  /// An idle connection (checked alive, else replaced) or a new one while
  /// below max_size; otherwise waits up to `timeout` for a release and then
  /// throws pg::error "pool.acquire" ("pool exhausted: N connections busy
  /// for <timeout>"). Connecting may add up to connect_timeout; a failure
  /// throws the "connect" error (connection_lost() is true). Waiters are
  /// woken in no particular order.
  lease acquire(std::chrono::milliseconds timeout);

  pool_stats stats() const;

private:
  std::shared_ptr<detail::pool_core> core_;
};

} // namespace ledgerd::pg
