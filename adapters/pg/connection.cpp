#include "adapters/pg/connection.hpp"

#include "adapters/log.hpp"

#include <cctype>
#include <charconv>
#include <limits>
#include <poll.h>
#include <system_error>

namespace ledgerd::pg {

namespace {

/// libpq messages span lines ("...failed: X\n\tIs the server running...");
/// log lines and what() read better on one line.
std::string one_line(const char* text) {
  std::string out;
  bool in_space = false;
  for (const char* p = text ? text : ""; *p != '\0'; ++p) {
    if (std::isspace(static_cast<unsigned char>(*p)) != 0) {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty())
      out += ' ';
    in_space = false;
    out += *p;
  }
  return out;
}

std::string error_field(const PGresult* res, int code) {
  const char* value = res ? PQresultErrorField(res, code) : nullptr;
  return value ? value : "";
}

/// Routes server notices (e.g. "schema already exists, skipping", or the
/// FATAL an idle session gets at server shutdown) to our log, not stderr.
void on_notice(void*, const PGresult* res) {
  auto severity = error_field(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  auto message = error_field(res, PG_DIAG_MESSAGE_PRIMARY);
  if (severity == "NOTICE" || severity == "DEBUG" || severity == "LOG"
      || severity == "INFO")
    log::debug("pg", "server notice", {{"message", message}});
  else
    log::warn("pg", "server message",
              {{"severity", severity}, {"message", message}});
}

std::vector<const char*> c_values(const std::vector<param>& params) {
  std::vector<const char*> out;
  out.reserve(params.size());
  for (const auto& p : params)
    out.push_back(p ? p->c_str() : nullptr);
  return out;
}

/// PostgreSQL's protocol counts parameters in 16 bits.
int param_count(std::string_view label, const std::vector<param>& params) {
  if (params.size() > std::numeric_limits<std::uint16_t>::max())
    throw error(std::string{label}, "too many parameters");
  return static_cast<int>(params.size());
}

bool socket_readable(int fd) {
  if (fd < 0)
    return false;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

template<class Int>
bool parse_int(std::string_view text, Int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

const char* begin_sql(isolation level) {
  switch (level) {
  case isolation::repeatable_read:
    return "BEGIN ISOLATION LEVEL REPEATABLE READ";
  case isolation::serializable:
    return "BEGIN ISOLATION LEVEL SERIALIZABLE";
  case isolation::read_committed:
    break;
  }
  return "BEGIN ISOLATION LEVEL READ COMMITTED";
}

} // namespace

// -- parameters and parsing ---------------------------------------------------

std::string format_double(double x) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), x);
  return std::string(buf, ec == std::errc{} ? end : buf);
}

bool parse_field(std::string_view text, std::string& out) {
  out.assign(text);
  return true;
}

bool parse_field(std::string_view text, std::int16_t& out) {
  return parse_int(text, out);
}

bool parse_field(std::string_view text, std::int32_t& out) {
  return parse_int(text, out);
}

bool parse_field(std::string_view text, std::int64_t& out) {
  return parse_int(text, out);
}

bool parse_field(std::string_view text, bool& out) {
  // PostgreSQL prints booleans as "t"/"f" in text format.
  if (text == "t" || text == "true") {
    out = true;
    return true;
  }
  if (text == "f" || text == "false") {
    out = false;
    return true;
  }
  return false;
}

bool parse_field(std::string_view text, double& out) {
  // from_chars takes "inf"/"nan" but not PostgreSQL's spelling.
  if (text == "Infinity" || text == "-Infinity" || text == "NaN") {
    out = text == "NaN"        ? std::numeric_limits<double>::quiet_NaN()
          : text == "Infinity" ? std::numeric_limits<double>::infinity()
                               : -std::numeric_limits<double>::infinity();
    return true;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

// -- result -------------------------------------------------------------------

result::result(PGresult* res, std::string label)
  : res_(res)
  , label_(std::move(label)) {}

int result::rows() const noexcept {
  return res_ ? PQntuples(res_.get()) : 0;
}

int result::columns() const noexcept {
  return res_ ? PQnfields(res_.get()) : 0;
}

std::string_view result::column_name(int col) const {
  check_column(col);
  return PQfname(res_.get(), col);
}

int result::column(std::string_view name) const {
  std::string key{name};
  int col = res_ ? PQfnumber(res_.get(), key.c_str()) : -1;
  if (col < 0)
    throw error(label_, "result has no column '" + key + "'");
  return col;
}

bool result::is_null(int row, int col) const {
  check_cell(row, col);
  return PQgetisnull(res_.get(), row, col) == 1;
}

std::string_view result::value(int row, int col) const {
  check_cell(row, col);
  return {PQgetvalue(res_.get(), row, col),
          static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
}

std::int64_t result::affected_rows() const {
  std::int64_t n = 0;
  if (res_)
    parse_int(std::string_view{PQcmdTuples(res_.get())}, n);
  return n;
}

std::string_view result::command_tag() const {
  return res_ ? PQcmdStatus(res_.get()) : "";
}

void result::check_column(int col) const {
  if (col < 0 || col >= columns())
    throw error(label_, "column " + std::to_string(col) + " is out of range ("
                          + std::to_string(columns()) + " columns)");
}

void result::check_cell(int row, int col) const {
  check_column(col);
  if (row < 0 || row >= rows())
    fail(row, col, "is out of range (" + std::to_string(rows()) + " rows)");
}

void result::fail(int row, int col, std::string_view why) const {
  throw error(label_, "cell (" + std::to_string(row) + ", "
                        + std::to_string(col) + ") " + std::string{why});
}

// -- connection ---------------------------------------------------------------

connection::connection(const std::string& conninfo, connect_options opts) {
  // Keywords are processed in order and `dbname` is expanded last, so the
  // conninfo string overrides our defaults.
  auto timeout = std::to_string(opts.connect_timeout.count());
  const char* keys[]
    = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), opts.application_name.c_str(),
                          conninfo.c_str(), nullptr};
  conn_.reset(PQconnectdbParams(keys, values, 1));
  if (PQstatus(conn_.get()) != CONNECTION_OK)
    throw error(error::kind::operation, "connect",
                one_line(PQerrorMessage(conn_.get())), "08001", true);
  PQsetNoticeReceiver(conn_.get(), on_notice, nullptr);
}

error connection::make_error(std::string_view label, const PGresult* res) {
  auto message = error_field(res, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty() && res != nullptr)
    message = one_line(PQresultErrorMessage(res));
  if (message.empty())
    message = one_line(PQerrorMessage(conn_.get()));
  if (message.empty())
    message = "unexpected result status "
              + std::string{PQresStatus(PQresultStatus(res))};
  bool bad = PQstatus(conn_.get()) != CONNECTION_OK;
  error e{std::string{label}, std::move(message),
          error_field(res, PG_DIAG_SQLSTATE), bad};
  if (e.connection_lost())
    broken_ = true;
  return e;
}

result connection::check(std::string_view label, PGresult* res) {
  result out{res, std::string{label}};
  auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK
      || status == PGRES_EMPTY_QUERY)
    return out;
  throw make_error(label, res);
}

result connection::exec_params(std::string_view label, const std::string& sql,
                               const std::vector<param>& params) {
  int n = param_count(label, params);
  auto values = c_values(params);
  return check(label, PQexecParams(conn_.get(), sql.c_str(), n, nullptr,
                                   values.data(), nullptr, nullptr, 0));
}

result connection::exec_script(std::string_view label, const std::string& sql) {
  return check(label, PQexec(conn_.get(), sql.c_str()));
}

void connection::prepare(const std::string& name, const std::string& sql) {
  if (auto i = prepared_.find(name); i != prepared_.end()) {
    if (i->second != sql)
      throw error(name, "already prepared with different SQL");
    return;
  }
  check(name, PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr));
  prepared_.emplace(name, sql);
}

bool connection::is_prepared(const std::string& name) const {
  return prepared_.contains(name);
}

result connection::exec_prepared_params(const std::string& name,
                                        const std::vector<param>& params) {
  int n = param_count(name, params);
  auto values = c_values(params);
  return check(name, PQexecPrepared(conn_.get(), name.c_str(), n, values.data(),
                                    nullptr, nullptr, 0));
}

std::vector<result>
connection::pipeline(const std::vector<statement>& statements) {
  if (statements.empty())
    return {};
  if (PQenterPipelineMode(conn_.get()) != 1)
    throw make_error("pipeline", nullptr);
  send_pipeline(statements);
  return read_pipeline(statements);
}

void connection::send_pipeline(const std::vector<statement>& statements) {
  for (const auto& s : statements) {
    int n = param_count(s.label, s.params);
    auto values = c_values(s.params);
    if (PQsendQueryParams(conn_.get(), s.sql.c_str(), n, nullptr, values.data(),
                          nullptr, nullptr, 0)
        != 1) {
      // Only a broken connection makes sending fail: nothing to drain.
      auto e = make_error(s.label, nullptr);
      broken_ = true;
      throw e;
    }
  }
  if (PQpipelineSync(conn_.get()) != 1) {
    auto e = make_error("pipeline", nullptr);
    broken_ = true;
    throw e;
  }
}

std::vector<result>
connection::read_pipeline(const std::vector<statement>& statements) {
  std::vector<result> out;
  std::optional<error> first_error;
  for (const auto& s : statements) {
    // Each statement yields one result, then a NULL that ends it.
    result r{PQgetResult(conn_.get()), s.label};
    if (!r.native()) {
      if (!first_error)
        first_error = make_error(s.label, nullptr);
      broken_ = true;
      break;
    }
    while (PGresult* extra = PQgetResult(conn_.get()))
      PQclear(extra);
    auto status = PQresultStatus(r.native());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
      out.push_back(std::move(r));
    else if (status != PGRES_PIPELINE_ABORTED && !first_error)
      first_error = make_error(s.label, r.native());
  }
  // The sync point ends the pipeline; after it the session is idle again.
  if (!broken_) {
    result sync{PQgetResult(conn_.get()), "pipeline"};
    if (!sync.native() || PQresultStatus(sync.native()) != PGRES_PIPELINE_SYNC
        || PQexitPipelineMode(conn_.get()) != 1)
      broken_ = true;
  }
  if (first_error)
    throw *first_error;
  if (broken_)
    throw error("pipeline",
                "pipeline did not end cleanly: "
                  + one_line(PQerrorMessage(conn_.get())),
                "", true);
  return out;
}

void connection::listen(std::string_view channel) {
  char* quoted
    = PQescapeIdentifier(conn_.get(), channel.data(), channel.size());
  if (quoted == nullptr)
    throw make_error("listen", nullptr);
  std::string sql = "LISTEN " + std::string{quoted};
  PQfreemem(quoted);
  exec("listen", sql);
  listening_ = true;
}

void connection::unlisten(std::string_view channel) {
  char* quoted
    = PQescapeIdentifier(conn_.get(), channel.data(), channel.size());
  if (quoted == nullptr)
    throw make_error("unlisten", nullptr);
  std::string sql = "UNLISTEN " + std::string{quoted};
  PQfreemem(quoted);
  exec("unlisten", sql);
}

void connection::notify(std::string_view channel, std::string_view payload) {
  exec("notify", "SELECT pg_notify($1, $2)", channel, payload);
}

std::vector<notification> connection::poll_notifications() {
  if (PQconsumeInput(conn_.get()) != 1)
    throw make_error("poll_notifications", nullptr);
  std::vector<notification> out;
  while (PGnotify* n = PQnotifies(conn_.get())) {
    out.push_back({n->relname, n->extra ? n->extra : "", n->be_pid});
    PQfreemem(n);
  }
  return out;
}

int connection::socket() const noexcept {
  return PQsocket(conn_.get());
}

bool connection::is_alive() {
  if (is_broken())
    return false;
  // A server that went away leaves its goodbye (a FATAL message, then EOF)
  // on the socket; libpq only notices when it reads. Read while there is
  // something to read; the bound keeps a stream of NOTIFYs from holding us.
  for (int i = 0; i < 16 && socket_readable(socket()); ++i)
    if (PQconsumeInput(conn_.get()) != 1)
      break;
  return !is_broken();
}

bool connection::is_broken() const noexcept {
  return broken_ || PQstatus(conn_.get()) != CONNECTION_OK;
}

bool connection::in_transaction() const noexcept {
  return PQtransactionStatus(conn_.get()) != PQTRANS_IDLE;
}

int connection::backend_pid() const noexcept {
  return PQbackendPID(conn_.get());
}

// -- transaction --------------------------------------------------------------

transaction::transaction(connection& conn, isolation level)
  : conn_(conn) {
  if (conn_.in_transaction())
    throw error(error::kind::operation, "begin",
                "a transaction is already open on this connection");
  conn_.exec("begin", begin_sql(level));
}

transaction::~transaction() {
  try {
    rollback();
  } catch (const std::exception& e) {
    // Nothing to do: a session that cannot roll back is broken, and the
    // server rolls back when it goes away.
    log::warn("pg", "rollback failed", {{"error", e.what()}});
  }
}

void transaction::commit() {
  if (!open_)
    throw error("commit", "transaction is no longer open");
  // A failed COMMIT ends the transaction as well: never roll back after it.
  open_ = false;
  auto res = conn_.exec("commit", "COMMIT");
  if (res.command_tag() == "ROLLBACK")
    throw error("commit",
                "transaction was aborted by an earlier error and rolled back",
                "25P02");
}

void transaction::rollback() {
  if (!open_)
    return;
  open_ = false;
  if (!conn_.is_broken())
    conn_.exec("rollback", "ROLLBACK");
}

} // namespace ledgerd::pg
