// One PostgreSQL session over libpq: parameterized queries, prepared
// statements, transactions, pipelining and LISTEN/NOTIFY. Not thread-safe:
// one thread (or one pool lease) uses a connection at a time.
//
// Every query carries a label (its query name) that ends up in pg::error, so
// a failure in the logs names the query, PostgreSQL's message and SQLSTATE.
#pragma once

#include "adapters/pg/error.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ledgerd::pg {

// -- parameters ---------------------------------------------------------------

/// One query parameter in PostgreSQL's text format; nullopt is SQL NULL.
using param = std::optional<std::string>;

/// Shortest text that reads back as the same double.
std::string format_double(double x);

template<class T>
struct is_optional : std::false_type {};

template<class T>
struct is_optional<std::optional<T>> : std::true_type {};

/// Converts a C++ value to a parameter: strings (std::string, string_view,
/// const char*), integers, bool, double, std::optional<T> (empty -> NULL),
/// std::nullopt and nullptr (NULL).
template<class T>
param to_param(const T& x) {
  constexpr bool is_null
    = std::is_same_v<T, std::nullopt_t> || std::is_same_v<T, std::nullptr_t>;
  if constexpr (is_null) {
    return std::nullopt;
  } else if constexpr (is_optional<T>::value) {
    return x ? to_param(*x) : std::nullopt;
  } else if constexpr (std::is_same_v<T, bool>) {
    return std::string{x ? "true" : "false"};
  } else if constexpr (std::is_same_v<T, char>) {
    static_assert(!std::is_same_v<T, char>, "pass a string, not a char");
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(x);
  } else if constexpr (std::is_floating_point_v<T>) {
    return format_double(static_cast<double>(x));
  } else if constexpr (std::is_pointer_v<T>) {
    static_assert(std::is_convertible_v<T, const char*>,
                  "unsupported pointer parameter");
    return x != nullptr ? param{std::string{x}} : std::nullopt;
  } else {
    static_assert(std::is_convertible_v<const T&, std::string_view>,
                  "unsupported parameter type");
    return std::string{std::string_view{x}};
  }
}

/// Parsers behind result::get (PostgreSQL text format); false when `text`
/// does not hold a value of that type.
bool parse_field(std::string_view text, std::string& out);
bool parse_field(std::string_view text, std::int16_t& out);
bool parse_field(std::string_view text, std::int32_t& out);
bool parse_field(std::string_view text, std::int64_t& out);
bool parse_field(std::string_view text, bool& out);
bool parse_field(std::string_view text, double& out);

// -- results ------------------------------------------------------------------

/// Owns one PGresult. Rows and columns count from 0; out-of-range cells,
/// NULL read as a value and unparsable text throw pg::error with the label.
class result {
public:
  result() = default;

  /// Takes ownership of `res` (may be null).
  result(PGresult* res, std::string label);

  int rows() const noexcept;

  int columns() const noexcept;

  bool empty() const noexcept {
    return rows() == 0;
  }

  std::string_view column_name(int col) const;

  /// Index of the column called `name`; throws when there is none.
  int column(std::string_view name) const;

  bool is_null(int row, int col) const;

  /// The cell's text (empty for NULL); valid while this result lives.
  std::string_view value(int row, int col) const;

  /// The cell as T (std::string, int16/32/64, bool, double).
  template<class T>
  T get(int row, int col) const {
    if (is_null(row, col))
      fail(row, col, "is NULL");
    T out{};
    if (!parse_field(value(row, col), out))
      fail(row, col, "cannot be read as the requested type");
    return out;
  }

  template<class T>
  T get(int row, std::string_view col) const {
    return get<T>(row, column(col));
  }

  /// The cell as T, or nullopt when it is NULL.
  template<class T>
  std::optional<T> get_optional(int row, int col) const {
    if (is_null(row, col))
      return std::nullopt;
    return get<T>(row, col);
  }

  template<class T>
  std::optional<T> get_optional(int row, std::string_view col) const {
    return get_optional<T>(row, column(col));
  }

  /// Rows touched by INSERT/UPDATE/DELETE/...; 0 when not applicable.
  std::int64_t affected_rows() const;

  /// Command tag, e.g. "INSERT 0 1" or "ROLLBACK".
  std::string_view command_tag() const;

  const std::string& label() const noexcept {
    return label_;
  }

  PGresult* native() const noexcept {
    return res_.get();
  }

private:
  struct deleter {
    void operator()(PGresult* x) const noexcept {
      PQclear(x);
    }
  };

  void check_column(int col) const;

  void check_cell(int row, int col) const;

  [[noreturn]] void fail(int row, int col, std::string_view why) const;

  std::unique_ptr<PGresult, deleter> res_;
  std::string label_;
};

// -- statements and notifications -------------------------------------------

/// A labelled, parameterized statement (see connection::pipeline).
struct statement {
  std::string label;
  std::string sql;
  std::vector<param> params;

  statement(std::string lbl, std::string text, std::vector<param> ps)
    : label(std::move(lbl))
    , sql(std::move(text))
    , params(std::move(ps)) {}

  template<class... Ts>
  statement(std::string lbl, std::string text, const Ts&... args)
    : label(std::move(lbl))
    , sql(std::move(text))
    , params{to_param(args)...} {}
};

/// One NOTIFY received on a channel this connection listens to.
struct notification {
  std::string channel;
  std::string payload;
  /// Backend process that sent it (our own pid for self-notifications).
  int sender_pid = 0;
};

struct connect_options {
  /// Gives up connecting after this long (libpq connect_timeout), so an
  /// unreachable server fails instead of hanging. A connect_timeout in the
  /// conninfo string wins.
  std::chrono::seconds connect_timeout{10};
  /// Shown in pg_stat_activity; an application_name in the conninfo wins.
  std::string application_name = "ledgerd";
};

// -- connection ---------------------------------------------------------------

class connection {
public:
  /// Connects (blocking, at most connect_timeout); throws pg::error labelled
  /// "connect" with SQLSTATE 08001 and connection_lost() on failure.
  explicit connection(const std::string& conninfo, connect_options opts = {});

  connection(connection&&) noexcept = default;
  connection& operator=(connection&&) noexcept = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs one parameterized statement ($1, $2, ...; parameters go as text,
  /// never spliced into the SQL). Throws pg::error on failure.
  template<class... Ts>
  result exec(std::string_view label, const std::string& sql,
              const Ts&... args) {
    return exec_params(label, sql, {to_param(args)...});
  }

  result exec_params(std::string_view label, const std::string& sql,
                     const std::vector<param>& params);

  /// Runs trusted SQL that may hold several statements (migrations), with
  /// the simple query protocol; returns the last statement's result.
  result exec_script(std::string_view label, const std::string& sql);

  /// Prepares `sql` as `name` on this session once: preparing the same name
  /// again is a no-op; a different SQL text under that name is an error.
  void prepare(const std::string& name, const std::string& sql);

  bool is_prepared(const std::string& name) const;

  /// Runs a statement prepared with prepare(); `name` is also the label.
  template<class... Ts>
  result exec_prepared(const std::string& name, const Ts&... args) {
    return exec_prepared_params(name, {to_param(args)...});
  }

  result exec_prepared_params(const std::string& name,
                              const std::vector<param>& params);

  /// Sends all statements in one round trip (libpq pipeline mode) instead of
  /// one per statement: use it where several independent writes belong to
  /// one step, e.g. a job transition (update the job, insert its job_events
  /// row, bump the batch counters). Returns the results in order.
  ///
  /// Outside a transaction the statements form one implicit transaction: if
  /// one fails, the earlier ones are rolled back too and the later ones are
  /// skipped. Throws the first failure, labelled with that statement's label.
  /// Meant for a handful of statements with small results (libpq warns that
  /// a blocking client can deadlock on pipelines with huge output).
  std::vector<result> pipeline(const std::vector<statement>& statements);

  /// LISTEN on `channel` (quoted, so it is case-sensitive and may hold any
  /// character).
  void listen(std::string_view channel);

  void unlisten(std::string_view channel);

  /// NOTIFY through pg_notify, so channel and payload are parameters.
  void notify(std::string_view channel, std::string_view payload);

  /// Notifications received so far, without blocking: reads what the socket
  /// holds, then drains libpq's queue (which also collects notifications
  /// that arrived during other queries).
  std::vector<notification> poll_notifications();

  /// The socket to watch for readability (notifications, server closing);
  /// -1 when there is none.
  int socket() const noexcept;

  /// False when the server has closed the session (restart, terminate,
  /// idle timeout) or it broke earlier. Never blocks: only reads what is
  /// already on the socket.
  bool is_alive();

  /// True after a connection-loss error or when libpq's status is bad.
  bool is_broken() const noexcept;

  /// True inside a transaction block (also an aborted one) or when the
  /// status is unknown, i.e. whenever the session is not cleanly idle.
  bool in_transaction() const noexcept;

  /// True once listen() succeeded: such a session keeps receiving
  /// notifications and should not be handed to someone else.
  bool is_listening() const noexcept {
    return listening_;
  }

  int backend_pid() const noexcept;

  PGconn* native() const noexcept {
    return conn_.get();
  }

private:
  struct deleter {
    void operator()(PGconn* x) const noexcept {
      PQfinish(x);
    }
  };

  /// Builds the error for `res` (may be null: libpq's own message is used)
  /// and remembers a connection loss.
  error make_error(std::string_view label, const PGresult* res);

  /// Wraps `res`, throwing when it is not a success.
  result check(std::string_view label, PGresult* res);

  void send_pipeline(const std::vector<statement>& statements);

  std::vector<result> read_pipeline(const std::vector<statement>& statements);

  std::unique_ptr<PGconn, deleter> conn_;
  /// name -> SQL of the statements prepared on this session.
  std::unordered_map<std::string, std::string> prepared_;
  bool broken_ = false;
  bool listening_ = false;
};

// -- transactions -------------------------------------------------------------

enum class isolation { read_committed, repeatable_read, serializable };

/// BEGIN on construction; commit() makes it stick, anything else (an
/// exception unwinding, an early return) rolls back at destruction.
class transaction {
public:
  /// Throws if a transaction is already open on `conn`.
  explicit transaction(connection& conn,
                       isolation level = isolation::read_committed);

  ~transaction();

  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  /// Throws pg::error (SQLSTATE 25P02) when an earlier statement failed and
  /// the server turned COMMIT into ROLLBACK, or the COMMIT's own error
  /// (e.g. 40001 serialization failure). Either way the transaction is over.
  void commit();

  void rollback();

  bool is_open() const noexcept {
    return open_;
  }

private:
  connection& conn_;
  bool open_ = true;
};

} // namespace ledgerd::pg
