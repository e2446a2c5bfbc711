#include "config/load_config.hpp"
#include "config/node_config.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using namespace ledgerd::config;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view file = "test.toml";

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](
           const std::string& name) -> std::optional<std::string> {
    if (auto i = vars.find(name); i != vars.end())
      return i->second;
    return std::nullopt;
  };
}

const env_lookup no_env = env_of({});

config_result parse(std::string_view text, const env_lookup& env = no_env) {
  return parse_config(text, file, env);
}

// A valid configuration without tenants.
const std::string minimal = "[database]\nurl = \"postgresql:///test\"\n";

// `minimal` plus one tenant with a connection to `provider` and `extra` lines
// appended inside [[tenants.connections]].
std::string with_tenant(std::string_view provider = "fortnox",
                        std::string_view extra = "") {
  return minimal + "[[tenants]]\nid = \"acme\"\n[[tenants.connections]]\n"
         + "provider = \"" + std::string{provider} + "\"\n"
         + "client_id = \"id\"\nclient_secret = \"secret\"\n"
         + std::string{extra};
}

// The problem reported for `key`, or nullptr.
const problem* find(const config_result& r, std::string_view key) {
  for (const auto& x : r.problems())
    if (x.key == key)
      return &x;
  return nullptr;
}

// Whether a problem for `key` says `what` (and names the file).
bool reports(const config_result& r, std::string_view key,
             std::string_view what) {
  auto* x = find(r, key);
  return x != nullptr && x->file == file
         && x->message.find(what) != std::string::npos;
}

// Expects exactly one problem, for `key`, saying `what`.
#define CHECK_ONLY_PROBLEM(result, key, what)                                  \
  do {                                                                         \
    const auto& r_ = (result);                                                 \
    INFO(format_problems(r_.problems()));                                      \
    CHECK_FALSE(r_.ok());                                                      \
    CHECK(r_.problems().size() == 1);                                          \
    CHECK(reports(r_, key, what));                                             \
  } while (false)

} // namespace

// -- the example --------------------------------------------------------------

TEST_CASE("the example configuration loads without problems") {
  auto r
    = load_config(LEDGERD_SOURCE_DIR "/config/ledgerd.example.toml", no_env);
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  const auto& cfg = r.config();
  CHECK(cfg.database.url == "postgresql:///ledgerd");
  CHECK(cfg.node.node_id == "ledgerd-dev");
  CHECK(cfg.node.listen == listen_address{"127.0.0.1", 8080});
  REQUIRE(cfg.tenants.size() == 2);
  const auto* acme = cfg.find_tenant("acme");
  REQUIRE(acme != nullptr);
  const auto* fortnox = acme->connection(provider_kind::fortnox);
  REQUIRE(fortnox != nullptr);
  CHECK(fortnox->base_url == "http://127.0.0.1:9100/fortnox");
  CHECK(fortnox->token_url == "http://127.0.0.1:9100/fortnox/oauth-v1/token");
  CHECK(fortnox->websocket_url == "ws://127.0.0.1:9100/fortnox/topics-v1");
  CHECK(fortnox->client_id == "sim-fortnox-client");
  CHECK(fortnox->api_version == "3");
  CHECK(acme->sync.conflicts.rule_for("invoice.due_date")
        == conflict_rule::manual);
  CHECK(acme->sync.conflicts.rule_for("invoice.total")
        == conflict_rule::last_write_wins);
  CHECK(cfg.rate_limit_for(*acme, provider_kind::fortnox)
        == rate_limit{24, 5s, 20ms});
  const auto* nordvik = cfg.find_tenant("nordvik");
  REQUIRE(nordvik != nullptr);
  const auto* visma = nordvik->connection(provider_kind::visma);
  REQUIRE(visma != nullptr);
  CHECK(visma->base_url == "http://127.0.0.1:9100/visma");
  CHECK(visma->websocket_url.empty());
  CHECK(nordvik->sync.poll_interval == 1min);
  CHECK(cfg.rate_limit_for(*nordvik, provider_kind::visma)
        == rate_limit{600, 60s, 20ms});
  CHECK(cfg.api.tokens == std::vector<std::string>{"dev-token"});
  CHECK(cfg.api.max_body_bytes == 1024 * 1024);
  REQUIRE(cfg.alerts.size() == 8);
  CHECK(cfg.alerts[0].holds(1));
  CHECK_FALSE(cfg.alerts[0].holds(0));
  CHECK(cfg.alerts[1].labels.at("status") == "429");
  CHECK(cfg.alerts[1].window == 5min);
  CHECK(cfg.alerts[2].ratio_of.at("outcome") == "error");
  CHECK(cfg.alerts[3].quantile == 0.95);
  CHECK(cfg.alerts[6].aggregate_max);
  CHECK(cfg.monitor.interval == 1s);
  CHECK(cfg.monitor.alert_webhook.empty());
}

TEST_CASE("the example takes the database url from the environment") {
  auto r = load_config(LEDGERD_SOURCE_DIR "/config/ledgerd.example.toml",
                       env_of({{"LEDGERD_DATABASE_URL",
                                "postgresql://ledgerd@db.internal/prod"}}));
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  CHECK(r.config().database.url == "postgresql://ledgerd@db.internal/prod");
}

// -- defaults -----------------------------------------------------------------

TEST_CASE("defaults apply to everything left out") {
  auto r = parse(minimal);
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  const auto& cfg = r.config();
  CHECK(cfg.node.listen == listen_address{"127.0.0.1", 8080});
  CHECK(cfg.node.node_id == default_node_id());
  CHECK_FALSE(cfg.node.node_id.empty());
  CHECK(cfg.node.log_level == log_level::info);
  CHECK(cfg.node.shutdown_grace == 10s);
  CHECK(cfg.node.scheduler.threads == 2);
  CHECK(cfg.node.scheduler.policy == scheduler_policy::sharing);
  CHECK(cfg.database.url == "postgresql:///test");
  CHECK(cfg.database.pool_size == 8);
  CHECK(cfg.database.acquire_timeout == 5s);
  CHECK(cfg.supervisor == supervisor_config{5, 60s});
  CHECK(cfg.jobs == jobs_config{});
  CHECK(cfg.jobs.retain_completed == 24h * 7);
  CHECK(cfg.rate_limits.fortnox == rate_limit{25, 5s, 20ms});
  CHECK(cfg.rate_limits.visma == rate_limit{600, 60s, 20ms});
  CHECK(cfg.tenants.empty());
  CHECK(cfg.alerts.empty());
}

TEST_CASE("a connection without endpoints gets the real hosts") {
  SECTION("fortnox") {
    auto r = parse(with_tenant("fortnox"));
    INFO(format_problems(r.problems()));
    REQUIRE(r.ok());
    const auto& t = r.config().tenants.at(0);
    CHECK(t.name == "acme");
    const auto& c = t.connections.at(0);
    CHECK(c.base_url == "https://api.fortnox.se");
    CHECK(c.token_url == "https://apps.fortnox.se/oauth-v1/token");
    CHECK(c.websocket_url == "wss://ws.fortnox.se/topics-v1");
    CHECK(c.api_version == "3");
    CHECK(c.credentials == credentials_ref{});
    CHECK(c.enabled);
    CHECK(t.sync == sync_config{});
    CHECK(t.sync.syncs(entity_kind::customers));
    CHECK(t.sync.syncs(entity_kind::invoices));
    CHECK(t.sync.poll_interval == 5min);
    CHECK(t.sync.reconcile_interval == 1h);
    CHECK(t.sync.pull_overlap == 2min);
    CHECK(t.sync.in_doubt_settle == 10s);
    CHECK(t.sync.conflicts.default_rule == conflict_rule::last_write_wins);
    CHECK(t.sync.conflicts.tie_winner == sync_side::remote);
    CHECK(t.rate_limits.empty());
  }
  SECTION("visma") {
    auto r = parse(with_tenant("visma"));
    INFO(format_problems(r.problems()));
    REQUIRE(r.ok());
    const auto& c = r.config().tenants.at(0).connections.at(0);
    CHECK(c.base_url == "https://eaccountingapi.vismaonline.com");
    CHECK(c.token_url == "https://identity.vismaonline.com/connect/token");
    CHECK(c.websocket_url.empty());
    CHECK(c.api_version == "v2");
  }
}

TEST_CASE("set values replace the defaults") {
  auto r = parse(R"([node]
listen = "[::1]:0"
node_id = "node-7"
log_level = "debug"
shutdown_grace = "0s"
scheduler = { threads = 8, policy = "stealing" }
[database]
url = "host=/tmp dbname=x"
pool_size = 1000
acquire_timeout = "250ms"
[supervisor]
max_restarts = 0
restart_period = "1h"
[jobs]
concurrency = 10
per_tenant_concurrency = 10
retry_base = "2s"
retry_cap = "2s"
max_attempts = 1
lease = "30s"
retain_completed = "1d"
retain_failed = "2d"
[[tenants]]
id = "a1"
name = "A One"
[[tenants.connections]]
provider = "fortnox"
base_url = "https://fortnox.example.com/proxy/"
token_url = "https://fortnox.example.com/token"
websocket_url = "wss://fortnox.example.com/ws"
credentials = "env:FORTNOX_A1"
client_id = "cid"
client_secret = "cs"
enabled = false
[tenants.sync]
entities = ["invoices"]
poll_interval = "2m"
in_doubt_settle = "45s"
[tenants.sync.conflicts]
default = "manual"
tie_winner = "local"
[tenants.sync.conflicts.fields]
"customer.name" = "remote_wins"
[tenants.rate_limits.fortnox]
window = "10s"
)");
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  const auto& cfg = r.config();
  CHECK(cfg.node.listen == listen_address{"::1", 0});
  CHECK(to_string(cfg.node.listen) == "[::1]:0");
  CHECK(cfg.node.node_id == "node-7");
  CHECK(cfg.node.log_level == log_level::debug);
  CHECK(cfg.node.shutdown_grace == 0s);
  CHECK(cfg.node.scheduler == scheduler_config{8, scheduler_policy::stealing});
  CHECK(cfg.database == database_config{"host=/tmp dbname=x", 1000, 250ms});
  CHECK(cfg.supervisor == supervisor_config{0, 1h});
  CHECK(cfg.jobs == jobs_config{10, 10, 2s, 2s, 1, 30s, 24h, 48h});
  const auto& t = cfg.tenants.at(0);
  CHECK(t.name == "A One");
  const auto& c = t.connections.at(0);
  CHECK(c.base_url == "https://fortnox.example.com/proxy");
  CHECK(to_string(c.credentials) == "env:FORTNOX_A1");
  CHECK_FALSE(c.enabled);
  CHECK(t.sync.entities == std::vector{entity_kind::invoices});
  CHECK(t.sync.in_doubt_settle == 45s);
  CHECK_FALSE(t.sync.syncs(entity_kind::customers));
  CHECK(t.sync.conflicts.rule_for("customer.name")
        == conflict_rule::remote_wins);
  CHECK(t.sync.conflicts.rule_for("customer.email") == conflict_rule::manual);
  CHECK(t.sync.conflicts.tie_winner == sync_side::local);
  CHECK(cfg.rate_limit_for(t, provider_kind::fortnox)
        == rate_limit{25, 10s, 20ms});
}

// -- durations ----------------------------------------------------------------

TEST_CASE("durations are a whole number and one unit") {
  CHECK(parse_duration("500ms") == duration{500});
  CHECK(parse_duration("5s") == duration{5s});
  CHECK(parse_duration("2m") == duration{2min});
  CHECK(parse_duration("1h") == duration{1h});
  CHECK(parse_duration("7d") == duration{24h * 7});
  CHECK(parse_duration("0s") == duration{0});
  for (auto bad :
       {"", "5", "s", "5 s", " 5s", "5s ", "-5s", "+5s", "1.5s", "5S", "5sec",
        "1h30m", "5us", "99999999999999999999s", "9999999999999999d"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad));
  }
  CHECK(format_duration(duration{500}) == "500ms");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(2min) == "2m");
  CHECK(format_duration(24h * 7) == "7d");
  CHECK(format_duration(duration{0}) == "0s");
}

TEST_CASE("bad durations name the key and what is wrong") {
  auto with_timeout = [](std::string_view value) {
    return parse(minimal + "acquire_timeout = " + std::string{value} + "\n");
  };
  CHECK_ONLY_PROBLEM(with_timeout("\"5\""), "database.acquire_timeout",
                     "has no unit");
  CHECK_ONLY_PROBLEM(with_timeout("5"), "database.acquire_timeout",
                     "must be a duration string such as \"500ms\"");
  CHECK_ONLY_PROBLEM(with_timeout("\"5 sec\""), "database.acquire_timeout",
                     "(got \"5 sec\")");
  CHECK_ONLY_PROBLEM(with_timeout("\"0s\""), "database.acquire_timeout",
                     "must be greater than 0");
  CHECK_ONLY_PROBLEM(with_timeout("\"99999999999999999d\""),
                     "database.acquire_timeout", "is too large");
}

TEST_CASE("durations that must be positive") {
  CHECK_ONLY_PROBLEM(parse(with_tenant("fortnox", "[tenants.sync]\n"
                                                  "poll_interval = \"0s\"\n")),
                     "tenants[0].sync.poll_interval", "must be greater than 0");
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("fortnox", "[tenants.sync]\n"
                                 "reconcile_interval = \"0s\"\n")),
    "tenants[0].sync.reconcile_interval", "must be greater than 0");
  CHECK_ONLY_PROBLEM(parse(minimal + "[rate_limits.visma]\nwindow = \"0ms\"\n"),
                     "rate_limits.visma.window", "must be greater than 0");
  CHECK_ONLY_PROBLEM(parse(minimal + "[jobs]\nlease = \"0s\"\n"), "jobs.lease",
                     "must be greater than 0");
  CHECK_ONLY_PROBLEM(parse(minimal + "[supervisor]\nrestart_period = \"0d\"\n"),
                     "supervisor.restart_period", "must be greater than 0");
  // A margin and a `for` may be zero.
  CHECK(parse(minimal + "[rate_limits.fortnox]\nmargin = \"0ms\"\n").ok());
}

// -- environment --------------------------------------------------------------

TEST_CASE("expand_env replaces variables and defaults") {
  auto env = env_of({{"A", "alpha"}, {"EMPTY", ""}});
  auto expand = [&](std::string_view x) {
    return expand_env(x, env);
  };
  CHECK(expand("${A}").value == "alpha");
  CHECK(expand("x-${A}-y").value == "x-alpha-y");
  CHECK(expand("${B:-beta}").value == "beta");
  CHECK(expand("${A:-beta}").value == "alpha");
  CHECK(expand("${EMPTY:-dflt}").value == "dflt");
  CHECK(expand("${EMPTY}").value == "");
  CHECK(expand("${B:-}").value == "");
  CHECK(expand("${B:-a:b/c}").value == "a:b/c");
  CHECK(expand("$${A}").value == "${A}");
  CHECK(expand("pa$$word $A").value == "pa$$word $A");
  CHECK(expand("${B}").error.find("environment variable B is not set")
        != std::string::npos);
  CHECK(expand("${A").error.find("unterminated") != std::string::npos);
  CHECK(expand("${1A}").error.find("not a variable reference")
        != std::string::npos);
  CHECK(expand("${}").error.find("not a variable reference")
        != std::string::npos);
  CHECK(expand("${B:-${A}}").error.find("nested") != std::string::npos);
}

TEST_CASE("string values are expanded from the environment") {
  auto text = with_tenant("fortnox", "client_id = \"${CID:-default-id}\"\n");
  text.replace(text.find("client_id = \"id\"\n"), 16, "");
  text.replace(text.find("\"secret\""), 8, "\"${SECRET}\"");
  SECTION("with the variables set") {
    auto r = parse(text, env_of({{"CID", "from-env"}, {"SECRET", "s3cr3t"}}));
    INFO(format_problems(r.problems()));
    REQUIRE(r.ok());
    const auto& c = r.config().tenants.at(0).connections.at(0);
    CHECK(c.client_id == "from-env");
    CHECK(c.client_secret == "s3cr3t");
  }
  SECTION("the default applies when a variable is unset") {
    auto r = parse(text, env_of({{"SECRET", "s3cr3t"}}));
    INFO(format_problems(r.problems()));
    REQUIRE(r.ok());
    CHECK(r.config().tenants.at(0).connections.at(0).client_id == "default-id");
  }
  SECTION("an unset variable without default names the key and variable") {
    auto r = parse(text);
    CHECK_ONLY_PROBLEM(r, "tenants[0].connections[0].client_secret",
                       "environment variable SECRET is not set");
  }
}

TEST_CASE("integer and boolean keys accept ${...}") {
  auto text = minimal + "pool_size = \"${POOL:-12}\"\n";
  auto r = parse(text);
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  CHECK(r.config().database.pool_size == 12);
  CHECK(parse(text, env_of({{"POOL", "3"}})).config().database.pool_size == 3);
  CHECK_ONLY_PROBLEM(parse(text, env_of({{"POOL", "3x"}})),
                     "database.pool_size", "must be an integer (got \"3x\"");
  CHECK_ONLY_PROBLEM(parse(text, env_of({{"POOL", "0"}})), "database.pool_size",
                     "must be between 1 and 1000");
  // Without ${...} a string is just the wrong type.
  CHECK_ONLY_PROBLEM(parse(minimal + "pool_size = \"8\"\n"),
                     "database.pool_size", "must be an integer (got string)");
  auto enabled = with_tenant("fortnox", "enabled = \"${ON:-false}\"\n");
  auto e = parse(enabled);
  INFO(format_problems(e.problems()));
  REQUIRE(e.ok());
  CHECK_FALSE(e.config().tenants.at(0).connections.at(0).enabled);
  CHECK_ONLY_PROBLEM(parse(enabled, env_of({{"ON", "yes"}})),
                     "tenants[0].connections[0].enabled",
                     "must be true or false");
}

// -- problems: shape and location ---------------------------------------------

TEST_CASE("a problem names file, line, column, key and reason") {
  // Line 14, column 12 is the value of the second tenant's provider.
  auto text = minimal // lines 1-2
              + R"([[tenants]]
id = "a"
[[tenants.connections]]
provider = "visma"
client_id = "x"
client_secret = "y"
[[tenants]]
id = "b"
[[tenants.connections]]
client_id = "x"
client_secret = "y"
provider = "fortnox2"
)";
  auto r = parse(text);
  REQUIRE(r.problems().size() == 1);
  const auto& x = r.problems().front();
  CHECK(x
        == problem{"test.toml", 14, 12, "tenants[1].connections[0].provider",
                   "must be one of fortnox, visma (got \"fortnox2\")"});
  CHECK(to_string(x)
        == "test.toml:14:12: tenants[1].connections[0].provider: must be one "
           "of fortnox, visma (got \"fortnox2\")");
  CHECK(format_problems(r.problems()) == to_string(x) + "\n");
}

TEST_CASE("TOML syntax errors carry their location") {
  auto r = parse("[database]\nurl = \"postgresql:///x\"\npool_size = = 3\n");
  REQUIRE(r.problems().size() == 1);
  const auto& x = r.problems().front();
  INFO(to_string(x));
  CHECK(x.file == "test.toml");
  CHECK(x.line == 3);
  CHECK(x.column > 0);
  CHECK(x.key.empty());
  CHECK_FALSE(x.message.empty());
  CHECK(to_string(x).rfind("test.toml:3:", 0) == 0);
  // A key defined twice is a syntax error too.
  auto twice = parse(minimal + "url = \"postgresql:///y\"\n");
  REQUIRE(twice.problems().size() == 1);
  CHECK(twice.problems().front().line == 3);
}

TEST_CASE("unknown keys are errors, with a hint for typos") {
  CHECK_ONLY_PROBLEM(parse(minimal + "pool_sise = 3\n"), "database.pool_sise",
                     "unknown key (did you mean \"pool_size\"?)");
  auto r = parse(minimal + "[databse]\nurl = \"x\"\n");
  CHECK_ONLY_PROBLEM(r, "databse", "unknown key (did you mean \"database\"?)");
  REQUIRE(find(r, "databse") != nullptr);
  CHECK(find(r, "databse")->line == 3);
  CHECK_ONLY_PROBLEM(parse(with_tenant("fortnox", "clinet_secret = \"z\"\n")),
                     "tenants[0].connections[0].clinet_secret",
                     "did you mean \"client_secret\"?");
  CHECK_ONLY_PROBLEM(parse(minimal + "[node]\ncolour = \"blue\"\n"),
                     "node.colour", "unknown key");
  CHECK_ONLY_PROBLEM(parse(with_tenant("fortnox", "[tenants.rate_limits.fortnx]"
                                                  "\nrequests = 1\n")),
                     "tenants[0].rate_limits.fortnx",
                     "did you mean \"fortnox\"?");
  CHECK_ONLY_PROBLEM(parse(minimal
                           + "[[alerts]]\nname = \"a\"\nmetric = "
                             "\"ledgerd_jobs\"\ncondition = \"> 1\"\nfour = "
                             "\"1m\"\n"),
                     "alerts[0].four", "did you mean \"for\"?");
}

TEST_CASE("several problems are reported at once") {
  auto r = parse(R"([node]
log_level = "verbose"
[database]
url = "postgresql:///x"
pool_size = 0
[[tenants]]
id = "Acme Corp"
[[tenants.connections]]
provider = "visma"
base_url = "ftp://example.com"
token_url = "https://identity.example.com/token"
websocket_url = "wss://example.com/ws"
client_id = "x"
client_secret = "y"
[[alerts]]
name = "a"
metric = "ledgerd_jobs"
condition = "=> 5"
)");
  INFO(format_problems(r.problems()));
  CHECK(r.problems().size() == 6);
  CHECK(reports(r, "node.log_level",
                "must be one of debug, info, warn, error (got \"verbose\")"));
  CHECK(reports(r, "database.pool_size", "must be between 1 and 1000 (got 0)"));
  CHECK(reports(r, "tenants[0].id", "must be a slug"));
  CHECK(
    reports(r, "tenants[0].connections[0].base_url",
            "must be an http:// or https:// URL (got \"ftp://example.com\")"));
  CHECK(reports(r, "tenants[0].connections[0].websocket_url",
                "is only for fortnox connections (provider is visma)"));
  CHECK(reports(r, "alerts[0].condition", "(got \"=> 5\")"));
  // In file order.
  REQUIRE(r.problems().size() == 6);
  std::vector<uint32_t> lines;
  for (const auto& x : r.problems())
    lines.push_back(x.line);
  CHECK(lines == std::vector<uint32_t>{2, 5, 7, 10, 12, 18});
}

TEST_CASE("load_config names the file it read") {
  SECTION("a missing file") {
    auto r = load_config(LEDGERD_SOURCE_DIR "/tests/config/no-such-file.toml",
                         no_env);
    REQUIRE(r.problems().size() == 1);
    CHECK(r.problems().front().file
          == LEDGERD_SOURCE_DIR "/tests/config/no-such-file.toml");
    CHECK(r.problems().front().message.find("cannot read the file")
          != std::string::npos);
  }
  SECTION("problems in a file") {
    std::string path = LEDGERD_SOURCE_DIR "/tests/config/bad_provider.toml";
    auto r = load_config(path, no_env);
    REQUIRE(r.problems().size() == 2);
    CHECK(to_string(r.problems()[0])
          == path
               + ":7:12: tenants[0].connections[0].provider: must be one of "
                 "fortnox, visma (got \"fortnox2\")");
    CHECK(to_string(r.problems()[1])
          == path
               + ":11:1: tenants[0].sync.pol_interval: unknown key (did "
                 "you mean \"poll_interval\"?)");
  }
  SECTION("a syntax error in a file") {
    std::string path = LEDGERD_SOURCE_DIR "/tests/config/bad_syntax.toml";
    auto r = load_config(path, no_env);
    REQUIRE(r.problems().size() == 1);
    INFO(to_string(r.problems().front()));
    CHECK(r.problems().front().file == path);
    CHECK(r.problems().front().line == 4);
  }
}

// -- [node] and [database] ----------------------------------------------------

TEST_CASE("node values are checked") {
  CHECK_ONLY_PROBLEM(parse(minimal + "[node]\nlisten = \"localhost\"\n"),
                     "node.listen", "must be host:port");
  CHECK_ONLY_PROBLEM(parse(minimal + "[node]\nlisten = \"127.0.0.1:99999\"\n"),
                     "node.listen", "(got \"127.0.0.1:99999\")");
  CHECK_ONLY_PROBLEM(parse(minimal + "[node]\nlisten = 8080\n"), "node.listen",
                     "must be a string (got integer)");
  CHECK_ONLY_PROBLEM(parse(minimal + "[node]\nnode_id = \"\"\n"),
                     "node.node_id", "must be 1 to 253 letters");
  CHECK_ONLY_PROBLEM(parse(minimal + "[node.scheduler]\npolicy = \"fair\"\n"),
                     "node.scheduler.policy",
                     "must be one of sharing, stealing (got \"fair\")");
  CHECK_ONLY_PROBLEM(parse(minimal + "[node.scheduler]\nthreads = 0\n"),
                     "node.scheduler.threads", "must be between 1 and 256");
  CHECK_ONLY_PROBLEM(parse(minimal + "[node]\nshutdown_grace = \"-1s\"\n"),
                     "node.shutdown_grace", "(got \"-1s\")");
  CHECK_ONLY_PROBLEM(parse(minimal + "node = 3\n"), "database.node",
                     "unknown key");
  CHECK_ONLY_PROBLEM(parse("node = 3\n" + minimal), "node",
                     "must be a table (got integer)");
}

TEST_CASE("the database url is required and checked") {
  CHECK_ONLY_PROBLEM(parse(""), "database.url", "is required");
  CHECK_ONLY_PROBLEM(parse("[database]\npool_size = 2\n"), "database.url",
                     "is required");
  auto r = parse("[database]\nurl = \"mysql:hunter2@db\"\n");
  CHECK_ONLY_PROBLEM(r, "database.url", "must be a libpq URI");
  // The value may hold a password: it is not repeated.
  REQUIRE(find(r, "database.url") != nullptr);
  CHECK(find(r, "database.url")->message.find("hunter2") == std::string::npos);
  CHECK(parse("[database]\nurl = \"postgres://u@h:5432/d?sslmode=require\"\n")
          .ok());
  CHECK_ONLY_PROBLEM(parse("[database]\nurl = \"\"\n"), "database.url",
                     "must not be empty");
}

TEST_CASE("pool_size must be within 1..1000") {
  CHECK_ONLY_PROBLEM(parse(minimal + "pool_size = 0\n"), "database.pool_size",
                     "must be between 1 and 1000 (got 0)");
  CHECK_ONLY_PROBLEM(parse(minimal + "pool_size = 1001\n"),
                     "database.pool_size",
                     "must be between 1 and 1000 (got 1001)");
  CHECK_ONLY_PROBLEM(parse(minimal + "pool_size = 2.5\n"), "database.pool_size",
                     "must be an integer (got float)");
  CHECK(parse(minimal + "pool_size = 1\n").ok());
  CHECK(parse(minimal + "pool_size = 1000\n").ok());
}

TEST_CASE("job settings are checked against each other") {
  CHECK_ONLY_PROBLEM(parse(minimal + "[jobs]\nconcurrency = 2\n"),
                     "jobs.per_tenant_concurrency",
                     "must not exceed concurrency (4 > 2, "
                     "per_tenant_concurrency is not set)");
  CHECK_ONLY_PROBLEM(parse(minimal + "[jobs]\nretry_base = \"10m\"\n"),
                     "jobs.retry_cap",
                     "must be at least retry_base (5m < 10m, retry_cap is not "
                     "set)");
  CHECK_ONLY_PROBLEM(parse(minimal + "[jobs]\nmax_attempts = 0\n"),
                     "jobs.max_attempts", "must be between 1 and 1000");
}

TEST_CASE("api tokens come from the environment and must not be empty") {
  auto defaults = parse(minimal);
  REQUIRE(defaults.ok());
  CHECK(defaults.config().api.tokens.empty());
  CHECK(defaults.config().api.max_body_bytes == 1024 * 1024);
  auto text = minimal
              + "[api]\ntokens = [\"${API_TOKEN}\", \"literal\"]\n"
                "max_body_bytes = 4096\n";
  auto r = parse(text, env_of({{"API_TOKEN", "t0k3n"}}));
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  CHECK(r.config().api.tokens == std::vector<std::string>{"t0k3n", "literal"});
  CHECK(r.config().api.max_body_bytes == 4096);
  CHECK_ONLY_PROBLEM(parse(text), "api.tokens[0]",
                     "environment variable API_TOKEN is not set");
  CHECK_ONLY_PROBLEM(parse(text, env_of({{"API_TOKEN", ""}})), "api.tokens[0]",
                     "must not be empty");
  CHECK_ONLY_PROBLEM(parse(minimal + "[api]\ntokens = \"one\"\n"), "api.tokens",
                     "must be an array of strings");
  CHECK_ONLY_PROBLEM(parse(minimal + "[api]\ntokens = [1]\n"), "api.tokens[0]",
                     "must be a string");
  CHECK_ONLY_PROBLEM(parse(minimal + "[api]\nmax_body_bytes = 0\n"),
                     "api.max_body_bytes", "must be between 1 and");
  CHECK_ONLY_PROBLEM(parse(minimal + "[api]\ntoken = []\n"), "api.token",
                     "unknown key");
}

// -- tenants and connections --------------------------------------------------

TEST_CASE("tenant ids are unique slugs") {
  const std::string tenant
    = "[[tenants]]\nid = \"acme\"\n[[tenants.connections]]\nprovider = "
      "\"visma\"\nclient_id = \"x\"\nclient_secret = \"y\"\n";
  auto r = parse(minimal + tenant + tenant);
  CHECK_ONLY_PROBLEM(r, "tenants[1].id",
                     "duplicate tenant id \"acme\" (also tenants[0])");
  REQUIRE(find(r, "tenants[1].id") != nullptr);
  CHECK(find(r, "tenants[1].id")->line == 10);
  for (auto bad : {"Acme", "-acme", "acme-", "acme_1", "acme corp", ""}) {
    auto text = with_tenant();
    text.replace(text.find("\"acme\""), 6, "\"" + std::string{bad} + "\"");
    INFO(bad);
    CHECK_ONLY_PROBLEM(parse(text), "tenants[0].id", "must be a slug");
  }
  CHECK_ONLY_PROBLEM(parse(minimal
                           + "[[tenants]]\n[[tenants.connections]]\n"
                             "provider = \"visma\"\nclient_id = \"x\"\n"
                             "client_secret = \"y\"\n"),
                     "tenants[0].id", "is required");
  CHECK_ONLY_PROBLEM(parse(minimal + "[[tenants]]\nid = \"a\"\n"),
                     "tenants[0].connections", "is required");
  CHECK_ONLY_PROBLEM(parse(minimal
                           + "[[tenants]]\nid = \"a\"\n"
                             "connections = []\n"),
                     "tenants[0].connections",
                     "must have at least one connection");
  CHECK_ONLY_PROBLEM(parse(minimal + "tenants = \"acme\"\n"),
                     "database.tenants", "unknown key");
  CHECK_ONLY_PROBLEM(parse("tenants = \"acme\"\n" + minimal), "tenants",
                     "must be an array of tables");
}

TEST_CASE("urls must be http(s) (ws(s) for the websocket)") {
  auto endpoints
    = [](std::string_view base, std::string_view token, std::string_view ws) {
        return parse(with_tenant(
          "fortnox", "base_url = \"" + std::string{base} + "\"\ntoken_url = \""
                       + std::string{token} + "\"\nwebsocket_url = \""
                       + std::string{ws} + "\"\n"));
      };
  const std::string base = "https://f.example.com/api";
  const std::string token = "https://f.example.com/token";
  const std::string ws = "wss://f.example.com/ws";
  CHECK(endpoints(base, token, ws).ok());
  CHECK(endpoints("http://127.0.0.1:9100/fortnox",
                  "http://localhost:9100/token", "ws://[::1]:9100/ws")
          .ok());
  const std::string key = "tenants[0].connections[0].";
  CHECK_ONLY_PROBLEM(endpoints("ftp://f.example.com", token, ws),
                     key + "base_url",
                     "must be an http:// or https:// URL (got "
                     "\"ftp://f.example.com\")");
  CHECK_ONLY_PROBLEM(endpoints(base, "apps.fortnox.se/token", ws),
                     key + "token_url", "must be an http:// or https:// URL");
  CHECK_ONLY_PROBLEM(endpoints(base, token, "https://f.example.com/ws"),
                     key + "websocket_url", "must be a ws:// or wss:// URL");
  CHECK_ONLY_PROBLEM(endpoints("http://f.example.com", token, ws),
                     key + "base_url",
                     "plain http:// is only allowed for loopback hosts");
  CHECK_ONLY_PROBLEM(endpoints(base, token, "ws://10.0.0.1/ws"),
                     key + "websocket_url",
                     "plain ws:// is only allowed for loopback hosts");
  CHECK_ONLY_PROBLEM(endpoints("https://", token, ws), key + "base_url",
                     "has no host");
  CHECK_ONLY_PROBLEM(endpoints("https://h:70000", token, ws), key + "base_url",
                     "has an invalid port");
  CHECK_ONLY_PROBLEM(endpoints(base + "?x=1", token, ws), key + "base_url",
                     "must not have a query or fragment");
  CHECK_ONLY_PROBLEM(endpoints("https://u:p@h", token, ws), key + "base_url",
                     "must not carry credentials");
}

TEST_CASE("endpoints are configured together") {
  auto r = parse(
    with_tenant("fortnox", "base_url = \"http://127.0.0.1:9100/fortnox\"\n"));
  INFO(format_problems(r.problems()));
  CHECK(r.problems().size() == 2);
  CHECK(reports(r, "tenants[0].connections[0].token_url",
                "is required when base_url is set"));
  CHECK(reports(r, "tenants[0].connections[0].websocket_url",
                "is required when base_url is set"));
  // Visma has no websocket to configure.
  CHECK(parse(with_tenant("visma", "base_url = \"https://v.example.com\"\n"
                                   "token_url = \"https://v.example.com/t\"\n"))
          .ok());
}

TEST_CASE("websocket_url is for fortnox only") {
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("visma", "websocket_url = \"wss://v.example.com/ws\"\n")),
    "tenants[0].connections[0].websocket_url",
    "is only for fortnox connections (provider is visma)");
}

TEST_CASE("connection values are checked") {
  const std::string key = "tenants[0].connections[0].";
  CHECK_ONLY_PROBLEM(parse(with_tenant("fortnox2")), key + "provider",
                     "must be one of fortnox, visma (got \"fortnox2\")");
  CHECK_ONLY_PROBLEM(parse(minimal
                           + "[[tenants]]\nid = \"a\"\n"
                             "[[tenants.connections]]\nclient_id = "
                             "\"x\"\nclient_secret = \"y\"\n"),
                     key + "provider", "is required");
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("fortnox", "credentials = \"vault:x\"\n")),
    key + "credentials",
    "must be \"db\", \"env:NAME\" or \"client_credentials:TENANT_ID\" (got "
    "\"vault:x\")");
  CHECK_ONLY_PROBLEM(parse(with_tenant("fortnox", "credentials = \"env:\"\n")),
                     key + "credentials",
                     "must be \"db\", \"env:NAME\" or "
                     "\"client_credentials:TENANT_ID\"");
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("visma", "credentials = \"client_credentials:7\"\n")),
    key + "credentials", "client_credentials is only for fortnox");
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("fortnox", "credentials = \"client_credentials:x\"\n")),
    key + "credentials", "must be \"db\"");
  CHECK_ONLY_PROBLEM(parse(with_tenant("fortnox", "api_version = \"3/x\"\n")),
                     key + "api_version", "must be a path segment");
  // The version selects the mapping: one ledgerd has none for is refused,
  // naming the known ones.
  CHECK_ONLY_PROBLEM(parse(with_tenant("visma", "api_version = \"v9\"\n")),
                     key + "api_version",
                     "unknown Visma API version \"v9\" (known: \"v2\", "
                     "\"v3\")");
  CHECK_ONLY_PROBLEM(parse(with_tenant("fortnox", "api_version = \"v2\"\n")),
                     key + "api_version",
                     "unknown Fortnox API version \"v2\" (known: \"3\")");
  CHECK(parse(with_tenant("visma", "api_version = \"v3\"\n")).ok());
  CHECK_ONLY_PROBLEM(parse(with_tenant("fortnox", "enabled = 1\n")),
                     key + "enabled", "must be a boolean");
  auto no_secret = with_tenant();
  no_secret.replace(no_secret.find("client_secret = \"secret\"\n"), 25, "");
  CHECK_ONLY_PROBLEM(parse(no_secret), key + "client_secret", "is required");
  auto empty_secret = with_tenant();
  empty_secret.replace(empty_secret.find("\"secret\""), 8, "\"\"");
  CHECK_ONLY_PROBLEM(parse(empty_secret), key + "client_secret",
                     "must not be empty");
  // One connection per provider.
  auto twice = with_tenant("visma")
               + "[[tenants.connections]]\nprovider = "
                 "\"visma\"\nclient_id = \"x\"\n"
                 "client_secret = \"y\"\n";
  CHECK_ONLY_PROBLEM(parse(twice), "tenants[0].connections[1].provider",
                     "tenant already has a visma connection "
                     "(tenants[0].connections[0])");
}

// -- sync ---------------------------------------------------------------------

TEST_CASE("sync entities are a non-empty subset without duplicates") {
  auto entities = [](std::string_view list) {
    return parse(with_tenant(
      "fortnox", "[tenants.sync]\nentities = " + std::string{list} + "\n"));
  };
  const std::string key = "tenants[0].sync.entities";
  CHECK_ONLY_PROBLEM(entities("[]"), key, "must name at least one of");
  CHECK_ONLY_PROBLEM(entities("[\"invoices\", \"orders\"]"), key + "[1]",
                     "must be one of customers, invoices (got \"orders\")");
  CHECK_ONLY_PROBLEM(entities("[\"invoices\", \"invoices\"]"), key + "[1]",
                     "lists \"invoices\" twice");
  CHECK_ONLY_PROBLEM(entities("\"invoices\""), key,
                     "must be an array of strings");
}

TEST_CASE("conflict rules and per-field overrides are checked") {
  auto conflicts = [](std::string_view body) {
    return parse(
      with_tenant("fortnox", "[tenants.sync.conflicts]\n" + std::string{body}));
  };
  const std::string key = "tenants[0].sync.conflicts.";
  CHECK_ONLY_PROBLEM(conflicts("default = \"remote-wins\"\n"), key + "default",
                     "must be one of remote_wins, local_wins, last_write_wins, "
                     "manual (got \"remote-wins\")");
  CHECK_ONLY_PROBLEM(conflicts("tie_winner = \"both\"\n"), key + "tie_winner",
                     "must be one of local, remote");
  for (auto bad : {"order.total", "invoice", "invoice.", "invoice.DueDate",
                   "customers.name", ".name"}) {
    INFO(bad);
    auto r
      = conflicts("fields = { \"" + std::string{bad} + "\" = \"manual\" }\n");
    // Keys that are not bare TOML keys are quoted in the path.
    auto bare = std::string_view{bad}.find('.') == std::string_view::npos;
    auto path = key + "fields." + (bare ? bad : "\"" + std::string{bad} + "\"");
    CHECK_ONLY_PROBLEM(r, path,
                       "must name a field as customer.<field> or "
                       "invoice.<field>");
  }
  CHECK_ONLY_PROBLEM(conflicts("fields = { \"invoice.total\" = \"mine\" }\n"),
                     key + "fields.\"invoice.total\"",
                     "must be one of remote_wins");
  CHECK_ONLY_PROBLEM(conflicts("fields = [\"invoice.total\"]\n"),
                     key + "fields", "must be a table of field = rule");
  auto ok = conflicts("[tenants.sync.conflicts.fields]\n\"invoice.due_date\" = "
                      "\"manual\"\n\"customer.deleted\" = \"local_wins\"\n");
  INFO(format_problems(ok.problems()));
  REQUIRE(ok.ok());
  const auto& c = ok.config().tenants.at(0).sync.conflicts;
  CHECK(c.fields.size() == 2);
  CHECK(c.rule_for("customer.deleted") == conflict_rule::local_wins);
}

// -- rate limits --------------------------------------------------------------

TEST_CASE("rate limits are checked") {
  CHECK_ONLY_PROBLEM(parse(minimal + "[rate_limits.fortnox]\nrequests = 0\n"),
                     "rate_limits.fortnox.requests", "must be between 1 and");
  CHECK_ONLY_PROBLEM(
    parse(minimal + "[rate_limits.fortnox]\nmargin = \"5s\"\n"),
    "rate_limits.fortnox.margin", "must be less than the window (5s >= 5s)");
  CHECK_ONLY_PROBLEM(parse(minimal + "[rate_limits.fortnoks]\nrequests = 5\n"),
                     "rate_limits.fortnoks", "did you mean \"fortnox\"?");
  auto r = parse(minimal + "[rate_limits.visma]\nrequests = 500\n");
  REQUIRE(r.ok());
  CHECK(r.config().rate_limits.visma == rate_limit{500, 60s, 20ms});
}

TEST_CASE("per-tenant rate limits override the provider's") {
  auto r = parse(minimal + "[rate_limits.fortnox]\nrequests = 20\n"
                 + with_tenant("fortnox").substr(minimal.size())
                 + "[tenants.rate_limits.fortnox]\nmargin = \"250ms\"\n");
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  const auto& cfg = r.config();
  const auto& t = cfg.tenants.at(0);
  CHECK(t.rate_limits.at(provider_kind::fortnox)
        == rate_limit_override{std::nullopt, std::nullopt, 250ms});
  CHECK(cfg.rate_limit_for(t, provider_kind::fortnox)
        == rate_limit{20, 5s, 250ms});
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("fortnox", "[tenants.rate_limits.visma]\n"
                                 "requests = 100\n")),
    "tenants[0].rate_limits.visma", "tenant has no visma connection");
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("fortnox", "[tenants.rate_limits.fortnox]\n"
                                 "window = \"20ms\"\n")),
    "tenants[0].rate_limits.fortnox.margin",
    "must be less than the window (20ms >= 20ms, margin is "
    "not set)");
}

// -- alerts -------------------------------------------------------------------

TEST_CASE("alert rules parse their condition") {
  auto alert = [](std::string_view condition) {
    return parse(minimal
                 + "[[alerts]]\nname = \"a\"\nmetric = \"ledgerd_jobs\"\n"
                 + "condition = \"" + std::string{condition} + "\"\n");
  };
  struct good {
    std::string_view text;
    compare_op op;
    double threshold;
  };
  for (auto [text, op, threshold] :
       {good{"> 0", compare_op::gt, 0}, good{">=0.5", compare_op::ge, 0.5},
        good{" < 1e3 ", compare_op::lt, 1000},
        good{"<= -2", compare_op::le, -2}, good{"== 7", compare_op::eq, 7}}) {
    INFO(text);
    auto r = alert(text);
    INFO(format_problems(r.problems()));
    REQUIRE(r.ok());
    CHECK(r.config().alerts.at(0).op == op);
    CHECK(r.config().alerts.at(0).threshold == threshold);
  }
  for (auto bad :
       {"=> 5", "> abc", ">", "5 >", "!= 3", "> 5 6", "> inf", "= 5", ""}) {
    INFO(bad);
    CHECK_ONLY_PROBLEM(alert(bad), "alerts[0].condition",
                       "must be an operator (>, >=, <, <= or ==) followed by "
                       "a number");
  }
}

TEST_CASE("alert rules are checked") {
  auto r = parse(minimal + R"([[alerts]]
name = "throttled"
metric = "ledgerd_provider_requests_total"
labels = { provider = "fortnox", status = "429" }
condition = ">= 1"
for = "1m"
severity = "critical"
)");
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  const auto& a = r.config().alerts.at(0);
  CHECK(a.name == "throttled");
  CHECK(a.labels.size() == 2);
  CHECK(a.for_duration == 1min);
  CHECK(a.severity == alert_severity::critical);
  CHECK(a.holds(1));
  CHECK_FALSE(a.holds(0.5));
  auto alert = [](std::string_view body) {
    return parse(minimal + "[[alerts]]\n" + std::string{body});
  };
  CHECK_ONLY_PROBLEM(alert("metric = \"ledgerd_jobs\"\ncondition = \"> 1\"\n"),
                     "alerts[0].name", "is required");
  CHECK_ONLY_PROBLEM(alert("name = \"a\"\ncondition = \"> 1\"\n"),
                     "alerts[0].metric", "is required");
  CHECK_ONLY_PROBLEM(alert("name = \"a\"\nmetric = \"ledgerd_jobs\"\n"),
                     "alerts[0].condition", "is required");
  CHECK_ONLY_PROBLEM(alert("name = \"a\"\nmetric = \"api-calls\"\ncondition = "
                           "\"> 1\"\n"),
                     "alerts[0].metric", "must be a Prometheus metric name");
  CHECK_ONLY_PROBLEM(
    alert("name = \"a\"\nmetric = \"ledgerd_jobs\"\ncondition = \"> 1\"\n"
          "severity = \"page\"\n"),
    "alerts[0].severity",
    "must be one of info, warning, critical (got \"page\")");
  CHECK_ONLY_PROBLEM(
    alert("name = \"a\"\nmetric = \"ledgerd_jobs\"\ncondition = \"> 1\"\n"
          "labels = { \"bad-label\" = \"x\" }\n"),
    "alerts[0].labels.bad-label", "must be a Prometheus label name");
  CHECK_ONLY_PROBLEM(
    alert("name = \"a\"\nmetric = \"ledgerd_jobs\"\ncondition = \"> 1\"\n"
          "for = \"soon\"\n"),
    "alerts[0].for", "(got \"soon\")");
  auto twice
    = minimal
      + "[[alerts]]\nname = \"a\"\nmetric = \"ledgerd_jobs\"\ncondition = \"> "
        "1\"\n[[alerts]]\nname = \"a\"\nmetric = \"ledgerd_actors\"\ncondition "
        "= "
        "\"> 1\"\n";
  CHECK_ONLY_PROBLEM(parse(twice), "alerts[1].name",
                     "duplicate alert name \"a\" (also alerts[0])");
}

TEST_CASE("alert rules name an exported metric and fit its type") {
  auto alert = [](std::string_view body) {
    return parse(minimal + "[[alerts]]\nname = \"a\"\ncondition = \"> 1\"\n"
                 + std::string{body});
  };
  auto ok = alert("metric = \"ledgerd_provider_requests_total\"\n"
                  "ratio_of = { outcome = \"error\" }\nwindow = \"5m\"\n");
  INFO(format_problems(ok.problems()));
  REQUIRE(ok.ok());
  CHECK(ok.config().alerts.at(0).window == 5min);
  CHECK(ok.config().alerts.at(0).ratio_of.at("outcome") == "error");
  auto p95 = alert("metric = \"ledgerd_job_duration_seconds\"\n"
                   "quantile = 0.95\nwindow = \"10m\"\n");
  REQUIRE(p95.ok());
  CHECK(p95.config().alerts.at(0).quantile == 0.95);
  auto worst = alert("metric = \"ledgerd_sync_lag_seconds\"\n"
                     "aggregate = \"max\"\n");
  REQUIRE(worst.ok());
  CHECK(worst.config().alerts.at(0).aggregate_max);
  CHECK_ONLY_PROBLEM(alert("metric = \"ledgerd_api_calls_total\"\n"),
                     "alerts[0].metric", "is not a metric ledgerd exports");
  CHECK_ONLY_PROBLEM(alert("metric = \"ledgerd_jobs\"\n"
                           "labels = { tenant = \"acme\" }\n"),
                     "alerts[0].labels",
                     "\"tenant\" is not a label of ledgerd_jobs");
  CHECK_ONLY_PROBLEM(alert("metric = \"ledgerd_job_duration_seconds\"\n"),
                     "alerts[0].quantile", "is a histogram");
  CHECK_ONLY_PROBLEM(alert("metric = \"ledgerd_jobs\"\nquantile = 0.5\n"),
                     "alerts[0].quantile", "is only for histograms");
  CHECK_ONLY_PROBLEM(alert("metric = \"ledgerd_job_duration_seconds\"\n"
                           "quantile = 1.5\nwindow = \"1m\"\n"),
                     "alerts[0].quantile", "between 0 and 1");
  CHECK_ONLY_PROBLEM(alert("metric = \"ledgerd_jobs\"\nwindow = \"1m\"\n"),
                     "alerts[0].window", "is a gauge");
  CHECK_ONLY_PROBLEM(alert("metric = \"ledgerd_provider_requests_total\"\n"
                           "ratio_of = { outcome = \"error\" }\n"),
                     "alerts[0].ratio_of",
                     "needs a counter metric and a window");
  CHECK_ONLY_PROBLEM(alert("metric = \"ledgerd_jobs\"\naggregate = \"avg\"\n"),
                     "alerts[0].aggregate", "must be sum or max");
}

TEST_CASE("the monitor section sets the alert webhook") {
  auto r = parse(minimal
                 + "[monitor]\ninterval = \"2s\"\n"
                   "alert_webhook = \"http://127.0.0.1:9/hook\"\n"
                   "alert_webhook_attempts = 3\n");
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  CHECK(r.config().monitor.interval == 2s);
  CHECK(r.config().monitor.alert_webhook == "http://127.0.0.1:9/hook");
  CHECK(r.config().monitor.alert_webhook_attempts == 3);
  CHECK_ONLY_PROBLEM(
    parse(minimal + "[monitor]\nalert_webhook = \"ftp://x\"\n"),
    "monitor.alert_webhook", "must be an http");
}

TEST_CASE("a Fortnox service account uses client credentials") {
  auto r = parse(
    with_tenant("fortnox", "credentials = \"client_credentials:29302\"\n"));
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  const auto& c = r.config().tenants.at(0).connections.at(0);
  CHECK(c.credentials.from == credentials_ref::source::client_credentials);
  CHECK(c.credentials.variable == "29302");
  CHECK(to_string(c.credentials) == "client_credentials:29302");
}

TEST_CASE("create defaults are provider fields kept as JSON") {
  auto r = parse(with_tenant("visma",
                             "[tenants.connections.create_defaults]\n"
                             "customer = { TermsOfPaymentId = \"8f9a\","
                             " IsPrivatePerson = false }\n"
                             "invoice = { RotReducedInvoicingType = 0 }\n"));
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  const auto& c = r.config().tenants.at(0).connections.at(0);
  CHECK(nlohmann::json::parse(c.customer_defaults)
        == nlohmann::json{{"TermsOfPaymentId", "8f9a"},
                          {"IsPrivatePerson", false}});
  CHECK(nlohmann::json::parse(c.invoice_defaults)
        == nlohmann::json{{"RotReducedInvoicingType", 0}});
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("visma", "[tenants.connections.create_defaults]\n"
                               "customer = { Labels = [1] }\n")),
    "tenants[0].connections[0].create_defaults.customer.Labels",
    "must be a string, number or boolean");
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("visma", "[tenants.connections.create_defaults]\n"
                               "supplier = { X = 1 }\n")),
    "tenants[0].connections[0].create_defaults.supplier", "unknown key");
}

TEST_CASE("webhook secrets and event stretch are read and checked") {
  auto r = parse(with_tenant(
    "fortnox", "[tenants.sync]\nevent_stretch = 6\n[tenants.webhooks]\n"
               "secrets = [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", "
               "\"whsec_Zm9v\"]\ntolerance = \"1m\"\n"));
  INFO(format_problems(r.problems()));
  REQUIRE(r.ok());
  const auto& t = r.config().tenants.at(0);
  CHECK(t.sync.event_stretch == 6);
  CHECK(t.webhooks.secrets.size() == 2);
  CHECK(t.webhooks.tolerance == 1min);
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("fortnox", "[tenants.webhooks]\nsecrets = "
                                 "[\"whsec_Zm9v\", \"whsec_Zm9v\", "
                                 "\"whsec_Zm9v\"]\n")),
    "tenants[0].webhooks.secrets", "lists at most two secrets");
  CHECK_ONLY_PROBLEM(
    parse(with_tenant("fortnox", "[tenants.webhooks]\n"
                                 "secrets = [\"not b64!\"]\n")),
    "tenants[0].webhooks.secrets[0]", "must be \"whsec_\" followed by base64");
  CHECK_ONLY_PROBLEM(parse(with_tenant("fortnox", "[tenants.sync]\n"
                                                  "event_stretch = 0\n")),
                     "tenants[0].sync.event_stretch", "");
}
