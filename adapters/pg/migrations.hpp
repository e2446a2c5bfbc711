// Versioned SQL migrations, compiled into the binary from
// adapters/pg/migrations/NNNN_description.sql (see cmake/embed_migrations.cmake).
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

} // namespace ledgerd::pg
