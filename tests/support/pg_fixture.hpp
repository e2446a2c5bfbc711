// PostgreSQL fixtures for tests: a fresh database per test on the run's
// shared private cluster, and whole private clusters for tests that must stop
// and restart the server.
#pragma once

#include "adapters/pg/pool.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace ledgerd::test {

/// Runs scripts/pg with `args`; throws with the output when it fails.
void run_pg_script(const std::string& args);

/// Socket directory of the run's shared cluster. ctest starts that cluster
/// (fixture `pg`); a test binary started by hand starts it on first use.
std::string shared_cluster_host();

/// A fresh, empty database on the shared cluster, dropped (with FORCE) when
/// the test ends, whatever its outcome.
class test_database {
public:
  test_database();
  ~test_database();
  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;

  const std::string& name() const {
    return name_;
  }

  /// libpq connection string for this database.
  std::string conninfo() const;

  /// Runs `sql` as superuser in this database; throws on error.
  void exec(const std::string& sql) const;

  /// Runs `sql` and returns the first column of the first row ("" if none).
  std::string query_value(const std::string& sql) const;

private:
  std::string name_;
};

/// A pool of at most `max_size` connections on `db`, after migrating `db`
/// to the current schema.
std::shared_ptr<pg::pool> migrated_pool(const test_database& db,
                                        std::size_t max_size);

/// A private cluster of its own in a temp dir, removed at destruction.
class private_cluster {
public:
  private_cluster();
  ~private_cluster();
  private_cluster(const private_cluster&) = delete;
  private_cluster& operator=(const private_cluster&) = delete;

  void start();
  void stop();

  std::string conninfo(const std::string& dbname = "postgres") const;

private:
  std::string dir_;
};

} // namespace ledgerd::test
