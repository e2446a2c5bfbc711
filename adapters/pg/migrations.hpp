// Versioned SQL migrations, compiled into the binary from
// adapters/pg/migrations/NNNN_description.sql (see
// cmake/embed_migrations.cmake).
#pragma once

#include <string>
#include <vector>

namespace ledgerd::pg {

/// One schema version: applied at most once, inside one transaction.
struct migration {
  /// Strictly increasing version number (the file's NNNN prefix).
  int version = 0;
  /// Short description (the file name after the prefix).
  std::string name;
  /// The SQL script; may hold several statements.
  std::string sql;
};

/// All migrations shipped with this build, sorted by version.
const std::vector<migration>& embedded_migrations();

class connection;

/// What migrate() did.
struct migration_report {
  /// Versions this call applied, in order (empty when already up to date).
  std::vector<int> applied;
  /// Highest version recorded in the database afterwards.
  int current_version = 0;
};

/// Hex SHA-256 of the migration's SQL, recorded with it so that editing a
/// migration after it shipped is detected instead of silently ignored.
std::string checksum(const migration& m);

/// Brings the database up to date: under a session advisory lock (so nodes
/// starting together take turns, and the later ones find nothing to do),
/// creates ledgerd.schema_migrations if needed, checks the checksums of the
/// versions already applied, then applies each missing version in its own
/// transaction together with its schema_migrations row.
///
/// Throws pg::error labelled "migrate" when the list is not strictly
/// increasing, an applied migration's checksum differs (naming the
/// version), or a migration fails (naming version, name, PostgreSQL's
/// message and SQLSTATE; earlier versions stay applied, the failed one is
/// not recorded). Migration files must not hold transaction control
/// (BEGIN/COMMIT) or statements that cannot run in a transaction.
/// The highest schema version this build knows (its last migration).
int known_schema_version();

/// The highest version recorded in the database (0 before any).
int database_schema_version(connection& conn);

/// "" while the database schema is one this build knows; else why this
/// node must not write with its mapping (a newer node migrated it).
std::string schema_mismatch(connection& conn);

migration_report migrate(connection& conn,
                         const std::vector<migration>& migrations
                         = embedded_migrations());

} // namespace ledgerd::pg
