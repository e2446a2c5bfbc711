#include "tests/support/pg_fixture.hpp"

#include "adapters/pg/connection.hpp"
#include "adapters/pg/migrations.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace ledgerd::test {

namespace {

std::string run_capture(const std::string& cmd, int& status) {
  std::string out;
  auto* pipe = popen((cmd + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    throw std::runtime_error("cannot run: " + cmd);
  char buf[512];
  while (auto n = fread(buf, 1, sizeof(buf), pipe))
    out.append(buf, n);
  status = pclose(pipe);
  return out;
}

using conn_ptr = std::unique_ptr<PGconn, decltype(&PQfinish)>;

conn_ptr connect(const std::string& conninfo) {
  conn_ptr conn{PQconnectdb(conninfo.c_str()), &PQfinish};
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error("test fixture cannot connect (" + conninfo
                             + "): " + PQerrorMessage(conn.get()));
  return conn;
}

std::string exec_on(const std::string& conninfo, const std::string& sql) {
  auto conn = connect(conninfo);
  std::unique_ptr<PGresult, decltype(&PQclear)> res{
    PQexec(conn.get(), sql.c_str()), &PQclear};
  auto st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    throw std::runtime_error("test fixture query failed: " + sql + ": "
                             + PQresultErrorMessage(res.get()));
  if (st == PGRES_TUPLES_OK && PQntuples(res.get()) > 0)
    return PQgetvalue(res.get(), 0, 0);
  return {};
}

std::string conninfo_for(const std::string& host, const std::string& db) {
  return "host=" + host + " user=postgres dbname=" + db + " connect_timeout=10";
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return prefix + std::to_string(getpid()) + "_" + std::to_string(++counter)
         + "_" + std::to_string(rd() % 100000);
}

} // namespace

void run_pg_script(const std::string& args) {
  int status = 0;
  auto out = run_capture(
    std::string{LEDGERD_SOURCE_DIR} + "/scripts/pg " + args, status);
  if (status != 0)
    throw std::runtime_error("scripts/pg " + args + " failed: " + out);
}

std::string shared_cluster_host() {
  static std::once_flag once;
  static std::string host;
  std::call_once(once, [] {
    std::string dir = LEDGERD_TEST_PG_DIR;
    // Started by hand (not by ctest): bring the cluster up ourselves; it is
    // idempotent, and ctest's pg_cluster_stop or the next run stops it.
    run_pg_script("start " + dir + " --fast");
    host = dir + "/run";
  });
  return host;
}

test_database::test_database()
  : name_(unique_name("t_")) {
  exec_on(conninfo_for(shared_cluster_host(), "postgres"),
          "CREATE DATABASE " + name_ + " TEMPLATE template0");
}

test_database::~test_database() {
  try {
    exec_on(conninfo_for(shared_cluster_host(), "postgres"),
            "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "test_database: %s\n", e.what());
  }
}

std::string test_database::conninfo() const {
  return conninfo_for(shared_cluster_host(), name_);
}

void test_database::exec(const std::string& sql) const {
  exec_on(conninfo(), sql);
}

std::string test_database::query_value(const std::string& sql) const {
  return exec_on(conninfo(), sql);
}

std::shared_ptr<pg::pool> migrated_pool(const test_database& db,
                                        std::size_t max_size) {
  pg::connection conn{db.conninfo()};
  pg::migrate(conn);
  pg::pool_options opts;
  opts.conninfo = db.conninfo();
  opts.max_size = max_size;
  return std::make_shared<pg::pool>(opts);
}

private_cluster::private_cluster() {
  char tmpl[] = "/tmp/ledgerd-pc-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  start();
}

private_cluster::~private_cluster() {
  try {
    stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "private_cluster: %s\n", e.what());
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void private_cluster::start() {
  run_pg_script("start " + dir_ + " --fast");
}

void private_cluster::stop() {
  run_pg_script("stop " + dir_);
}

std::string private_cluster::conninfo(const std::string& dbname) const {
  return conninfo_for(dir_ + "/run", dbname);
}

} // namespace ledgerd::test
