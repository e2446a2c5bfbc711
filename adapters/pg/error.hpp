// The one exception type of the PostgreSQL adapter. Callers (actors) turn it
// into an errc value with context; the SQLSTATE and the connection-loss flag
// let them choose between retrying, reconnecting and giving up.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace ledgerd::pg {

class error : public std::runtime_error {
public:
  /// What failed: a query (labelled by its query name) or another operation
  /// (connecting, acquiring from the pool, migrating).
  enum class kind { query, operation };

  /// what() reads "query '<label>' failed: [SQLSTATE] message" for a query
  /// and "<label> failed: [SQLSTATE] message" for an operation; the
  /// "[SQLSTATE] " part is left out when there is none.
  error(kind what_failed, std::string label, std::string message,
        std::string sqlstate = {}, bool connection_lost = false);

  /// Shorthand for a failed query.
  error(std::string label, std::string message, std::string sqlstate = {},
        bool connection_lost = false)
    : error(kind::query, std::move(label), std::move(message),
            std::move(sqlstate), connection_lost) {}

  /// The query name or operation label, e.g. "claim_jobs", "pool.acquire".
  const std::string& label() const noexcept {
    return label_;
  }

  /// PostgreSQL's primary message (or libpq's / ours when there is none).
  const std::string& message() const noexcept {
    return message_;
  }

  /// Five-character SQLSTATE, empty when the server sent none.
  const std::string& sqlstate() const noexcept {
    return sqlstate_;
  }

  /// True when the connection is gone or could not be made: the statement
  /// may be retried on a new connection, this one is useless.
  bool connection_lost() const noexcept {
    return connection_lost_;
  }

  /// SQLSTATEs that mean the connection is unusable: class 08 (connection
  /// exception) and 57P01..57P03 (admin/crash shutdown, cannot connect now).
  static bool is_connection_sqlstate(std::string_view sqlstate) noexcept;

private:
  std::string label_;
  std::string message_;
  std::string sqlstate_;
  bool connection_lost_;
};

} // namespace ledgerd::pg
