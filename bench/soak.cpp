// Fault soak: the real ledgerd node (a child process) against the simulator
// (in this process) at the providers' real limits, two Fortnox and two Visma
// tenants, for MINUTES minutes. Meanwhile a driver makes random local
// creates, edits and deletes (SQL, as the company's app would), random
// remote creates, edits and deletes (the simulator's admin API, as a person
// in the provider's UI would), and injects faults: resets before and after
// the write is stored, 5xx bursts, dropped answers, 20-500 ms latency,
// expired access tokens, revoked refresh tokens (a new grant is stored a few
// seconds later, as an operator would), WebSocket disconnects; it also
// kill -9s the node and crash-restarts PostgreSQL at random moments.
//
// Then the faults stop and it waits for convergence, checking the
// invariants of SYNC-PROPERTIES.md §5 (see `check`): every local record
// linked exactly once to the remote record that carries its reference; no
// remote duplicate and no remote record left unlinked; no lost update (each
// field's last write on either side survives on both, or is an open
// conflict: the soak runs the `manual` conflict rule, so that concurrent
// edits must surface as conflicts); 0 x 429 in the simulator's own count; no
// job failed for good except by a named validation error.
//
// Usage: ledgerd-soak CONNINFO PGDIR MINUTES [SEED]
//   run from the source tree (it calls scripts/pg to crash PostgreSQL);
//   scripts/soak [MINUTES] does all of it.
// Prints one JSON line; exit status 1 when there is any violation.
#include "adapters/http/client.hpp"
#include "adapters/pg/connection.hpp"
#include "adapters/pg/credential_store.hpp"
#include "adapters/pg/migrations.hpp"

#include <nlohmann/json.hpp>

#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "bench/node_process.hpp"
#include "sim/simulator.hpp"

using namespace std::chrono_literals;
using namespace ledgerd;
using ledgerd::bench::clock_type;
using ledgerd::bench::node_process;
using nlohmann::json;

namespace {

const std::string api_token = "soak";

struct soak_tenant {
  std::string id;
  std::string provider;
  std::string key() const {
    return provider + "/" + id;
  }
  const char* email_field() const {
    return provider == "fortnox" ? "Email" : "EmailAddress";
  }
  const char* ref_field(const std::string& entity) const {
    if (provider == "fortnox")
      return entity == "invoice" ? "ExternalInvoiceReference1"
                                 : "ExternalReference";
    return entity == "invoice" ? "ElectronicReference" : "Note";
  }
};

const std::vector<soak_tenant> tenants{{"acme", "fortnox"},
                                       {"borg", "fortnox"},
                                       {"nordvik", "visma"},
                                       {"fjord", "visma"}};

/// The last write of one field on one side, by the driver's clock.
struct field_write {
  std::string value;
  clock_type::time_point at;
};

/// (tenant, record id on that side, field) -> last write.
using write_log
  = std::map<std::tuple<std::string, std::string, std::string>, field_write>;

struct counters {
  int64_t operations = 0;
  int64_t faults = 0;
  int64_t kills = 0;
  int64_t pg_restarts = 0;
  int64_t revocations = 0;
};

/// The simulator's buckets that answered 429.
json throttled_buckets(const json& stats) {
  json out = json::array();
  for (const auto& b : stats.at("buckets"))
    if (b.value("throttled", int64_t{0}) > 0)
      out.push_back(b);
  return out;
}

class soak {
public:
  soak(std::string conninfo, std::string pgdir, uint64_t seed,
       std::filesystem::path bindir)
    : conninfo_(std::move(conninfo))
    , pgdir_(std::move(pgdir))
    , rng_(seed)
    , bindir_(std::move(bindir))
    , simulator_(sim_options(seed)) {
    simulator_.start();
    sim_ = "http://127.0.0.1:" + std::to_string(simulator_.port());
  }

  ~soak() {
    node_.reset();
    client_.stop();
    simulator_.stop();
  }

  void setup() {
    pg::connection conn{conninfo_};
    pg::migrate(conn);
    pg::pool_options opts;
    opts.conninfo = conninfo_;
    opts.max_size = 1;
    auto pool = std::make_shared<pg::pool>(opts);
    for (const auto& t : tenants) {
      auto tokens = sim("POST", "/sim/tenants",
                        {{"provider", t.provider},
                         {"tenant", t.id},
                         {"client_id", t.provider + "-soak"},
                         {"client_secret", t.provider + "-secret"},
                         {"customers", 40},
                         {"invoices", 10},
                         {"seed", rng_()}});
      pg::credential_store{pool, 10s}.put(
        t.id, t.provider, tokens.at("refresh_token").get<std::string>());
    }
    write_config();
    start_node();
  }

  /// The chaos phase: operations every 20-300 ms, a fault every 3-10 s, a
  /// node kill every 25-60 s, a PostgreSQL crash every 40-90 s.
  void run_chaos(std::chrono::seconds length) {
    auto t0 = clock_type::now();
    auto end = t0 + length;
    auto next_fault = t0 + draw_ms(3000, 10000);
    auto next_kill = t0 + draw_ms(25000, 60000);
    auto next_pg = t0 + draw_ms(40000, 90000);
    while (clock_type::now() < end) {
      auto now = clock_type::now();
      restore_revoked(false);
      if (now >= next_fault) {
        inject_fault();
        next_fault = now + draw_ms(3000, 10000);
      } else if (now >= next_kill) {
        kill_node();
        next_kill = now + draw_ms(25000, 60000);
      } else if (now >= next_pg) {
        crash_postgres();
        next_pg = now + draw_ms(40000, 90000);
      } else {
        operate();
      }
      std::this_thread::sleep_for(draw_ms(20, 300));
    }
  }

  /// Faults off, every revoked grant restored; then the checks every 5 s
  /// until they pass and the node is quiet, or `limit`. Returns the
  /// seconds it took (or -1) and the violations of the last check.
  std::pair<double, std::vector<std::string>>
  converge(std::chrono::seconds limit) {
    sim("POST", "/sim/faults", json::object());
    restore_revoked(true);
    if (!node_)
      start_node();
    auto t0 = clock_type::now();
    std::vector<std::string> violations;
    for (int round = 0;; ++round) {
      std::this_thread::sleep_for(5s);
      if (round % 6 == 0)
        trace_budgets(seconds_since(t0));
      violations = check();
      if (violations.empty() && quiet())
        return {seconds_since(t0), {}};
      if (clock_type::now() - t0 > limit)
        return {-1, violations};
    }
  }

  json stats() {
    return sim("GET", "/sim/stats");
  }

  /// One stderr line per bucket while converging: what the simulator
  /// admitted since the last line, and what the node's limiter holds. A
  /// backlog that does not drain shows here whether the budget is spent on
  /// requests or held by the limiter.
  void trace_budgets(double at_s) {
    std::map<std::string, int64_t> admitted;
    auto sim_stats = stats(); // the loop below must not range over a temporary
    for (const auto& b : sim_stats.at("buckets"))
      admitted[b.at("key").get<std::string>()]
        = b.at("admitted").get<int64_t>();
    json node_buckets = json::array();
    try {
      node_buckets = node_get("/v1/telemetry").value("rate_limits", json{});
      for (const auto& c : node_get("/v1/status").value("connections", json{}))
        node_buckets.push_back(c);
    } catch (const std::exception& e) {
      std::cerr << "soak: telemetry: " << e.what() << "\n";
    }
    for (const auto& [key, n] : admitted) {
      std::cerr << "soak: t=" << static_cast<int>(at_s) << "s sim " << key
                << " admitted +" << n - traced_admitted_[key] << "\n";
      traced_admitted_[key] = n;
    }
    for (const auto& b : node_buckets)
      std::cerr << "soak: t=" << static_cast<int>(at_s) << "s node " << b.dump()
                << "\n";
  }

  const counters& count() const {
    return count_;
  }

  /// Jobs that failed for good on a provider's validation error, as of the
  /// last check.
  const std::vector<std::string>& validation_failures() const {
    return validation_failures_;
  }

private:
  static sim::sim_options sim_options(uint64_t seed) {
    sim::sim_options opts;
    opts.seed = seed;
    if (auto* p = std::getenv("LEDGERD_SIM_PROFILE"))
      opts.quirks = *sim::quirk_set::profile(p);
    return opts;
  }

  static double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
  }

  std::chrono::milliseconds draw_ms(int lo, int hi) {
    return std::chrono::milliseconds{
      std::uniform_int_distribution<int>{lo, hi}(rng_)};
  }

  bool chance(double p) {
    return std::uniform_real_distribution<double>{0, 1}(rng_) < p;
  }

  template<class T>
  const T& pick(const std::vector<T>& xs) {
    return xs.at(std::uniform_int_distribution<size_t>{0, xs.size() - 1}(rng_));
  }

  // -- the simulator and the node --------------------------------------------

  json node_get(const std::string& path) {
    http::client_request req;
    req.method = "GET";
    req.url = "http://127.0.0.1:" + std::to_string(node_->port(60s)) + path;
    req.headers.emplace_back("Authorization", "Bearer " + api_token);
    auto res = client_.send_sync(std::move(req));
    if (res.status / 100 != 2)
      throw std::runtime_error("GET " + path + ": "
                               + std::to_string(res.status));
    return json::parse(res.body);
  }

  json sim(const std::string& method, const std::string& path,
           const json& body = nullptr) {
    http::client_request req;
    req.method = method;
    req.url = sim_ + path;
    if (!body.is_null()) {
      req.body = body.dump();
      req.headers.emplace_back("Content-Type", "application/json");
    }
    auto res = client_.send_sync(std::move(req));
    if (res.status / 100 != 2)
      throw std::runtime_error(method + " " + path + ": "
                               + std::to_string(res.status) + " " + res.body);
    return res.body.empty() ? json{} : json::parse(res.body);
  }

  void write_config() {
    std::string text
      = "[node]\nlisten = \"127.0.0.1:0\"\nshutdown_grace = \"2s\"\n"
        "[database]\nurl = \""
        + conninfo_
        + "\"\npool_size = 8\n[jobs]\nlease = \"5s\"\n"
          "retry_base = \"200ms\"\nretry_cap = \"5s\"\n[api]\ntokens = [\""
        + api_token + "\"]\n";
    auto port = std::to_string(simulator_.port());
    for (const auto& t : tenants) {
      auto base = sim_ + "/" + t.provider;
      text += "[[tenants]]\nid = \"" + t.id
              + "\"\n[[tenants.connections]]\nprovider = \"" + t.provider
              + "\"\nbase_url = \"" + base + "\"\nclient_id = \"" + t.provider
              + "-soak\"\nclient_secret = \"" + t.provider
              + "-secret\"\ncredentials = \"db\"\n";
      if (t.provider == "fortnox")
        text += "token_url = \"" + base
                + "/oauth-v1/token\"\nwebsocket_url = \"ws://127.0.0.1:" + port
                + "/fortnox/topics-v1\"\n";
      else
        text += "token_url = \"" + base
                + "/connect/token\"\n[tenants.connections.create_defaults]\n"
                  "customer = { TermsOfPaymentId = "
                  "\"8f9a8f7b-5ea9-44c6-9725-9b8a1addb036\" }\n";
      text += "[tenants.sync]\nentities = [\"customers\", \"invoices\"]\n"
              "poll_interval = \"10s\"\nreconcile_interval = \"1m\"\n"
              "[tenants.sync.conflicts]\ndefault = \"manual\"\n";
    }
    config_ = std::filesystem::temp_directory_path()
              / ("ledgerd-soak-" + std::to_string(getpid()) + ".toml");
    std::ofstream{config_} << text;
  }

  void start_node() {
    auto log = std::filesystem::temp_directory_path()
               / ("ledgerd-soak-" + std::to_string(getpid()) + "-"
                  + std::to_string(++node_runs_) + ".log");
    std::filesystem::remove(log);
    node_ = std::make_unique<node_process>((bindir_ / "ledgerd").string(),
                                           config_.string(), log);
    node_->port(60s);
  }

  void kill_node() {
    ::kill(node_->pid, SIGKILL);
    int status = 0;
    waitpid(node_->pid, &status, 0);
    node_->pid = -1;
    ++count_.kills;
    std::this_thread::sleep_for(draw_ms(0, 2000));
    start_node();
  }

  void crash_postgres() {
    db_.reset();
    auto run = [&](const std::string& cmd) {
      if (std::system(("scripts/pg " + cmd + " " + pgdir_ + " >&2").c_str())
          != 0)
        throw std::runtime_error("scripts/pg " + cmd + " failed");
    };
    run("crash");
    std::this_thread::sleep_for(draw_ms(500, 4000));
    run("start");
    ++count_.pg_restarts;
  }

  // -- faults ----------------------------------------------------------------

  void inject_fault() {
    ++count_.faults;
    json spec = json::object();
    if (latency_on_)
      spec["latency_ms"] = {{"min", 20}, {"max", 500}};
    auto n = [&](int lo, int hi) {
      return std::uniform_int_distribution<int>{lo, hi}(rng_);
    };
    switch (n(0, 8)) {
    case 0:
      spec["reset"] = {{"count", n(1, 3)}};
      if (chance(0.5))
        spec["reset"]["method"] = chance(0.5) ? "POST" : "PUT";
      break;
    case 1:
      spec["error_burst"]
        = {{"count", n(2, 8)}, {"status", chance(0.5) ? 503 : 500}};
      break;
    case 2:
      spec["drop_response_after_create"] = {{"count", 1}};
      break;
    case 3:
      spec["drop_response_after_write"] = {{"count", n(1, 2)}};
      break;
    case 4:
      latency_on_ = !latency_on_;
      spec.erase("latency_ms");
      if (latency_on_)
        spec["latency_ms"] = {{"min", 20}, {"max", 500}};
      break;
    case 5:
      spec["expire_tokens"] = true;
      break;
    case 6:
      spec["websocket_disconnect"] = true;
      break;
    case 7:
      spec["timeout"] = {{"count", 1}};
      break;
    default:
      revoke(pick(tenants));
      break;
    }
    sim("POST", "/sim/faults", spec);
  }

  /// A new grant at the provider: the node's refresh token dies. An
  /// operator stores the new one 2-8 s later.
  void revoke(const soak_tenant& t) {
    if (revoked_.contains(t.key()))
      return;
    auto tokens = sim("POST", "/sim/tenants/" + t.key() + "/tokens");
    revoked_[t.key()] = {tokens.at("refresh_token").get<std::string>(),
                         clock_type::now() + draw_ms(2000, 8000)};
    ++count_.revocations;
  }

  void restore_revoked(bool all) {
    for (auto i = revoked_.begin(); i != revoked_.end();) {
      if (!all && clock_type::now() < i->second.second) {
        ++i;
        continue;
      }
      auto slash = i->first.find('/');
      bool ok = true;
      try {
        // As an operator would (ledgerctl credentials set).
        pg::pool_options opts;
        opts.conninfo = conninfo_;
        opts.max_size = 1;
        pg::credential_store{std::make_shared<pg::pool>(opts), 5s}.put(
          i->first.substr(slash + 1), i->first.substr(0, slash),
          i->second.first);
      } catch (const std::exception&) {
        ok = false;
      }
      if (!ok && !all)
        return; // PostgreSQL is down: later
      i = revoked_.erase(i);
    }
  }

  // -- operations ------------------------------------------------------------

  /// Runs `f` on the driver's connection; false when PostgreSQL is away.
  template<class F>
  bool with_db(F&& f) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!db_)
          db_ = std::make_unique<pg::connection>(conninfo_);
        f(*db_);
        return true;
      } catch (const std::exception&) {
        db_.reset();
      }
    }
    return false;
  }

  std::string next_value(const char* prefix) {
    return std::string{prefix} + std::to_string(++values_);
  }

  void operate() {
    const auto& t = pick(tenants);
    auto roll = std::uniform_int_distribution<int>{0, 99}(rng_);
    bool done = roll < 12   ? local_create_customer(t)
                : roll < 37 ? local_edit_customer(t)
                : roll < 40 ? local_delete_customer(t)
                : roll < 50 ? local_create_invoice(t)
                : roll < 57 ? remote_create_customer(t)
                : roll < 97 ? remote_edit_customer(t)
                            : remote_delete_customer(t);
    count_.operations += done ? 1 : 0;
  }

  std::optional<std::string> random_local(const soak_tenant& t,
                                          bool without_invoices) {
    std::optional<std::string> id;
    with_db([&](pg::connection& conn) {
      auto res = conn.exec(
        "soak.random_local",
        std::string{"SELECT id::text FROM ledger.customers c WHERE tenant = $1 "
                    "AND deleted_at IS NULL"}
          + (without_invoices ? " AND NOT EXISTS (SELECT 1 FROM "
                                "ledger.invoices i WHERE i.customer_id = c.id)"
                              : "")
          + " ORDER BY random() LIMIT 1",
        t.id);
      if (res.rows() > 0)
        id = res.get<std::string>(0, 0);
    });
    return id;
  }

  bool local_create_customer(const soak_tenant& t) {
    auto name = next_value("Soak Lokal ");
    auto email = next_value("l") + "@soak.example";
    std::string id;
    auto ok = with_db([&](pg::connection& conn) {
      id = conn
             .exec("soak.insert_customer",
                   "INSERT INTO ledger.customers (tenant, name, email, city) "
                   "VALUES ($1, $2, $3, 'Uppsala') RETURNING id::text",
                   t.id, name, email)
             .get<std::string>(0, 0);
    });
    if (ok) {
      local_writes_[{t.id, id, "name"}] = {name, clock_type::now()};
      local_writes_[{t.id, id, "email"}] = {email, clock_type::now()};
    }
    return ok;
  }

  bool local_edit_customer(const soak_tenant& t) {
    auto id = random_local(t, false);
    if (!id)
      return false;
    bool name = chance(0.5);
    auto value
      = name ? next_value("Soak Ändrad ") : next_value("e") + "@soak.example";
    auto ok = with_db([&](pg::connection& conn) {
      conn.exec("soak.edit_customer",
                std::string{"UPDATE ledger.customers SET "}
                  + (name ? "name" : "email")
                  + " = $2 WHERE id = $1::uuid AND deleted_at IS NULL",
                *id, value);
    });
    if (ok)
      local_writes_[{t.id, *id, name ? "name" : "email"}]
        = {value, clock_type::now()};
    return ok;
  }

  bool local_delete_customer(const soak_tenant& t) {
    auto id = random_local(t, true);
    return id && with_db([&](pg::connection& conn) {
             conn.exec("soak.delete_customer",
                       "UPDATE ledger.customers SET deleted_at = now() WHERE "
                       "id = $1::uuid",
                       *id);
           });
  }

  bool local_create_invoice(const soak_tenant& t) {
    auto customer = random_local(t, false);
    if (!customer)
      return false;
    auto price = std::uniform_int_distribution<int>{100, 99999}(rng_);
    auto quantity = std::uniform_int_distribution<int>{1, 7}(rng_);
    auto net = static_cast<int64_t>(price) * quantity;
    return with_db([&](pg::connection& conn) {
      conn.exec("soak.begin", "BEGIN");
      auto id = conn
                  .exec("soak.insert_invoice",
                        "INSERT INTO ledger.invoices (tenant, customer_id, "
                        "invoice_date, due_date, total, vat) VALUES ($1, "
                        "$2::uuid, '2026-11-01', '2026-12-01', $3, $4) "
                        "RETURNING id::text",
                        t.id, *customer, std::to_string(net + net / 4),
                        std::to_string(net / 4))
                  .get<std::string>(0, 0);
      conn.exec("soak.insert_row",
                "INSERT INTO ledger.invoice_rows (invoice_id, line_no, "
                "description, quantity, unit_price, vat_percent) VALUES "
                "($1::uuid, 1, 'Soak', $2, $3, 25)",
                id, std::to_string(quantity), std::to_string(price));
      conn.exec("soak.commit", "COMMIT");
    });
  }

  json remote_customers(const soak_tenant& t) {
    return sim("GET", "/sim/tenants/" + t.key() + "/customers");
  }

  bool remote_create_customer(const soak_tenant& t) {
    auto name = next_value("Soak Fjärr ");
    auto email = next_value("r") + "@soak.example";
    auto made = sim("POST", "/sim/tenants/" + t.key() + "/customers",
                    {{"Name", name}, {t.email_field(), email}});
    auto id = made.at("id").get<std::string>();
    remote_writes_[{t.id, id, "name"}] = {name, clock_type::now()};
    remote_writes_[{t.id, id, "email"}] = {email, clock_type::now()};
    return true;
  }

  bool remote_edit_customer(const soak_tenant& t) {
    auto all = remote_customers(t);
    if (all.empty())
      return false;
    const auto& r
      = all.at(std::uniform_int_distribution<size_t>{0, all.size() - 1}(rng_));
    auto id = r.at("id").get<std::string>();
    bool name = chance(0.5);
    auto value = name ? next_value("Soak Redigerad ")
                      : next_value("f") + "@soak.example";
    sim("PATCH", "/sim/tenants/" + t.key() + "/customers/" + id,
        {{name ? "Name" : t.email_field(), value}});
    remote_writes_[{t.id, id, name ? "name" : "email"}]
      = {value, clock_type::now()};
    return true;
  }

  /// A customer no invoice refers to, on either side.
  bool remote_delete_customer(const soak_tenant& t) {
    std::set<std::string> used;
    auto invoices = sim("GET", "/sim/tenants/" + t.key() + "/invoices");
    if (t.provider == "visma")
      for (auto& d : sim("GET", "/sim/tenants/" + t.key() + "/drafts"))
        invoices.push_back(d);
    for (const auto& i : invoices)
      used.insert(i.at("data").value(
        t.provider == "fortnox" ? "CustomerNumber" : "CustomerId", ""));
    std::set<std::string> locally_used;
    with_db([&](pg::connection& conn) {
      auto res = conn.exec("soak.used_customers",
                           "SELECT l.remote_id FROM ledgerd.links l JOIN "
                           "ledger.invoices i ON i.customer_id::text = "
                           "l.local_id WHERE l.tenant = $1 AND l.entity = "
                           "'customer'",
                           t.id);
      for (int row = 0; row < res.rows(); ++row)
        locally_used.insert(res.get<std::string>(row, 0));
    });
    for (const auto& r : remote_customers(t)) {
      auto id = r.at("id").get<std::string>();
      if (!used.contains(id) && !locally_used.contains(id)) {
        sim("DELETE", "/sim/tenants/" + t.key() + "/customers/" + id);
        return true;
      }
    }
    return false;
  }

  // -- the checks ------------------------------------------------------------

  /// No job runs or is due, except those that wait for a person (a held
  /// record), and no local change waits to be pushed.
  bool quiet() {
    bool out = false;
    with_db([&](pg::connection& conn) {
      out = conn
              .exec("soak.quiet",
                    "SELECT (SELECT count(*) FROM ledgerd.jobs WHERE state "
                    "IN ('pending', 'processing') AND coalesce(last_error, "
                    "'') NOT LIKE '%held for review%') + (SELECT count(*) "
                    "FROM ledgerd.outbox WHERE processed_at IS NULL)")
              .get<int64_t>(0, 0)
            == 0;
    });
    return out;
  }

  std::vector<std::string> check() {
    std::vector<std::string> out;
    auto ok = with_db([&](pg::connection& conn) {
      for (const auto& t : tenants) {
        check_entity(conn, t, "customer", out);
        check_entity(conn, t, "invoice", out);
        check_updates(conn, t, out);
      }
      // A provider's named validation error (400, 422) may fail a job for
      // good (a record the provider refuses); nothing else may.
      auto failed = conn.exec(
        "soak.failed",
        "SELECT id::text || ' ' || kind || ': ' || coalesce(last_error, ''), "
        "coalesce(last_error, '') ~ '^provider (400|422): ' FROM "
        "ledgerd.jobs WHERE state = 'failed'");
      // Every grant the soak revoked was restored: a connection still
      // waiting for a person lost its grant to the node.
      auto reauth = conn.exec(
        "soak.reauth",
        "SELECT tenant || '/' || provider || ': ' || coalesce(reauth_reason, "
        "'') FROM ledgerd.credentials WHERE needs_reauth");
      for (int row = 0; row < reauth.rows(); ++row)
        out.push_back("needs re-authorization: "
                      + reauth.get<std::string>(row, 0));
      validation_failures_.clear();
      for (int row = 0; row < failed.rows(); ++row)
        (failed.get<bool>(row, 1) ? validation_failures_ : out)
          .push_back("job failed for good: " + failed.get<std::string>(row, 0));
    });
    if (!ok)
      out.push_back("the database is not reachable");
    for (const auto& b : throttled_buckets(stats()))
      out.push_back(std::to_string(b.value("throttled", int64_t{0}))
                    + " x 429 at the simulator in bucket " + b.dump());
    return out;
  }

  json remote_records(const soak_tenant& t, const std::string& entity) {
    auto records = sim("GET", "/sim/tenants/" + t.key() + "/" + entity + "s");
    if (t.provider == "visma" && entity == "invoice")
      for (auto d : sim("GET", "/sim/tenants/" + t.key() + "/drafts")) {
        d["id"] = "draft:" + d.at("id").get<std::string>();
        records.push_back(std::move(d));
      }
    return records;
  }

  /// Local records with an open conflict, and invoices whose customer has
  /// one (they wait for it).
  std::set<std::string> disputed_locals(pg::connection& conn,
                                        const soak_tenant& t) {
    auto res = conn.exec(
      "soak.disputed_locals",
      "SELECT local_id FROM ledgerd.conflicts WHERE tenant = $1 AND status "
      "= 'open' UNION SELECT i.id::text FROM ledger.invoices i JOIN "
      "ledgerd.conflicts k ON k.tenant = i.tenant AND k.entity = 'customer' "
      "AND k.local_id = i.customer_id::text AND k.status = 'open' WHERE "
      "i.tenant = $1",
      t.id);
    std::set<std::string> out;
    for (int row = 0; row < res.rows(); ++row)
      out.insert(res.get<std::string>(row, 0));
    return out;
  }

  /// Every live local record linked exactly once, to a remote record that
  /// carries its id; every remote record linked to a live local one, and
  /// no local id carried by two remote records.
  void check_entity(pg::connection& conn, const soak_tenant& t,
                    const std::string& entity, std::vector<std::string>& out) {
    auto where = t.id + " " + entity + " ";
    std::map<std::string, std::string> ref_of;
    std::map<std::string, int> carriers;
    for (const auto& r : remote_records(t, entity)) {
      auto ref = r.at("data").value(t.ref_field(entity), json{});
      auto s = ref.is_string() ? ref.get<std::string>() : std::string{};
      ref_of[r.at("id").get<std::string>()] = s;
      if (!s.empty())
        ++carriers[s];
    }
    auto table = entity == "invoice" ? "ledger.invoices" : "ledger.customers";
    auto links = conn.exec(
      "soak.links",
      std::string{"SELECT r.id::text, coalesce(l.remote_id, ''), "
                  "coalesce(l.status, ''), (SELECT count(*) FROM ledgerd.links "
                  "x WHERE x.tenant = r.tenant AND x.entity = $2 AND "
                  "x.local_id = r.id::text) FROM "}
        + table
        + " r LEFT JOIN ledgerd.links l ON l.tenant = r.tenant AND "
          "l.entity = $2 AND l.local_id = r.id::text WHERE r.tenant = $1 AND "
          "r.deleted_at IS NULL",
      t.id, entity);
    std::set<std::string> linked_remotes;
    auto held = disputed_locals(conn, t);
    for (int row = 0; row < links.rows(); ++row) {
      auto local = links.get<std::string>(row, 0);
      auto remote = links.get<std::string>(row, 1);
      if (links.get<std::string>(row, 2) == "linked")
        linked_remotes.insert(remote);
      if (held.contains(local))
        continue; // an open conflict: a person decides
      if (links.get<int64_t>(row, 3) != 1
          || links.get<std::string>(row, 2) != "linked") {
        out.push_back(
          where + local + ": " + std::to_string(links.get<int64_t>(row, 3))
          + " links, status '" + links.get<std::string>(row, 2) + "'");
        continue;
      }
      if (!ref_of.contains(remote))
        out.push_back(where + local + ": linked to " + remote
                      + ", which the provider does not have");
      else if (!ref_of[remote].empty() && ref_of[remote] != local)
        out.push_back(where + local + ": linked to " + remote
                      + ", which carries " + ref_of[remote]);
      if (carriers[local] > 1)
        out.push_back(where + local + ": " + std::to_string(carriers[local])
                      + " remote records carry it (duplicate)");
    }
    // A remote record without a live local one is a violation unless its
    // link's record has an open conflict (deleted here, edited there).
    auto disputed = conn.exec(
      "soak.disputed",
      "SELECT l.remote_id FROM ledgerd.links l JOIN ledgerd.conflicts k ON "
      "k.tenant = l.tenant AND k.entity = l.entity AND k.local_id = "
      "l.local_id AND k.status = 'open' WHERE l.tenant = $1 AND l.entity = $2",
      t.id, entity);
    for (int row = 0; row < disputed.rows(); ++row)
      linked_remotes.insert(disputed.get<std::string>(row, 0));
    for (const auto& [remote, ref] : ref_of)
      if (!linked_remotes.contains(remote))
        out.push_back(where + "remote " + remote
                      + " is linked to no live local record (it carries '" + ref
                      + "')");
  }

  /// For every linked customer without an open conflict: local and remote
  /// name and email equal, and equal to the last write of either side.
  void check_updates(pg::connection& conn, const soak_tenant& t,
                     std::vector<std::string>& out) {
    std::map<std::string, json> remote;
    for (const auto& r : remote_records(t, "customer"))
      remote[r.at("id").get<std::string>()] = r.at("data");
    auto rows = conn.exec(
      "soak.customers",
      "SELECT c.id::text, l.remote_id, c.name, coalesce(c.email, ''), "
      "EXISTS (SELECT 1 FROM ledgerd.conflicts k WHERE k.tenant = c.tenant "
      "AND k.entity = 'customer' AND k.local_id = c.id::text AND k.status = "
      "'open') FROM ledger.customers c JOIN ledgerd.links l ON l.tenant = "
      "c.tenant AND l.entity = 'customer' AND l.local_id = c.id::text AND "
      "l.status = 'linked' WHERE c.tenant = $1 AND c.deleted_at IS NULL",
      t.id);
    for (int row = 0; row < rows.rows(); ++row) {
      if (rows.get<bool>(row, 4))
        continue;
      auto local = rows.get<std::string>(row, 0);
      auto remote_id = rows.get<std::string>(row, 1);
      auto r = remote.find(remote_id);
      if (r == remote.end())
        continue; // reported by check_entity
      for (auto [field, key, col] :
           {std::tuple{"name", "Name", 2}, {"email", t.email_field(), 3}}) {
        auto l = rows.get<std::string>(row, col);
        auto rv = r->second.value(key, json{});
        auto rs = rv.is_string() ? rv.get<std::string>() : std::string{};
        auto where = t.id + " customer " + local + " " + field + ": ";
        if (l != rs)
          out.push_back(where + "local '" + l + "', remote '" + rs + "'");
        auto lw = local_writes_.find({t.id, local, field});
        auto rw = remote_writes_.find({t.id, remote_id, field});
        const field_write* last = nullptr;
        if (lw != local_writes_.end())
          last = &lw->second;
        if (rw != remote_writes_.end() && (!last || rw->second.at > last->at))
          last = &rw->second;
        if (last && l != last->value)
          out.push_back(where + "the last write '" + last->value
                        + "' was lost (local '" + l + "')");
      }
    }
  }

  std::string conninfo_;
  std::string pgdir_;
  std::mt19937_64 rng_;
  std::filesystem::path bindir_;
  sim::simulator simulator_;
  std::string sim_;
  http::client client_;
  std::filesystem::path config_;
  std::unique_ptr<node_process> node_;
  std::map<std::string, int64_t> traced_admitted_;
  int node_runs_ = 0;
  std::unique_ptr<pg::connection> db_;
  bool latency_on_ = false;
  int64_t values_ = 0;
  counters count_;
  std::vector<std::string> validation_failures_;
  write_log local_writes_;
  write_log remote_writes_;
  /// tenant key -> (new refresh token, when the operator stores it)
  std::map<std::string, std::pair<std::string, clock_type::time_point>>
    revoked_;
};

int run(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: ledgerd-soak CONNINFO PGDIR MINUTES [SEED]\n";
    return 2;
  }
  double minutes = std::stod(argv[3]);
  uint64_t seed = argc > 4 ? std::stoull(argv[4]) : std::random_device{}();
  soak s{argv[1], argv[2], seed, std::filesystem::path{argv[0]}.parent_path()};
  s.setup();
  s.run_chaos(std::chrono::seconds{static_cast<int64_t>(minutes * 60)});
  // Convergence: the longest retry backoff plus a few polls and one
  // reconciliation, more after longer runs (more backlog).
  auto limit = std::chrono::seconds{240 + static_cast<int64_t>(minutes * 10)};
  auto [converged_s, violations] = s.converge(limit);
  auto stats = s.stats();
  json examples = json::array();
  for (size_t i = 0; i < violations.size() && i < 20; ++i)
    examples.push_back(violations[i]);
  const auto& c = s.count();
  json out{{"bench", "soak"},
           {"minutes", minutes},
           {"seed", seed},
           {"operations", c.operations},
           {"faults", c.faults},
           {"revocations", c.revocations},
           {"kills", c.kills},
           {"pg_restarts", c.pg_restarts},
           {"requests", stats.value("requests_total", int64_t{0})},
           {"http_429", stats.value("throttled_total", int64_t{0})},
           {"throttled_buckets", throttled_buckets(stats)},
           {"validation_failures", s.validation_failures()},
           {"violations", violations.size()},
           {"examples", examples},
           {"converged_s", converged_s}};
  std::cout << out.dump() << std::endl;
  return violations.empty() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  // Caught here so that the node child is stopped by its destructor.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "ledgerd-soak: " << e.what() << "\n";
    return 1;
  }
}
