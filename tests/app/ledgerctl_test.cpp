// ledgerctl's API commands against the real node: tables by default, JSON
// with --json, and clear errors for a node that is down or a bad token.
#include "tests/app/node_harness.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>

using namespace ledgerd::test;
using namespace ledgerd::test::app;
using nlohmann::json;

namespace {

const std::string token = "ctl-test-token";

struct ctl_fixture {
  test_database db;
  temp_config cfg{node_config(db.conninfo()) + "[api]\ntokens = [\"" + token
                  + "\"]\n[monitor]\ninterval = \"200ms\"\n"};
  child_process node{{ledgerd_bin, "--config", cfg.path.string()}};
  std::string url = "http://127.0.0.1:" + std::to_string(listening_port(node));

  ~ctl_fixture() {
    node.signal(SIGTERM);
    node.wait(30s);
  }

  /// Runs ledgerctl with `args` against the node; returns exit status and
  /// output (stdout and stderr).
  std::pair<int, std::string> ctl(std::vector<std::string> args,
                                  bool with_url = true) {
    std::vector<std::string> argv{ledgerctl_bin, "--config", cfg.path.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (with_url) {
      argv.push_back("--url");
      argv.push_back(url);
    }
    child_process p{argv};
    auto status = p.wait(30s);
    // The node's log pipe must not fill up meanwhile.
    node.wait_for_line("\x01 matches no line \x01", 1ms);
    return {status, p.output()};
  }

  std::string sql(const std::string& text) {
    return db.query_value(text);
  }
};

} // namespace

TEST_CASE("ledgerctl status and top show the node's telemetry") {
  ctl_fixture f;
  auto [status, out] = f.ctl({"status"});
  INFO(out);
  CHECK(status == 0);
  CHECK(out.find(", up ") != std::string::npos);
  CHECK(out.find("queue: ") != std::string::npos);
  CHECK(out.find("BUCKET") != std::string::npos);
  auto [js, jout] = f.ctl({"status", "--json"});
  CHECK(js == 0);
  auto t = json::parse(jout);
  CHECK(t.contains("queue"));
  CHECK(t.contains("tenants"));
  auto [ts, tout] = f.ctl({"top", "--iterations", "2", "--interval", "100ms"});
  INFO(tout);
  CHECK(ts == 0);
  // Two frames, each cleared and drawn whole.
  CHECK(tout.find("ACTORS") != tout.rfind("ACTORS"));
  CHECK(tout.find("\x1b[H\x1b[2J") != std::string::npos);
}

TEST_CASE("ledgerctl lists, cancels and retries jobs and batches") {
  ctl_fixture f;
  auto batch = f.sql("INSERT INTO ledgerd.batches (tenant, kind, total, "
                     "failed) VALUES ('acme', 'sync', 2, 1) RETURNING id");
  auto failed = f.sql("INSERT INTO ledgerd.jobs (tenant, provider, kind, "
                      "state, attempt, last_error, finished_at, batch_id) "
                      "VALUES ('acme', 'none', 'noop', 'failed', 1, "
                      "'it broke', now(), "
                      + batch + ") RETURNING id");
  auto waiting = f.sql("INSERT INTO ledgerd.jobs (tenant, provider, kind, "
                       "run_at, batch_id) VALUES ('acme', 'none', 'noop', "
                       "now() + interval '1 day', "
                       + batch + ") RETURNING id");
  auto [ls, lout] = f.ctl({"jobs", "list", "--tenant", "acme"});
  INFO(lout);
  CHECK(ls == 0);
  CHECK(lout.find("it broke") != std::string::npos);
  CHECK(lout.find("pending") != std::string::npos);
  auto [js, jout] = f.ctl({"jobs", "list", "--state", "failed", "--json"});
  CHECK(js == 0);
  CHECK(json::parse(jout)["jobs"].size() == 1);

  auto [bs, bout] = f.ctl({"batches", "show", batch});
  INFO(bout);
  CHECK(bs == 0);
  CHECK(bout.find("1 failed") != std::string::npos);
  CHECK(bout.find("it broke") != std::string::npos);

  auto [cs, cout_] = f.ctl({"jobs", "cancel", waiting});
  INFO(cout_);
  CHECK(cs == 0);
  CHECK(f.sql("SELECT state FROM ledgerd.jobs WHERE id = " + waiting)
        == "failed");
  auto [rs, rout] = f.ctl({"batches", "retry-failed", batch});
  INFO(rout);
  CHECK(rs == 0);
  CHECK(rout.find("re-enqueued") != std::string::npos);
  // Retrying brings the failed job back; the node runs it (noop).
  CHECK(f.sql("SELECT count(*) FROM ledgerd.jobs WHERE id = " + failed
              + " AND state = 'failed'")
        == "0");
  auto [again, aout] = f.ctl({"jobs", "retry", "999999"});
  CHECK(again == 1);
  CHECK(aout.find("HTTP 404") != std::string::npos);
  auto [bad, badout] = f.ctl({"jobs", "retry", "x1"});
  CHECK(bad == 2);
  CHECK(badout.find("not an id") != std::string::npos);
}

TEST_CASE("ledgerctl lists and resolves conflicts") {
  ctl_fixture f;
  auto id = f.sql("INSERT INTO ledgerd.conflicts (tenant, provider, entity, "
                  "local_id, field, local_value, remote_value) VALUES "
                  "('acme', 'visma', 'customer', 'c-1', 'name', '\"Local\"', "
                  "'\"Remote\"') RETURNING id");
  auto [ls, lout] = f.ctl({"conflicts", "list"});
  INFO(lout);
  CHECK(ls == 0);
  CHECK(lout.find("Remote") != std::string::npos);
  auto [us, uout] = f.ctl({"conflicts", "resolve", id});
  CHECK(us == 2);
  CHECK(uout.find("--take local|remote") != std::string::npos);
  auto [rs, rout] = f.ctl({"conflicts", "resolve", id, "--take", "local"});
  INFO(rout);
  CHECK(rs == 0);
  CHECK(rout.find("resolved") != std::string::npos);
  CHECK(f.sql("SELECT status || ' ' || resolution || ' ' || resolved_by FROM "
              "ledgerd.conflicts WHERE id = "
              + id)
        == "resolved local ledgerctl");
  auto [js, jout]
    = f.ctl({"conflicts", "list", "--status", "resolved", "--json"});
  CHECK(js == 0);
  CHECK(json::parse(jout)["conflicts"].size() == 1);
}

TEST_CASE("ledgerctl explains an unreachable node and a wrong token") {
  ctl_fixture f;
  auto [ds, dout] = f.ctl({"status", "--url", "http://127.0.0.1:1"}, false);
  INFO(dout);
  CHECK(ds == 1);
  CHECK(dout.find("cannot reach the node at http://127.0.0.1:1")
        != std::string::npos);
  auto [ts, tout] = f.ctl({"status", "--token", "wrong"});
  INFO(tout);
  CHECK(ts == 1);
  CHECK(tout.find("HTTP 401") != std::string::npos);
  auto [ns, nout] = f.ctl({"tenants", "sync", "nosuch"});
  INFO(nout);
  CHECK(ns == 1);
  CHECK(nout.find("HTTP 404") != std::string::npos);
  auto [us, uout] = f.ctl({"tenants", "dance"});
  CHECK(us == 2);
  CHECK(uout.find("usage: ledgerctl tenants list|sync") != std::string::npos);
}
