#include "adapters/pg/migrations.hpp"

#include "adapters/log.hpp"
#include "adapters/pg/connection.hpp"

#include <algorithm>
#include <map>
#include <openssl/evp.h>

namespace ledgerd::pg {

namespace {

/// Key of the advisory lock that serializes migrations ("ledgerd" in ASCII).
/// Advisory locks are per database, so databases on one cluster do not
/// block each other.
constexpr std::int64_t lock_key = 0x006c656467657264;

const char* bootstrap_sql = R"sql(
CREATE SCHEMA IF NOT EXISTS ledgerd;
CREATE TABLE IF NOT EXISTS ledgerd.schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
)sql";

error migrate_error(std::string message, std::string sqlstate = {},
                    bool connection_lost = false) {
  return error{error::kind::operation, "migrate", std::move(message),
               std::move(sqlstate), connection_lost};
}

std::string describe(const migration& m) {
  return "migration " + std::to_string(m.version) + " (" + m.name + ")";
}

void check_order(const std::vector<migration>& migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    int v = migrations[i].version;
    if (v <= 0)
      throw migrate_error(describe(migrations[i])
                          + ": versions must be positive");
    if (i > 0 && v <= migrations[i - 1].version)
      throw migrate_error("migrations are not strictly increasing: version "
                          + std::to_string(v) + " follows "
                          + std::to_string(migrations[i - 1].version));
  }
}

/// Holds the migration lock while alive. It is a session lock, not a
/// transaction lock, because each migration commits on its own.
class migration_lock {
public:
  explicit migration_lock(connection& conn)
    : conn_(conn) {
    conn_.exec("migrate.lock", "SELECT pg_advisory_lock($1::bigint)", lock_key);
  }

  ~migration_lock() {
    // A broken session has lost the lock with the session.
    if (conn_.is_broken())
      return;
    try {
      conn_.exec("migrate.unlock", "SELECT pg_advisory_unlock($1::bigint)",
                 lock_key);
    } catch (const std::exception& e) {
      log::warn("pg", "cannot release migration lock", {{"error", e.what()}});
    }
  }

  migration_lock(const migration_lock&) = delete;
  migration_lock& operator=(const migration_lock&) = delete;

private:
  connection& conn_;
};

/// version -> checksum of what the database has applied.
std::map<int, std::string> applied_versions(connection& conn) {
  auto res = conn.exec("migrate.applied",
                       "SELECT version, checksum FROM ledgerd.schema_migrations"
                       " ORDER BY version");
  std::map<int, std::string> out;
  for (int row = 0; row < res.rows(); ++row)
    out.emplace(res.get<int>(row, 0), res.get<std::string>(row, 1));
  return out;
}

void verify_applied(const std::vector<migration>& migrations,
                    const std::map<int, std::string>& applied) {
  for (const auto& m : migrations) {
    auto i = applied.find(m.version);
    if (i != applied.end() && i->second != checksum(m))
      throw migrate_error(
        describe(m) + " was changed after it was applied (checksum " + i->second
        + " in the database, " + checksum(m) + " shipped)");
  }
  for (const auto& [version, sum] : applied)
    if (std::none_of(migrations.begin(), migrations.end(),
                     [v = version](const migration& m) {
                       return m.version == v;
                     }))
      log::warn("pg", "database has a migration this build does not know",
                {{"version", version}});
}

void apply(connection& conn, const migration& m) {
  try {
    transaction tx{conn};
    conn.exec_script("migration " + std::to_string(m.version), m.sql);
    // A COMMIT inside the script would leave the row below unprotected.
    if (!conn.in_transaction())
      throw error("migration " + std::to_string(m.version),
                  "the script ended the transaction (no BEGIN/COMMIT in "
                  "migration files)");
    conn.exec("migrate.record",
              "INSERT INTO ledgerd.schema_migrations (version, name, checksum)"
              " VALUES ($1, $2, $3)",
              m.version, m.name, checksum(m));
    tx.commit();
  } catch (const error& e) {
    throw migrate_error(describe(m) + ": " + e.message(), e.sqlstate(),
                        e.connection_lost());
  }
  log::info("pg", "migration applied",
            {{"version", m.version}, {"name", m.name}});
}

} // namespace

std::string checksum(const migration& m) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(m.sql.data(), m.sql.size(), digest, &size, EVP_sha256(),
                 nullptr)
      != 1)
    throw migrate_error("cannot compute SHA-256 of " + describe(m));
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

migration_report migrate(connection& conn,
                         const std::vector<migration>& migrations) {
  check_order(migrations);
  migration_lock lock{conn};
  // Under the lock: concurrent CREATE ... IF NOT EXISTS can still collide.
  conn.exec_script("migrate.bootstrap", bootstrap_sql);
  auto applied = applied_versions(conn);
  verify_applied(migrations, applied);
  migration_report report;
  for (const auto& m : migrations) {
    if (applied.contains(m.version))
      continue;
    apply(conn, m);
    applied.emplace(m.version, checksum(m));
    report.applied.push_back(m.version);
  }
  report.current_version = applied.empty() ? 0 : applied.rbegin()->first;
  return report;
}

int known_schema_version() {
  const auto& all = embedded_migrations();
  return all.empty() ? 0 : all.back().version;
}

int database_schema_version(connection& conn) {
  auto res
    = conn.exec("migrate.version", "SELECT coalesce(max(version), 0) FROM "
                                   "ledgerd.schema_migrations");
  return res.get<int>(0, 0);
}

std::string schema_mismatch(connection& conn) {
  auto have = database_schema_version(conn);
  auto known = known_schema_version();
  if (have <= known)
    return {};
  return "the database schema is version " + std::to_string(have)
         + ", newer than this node knows (" + std::to_string(known)
         + "): it claims no jobs until it is upgraded";
}

} // namespace ledgerd::pg
