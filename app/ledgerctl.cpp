// ledgerctl: operator commands for a ledgerd node.
#include "adapters/http/asio.hpp"
#include "adapters/pg/connection.hpp"
#include "adapters/pg/credential_store.hpp"
#include "adapters/pg/job_store.hpp"
#include "adapters/pg/migrations.hpp"
#include "app/ledgerctl_api.hpp"
#include "config/load_config.hpp"
#include "state/priority.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace pg = ledgerd::pg;
using tcp = boost::asio::ip::tcp;

constexpr std::string_view usage = R"(usage: ledgerctl [--config FILE] COMMAND

commands:
  check-config   validate the configuration (exit 0 valid, 2 invalid)
  url            print the node's base URL from the configuration
  migrate        apply the database migrations now, print the schema version
  health         GET /healthz (exit 0 healthy, 1 otherwise)

job queue (straight to the database, for scripts and tests):
  enqueue KIND --tenant T [--provider P] [--priority manual|event|poll|backfill]
          [--payload JSON] [--dedup KEY] [--max-attempts N]
                 enqueue a job; prints its id (an existing one for a
                 pending/processing job with the same dedup key)

provider credentials (straight to the database):
  credentials set TENANT PROVIDER --refresh-token TOKEN
                 store the tokens of an authorization (clears a pending
                 re-authorization); the node refreshes the access token
  credentials show TENANT PROVIDER
                 token expiry, version and whether it needs re-authorization

--config FILE defaults to $LEDGERD_CONFIG or config/ledgerd.toml.
)";

/// Options that take no value.
const std::set<std::string> flag_options{"json", "reconcile"};

constexpr int exit_bad_config = 2;

std::string base_url(const ledgerd::config::node_config& cfg) {
  return "http://" + cfg.node.listen.host + ":"
         + std::to_string(cfg.node.listen.port);
}

// One plain HTTP GET against the node; returns {status, body}.
std::pair<int, std::string> http_get(const std::string& host, uint16_t port,
                                     const std::string& target) {
  boost::asio::io_context ioc;
  tcp::resolver resolver{ioc};
  beast::tcp_stream stream{ioc};
  stream.expires_after(std::chrono::seconds{10});
  stream.connect(resolver.resolve(host, std::to_string(port)));
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, host);
  req.set(bhttp::field::user_agent, "ledgerctl");
  bhttp::write(stream, req);
  beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buf, res);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return {static_cast<int>(res.result_int()), res.body()};
}

int get_command(const ledgerd::config::node_config& cfg,
                const std::string& target) {
  try {
    auto [status, body]
      = http_get(cfg.node.listen.host, cfg.node.listen.port, target);
    std::cout << body << '\n';
    return status == 200 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "ledgerctl: cannot reach " << base_url(cfg) << target << ": "
              << e.what() << '\n';
    return 1;
  }
}

int migrate_command(const ledgerd::config::node_config& cfg) {
  try {
    ledgerd::pg::connection conn{cfg.database.url};
    auto report = ledgerd::pg::migrate(conn);
    std::cout << "schema version " << report.current_version << " ("
              << report.applied.size() << " applied now)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ledgerctl: migrate failed: " << e.what() << '\n';
    return 1;
  }
}

/// Command line: the command, its positional arguments and --key value
/// options.
struct command_line {
  std::string config_path = "config/ledgerd.toml";
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> options;

  std::optional<std::string> option(const std::string& key) const {
    auto i = options.find(key);
    if (i == options.end())
      return std::nullopt;
    return i->second;
  }
};

std::optional<command_line> parse_command_line(int argc, char** argv) {
  command_line cl;
  if (auto env = std::getenv("LEDGERD_CONFIG"))
    cl.config_path = env;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.starts_with("--") && flag_options.count(arg.substr(2)) > 0) {
      cl.options[arg.substr(2)] = "";
    } else if (arg.starts_with("--")) {
      if (i + 1 >= argc)
        return std::nullopt;
      if (arg == "--config")
        cl.config_path = argv[++i];
      else
        cl.options[arg.substr(2)] = argv[++i];
    } else if (cl.command.empty()) {
      cl.command = arg;
    } else {
      cl.args.push_back(arg);
    }
  }
  if (cl.command.empty())
    return std::nullopt;
  return cl;
}

pg::job_store make_store(const ledgerd::config::node_config& cfg) {
  pg::pool_options opts;
  opts.conninfo = cfg.database.url;
  opts.max_size = 1;
  return pg::job_store{std::make_shared<pg::pool>(opts),
                       cfg.database.acquire_timeout};
}

std::chrono::system_clock::time_point now() {
  return std::chrono::system_clock::now();
}

int16_t parse_priority(const std::string& name) {
  auto p = ledgerd::state::parse_job_priority(name);
  if (!p)
    throw std::invalid_argument(
      "--priority must be manual, event, poll or backfill (got " + name + ")");
  return static_cast<int16_t>(*p);
}

int enqueue_command(pg::job_store& store, const command_line& cl) {
  if (cl.args.size() != 1 || !cl.option("tenant"))
    throw std::invalid_argument("usage: enqueue KIND --tenant T [...]");
  ledgerd::job_spec spec;
  spec.kind = cl.args[0];
  spec.tenant = *cl.option("tenant");
  spec.provider = cl.option("provider").value_or("none");
  spec.payload = cl.option("payload").value_or("{}");
  spec.priority = parse_priority(cl.option("priority").value_or("manual"));
  spec.dedup_key = cl.option("dedup").value_or("");
  if (auto n = cl.option("max-attempts"))
    spec.max_attempts = std::stoi(*n);
  auto res = store.enqueue(spec, now());
  std::cout << res.id << (res.created ? " created" : " existing") << '\n';
  return 0;
}

/// The commands that work on the job queue; nullopt: not one of them.
std::optional<int> queue_command(const ledgerd::config::node_config& cfg,
                                 const command_line& cl) {
  if (cl.command != "enqueue")
    return std::nullopt;
  try {
    auto store = make_store(cfg);
    return enqueue_command(store, cl);
  } catch (const std::invalid_argument& e) {
    std::cerr << "ledgerctl: " << e.what() << '\n';
    return exit_bad_config;
  } catch (const std::exception& e) {
    std::cerr << "ledgerctl: " << cl.command << " failed: " << e.what() << '\n';
    return 1;
  }
}

/// The node's address and token: --url/--token, else $LEDGERD_URL and
/// $LEDGERD_API_TOKEN, else the config's listen address and first token.
ledgerd::ctl::api_target
api_target_of(const command_line& cl, const ledgerd::config::node_config* cfg) {
  ledgerd::ctl::api_target t;
  auto env = [](const char* name) -> std::optional<std::string> {
    if (auto v = std::getenv(name); v != nullptr && *v != 0)
      return std::string{v};
    return std::nullopt;
  };
  if (auto url = cl.option("url"))
    t.base_url = *url;
  else if (auto url = env("LEDGERD_URL"))
    t.base_url = *url;
  else if (cfg != nullptr)
    t.base_url = base_url(*cfg);
  while (t.base_url.ends_with('/'))
    t.base_url.pop_back();
  if (auto token = cl.option("token"))
    t.token = *token;
  else if (auto token = env("LEDGERD_API_TOKEN"))
    t.token = *token;
  else if (cfg != nullptr && !cfg->api.tokens.empty())
    t.token = cfg->api.tokens.front();
  return t;
}

int api_command(const command_line& cl,
                const ledgerd::config::node_config* cfg) {
  ledgerd::ctl::api_command cmd;
  cmd.command = cl.command;
  cmd.args = cl.args;
  cmd.options = cl.options;
  cmd.json = cl.options.count("json") > 0;
  return ledgerd::ctl::run_api_command(api_target_of(cl, cfg), cmd);
}

int credentials_command(const ledgerd::config::node_config& cfg,
                        const command_line& cl) {
  if (cl.args.size() != 3 || (cl.args[0] != "set" && cl.args[0] != "show"))
    throw std::invalid_argument(
      "usage: credentials set|show TENANT PROVIDER [--refresh-token TOKEN]");
  const auto& tenant = cl.args[1];
  const auto& provider = cl.args[2];
  if (!cfg.find_tenant(tenant))
    throw std::invalid_argument("no tenant '" + tenant + "' in the config");
  pg::pool_options opts;
  opts.conninfo = cfg.database.url;
  opts.max_size = 1;
  pg::credential_store store{std::make_shared<pg::pool>(opts),
                             cfg.database.acquire_timeout};
  if (cl.args[0] == "set") {
    auto token = cl.option("refresh-token");
    if (!token || token->empty())
      throw std::invalid_argument("credentials set needs --refresh-token");
    store.put(tenant, provider, *token);
    std::cout << "stored tokens of " << tenant << "/" << provider << '\n';
    return 0;
  }
  auto c = store.load(tenant, provider);
  if (!c) {
    std::cout << tenant << "/" << provider << ": no credentials\n";
    return 1;
  }
  auto expires = std::chrono::system_clock::to_time_t(c->expires_at);
  std::cout << tenant << "/" << provider << ": version " << c->version
            << (c->access_token.empty()
                  ? ", no access token"
                  : ", access token expires at " + std::to_string(expires))
            << (c->needs_reauth
                  ? ", NEEDS RE-AUTHORIZATION: " + c->reauth_reason
                  : "")
            << '\n';
  return c->needs_reauth ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
  auto cl = parse_command_line(argc, argv);
  if (!cl) {
    std::cerr << usage << '\n' << ledgerd::ctl::api_usage;
    return exit_bad_config;
  }
  // API commands need no configuration when told where the node is (its
  // token is still taken from it when it loads).
  if (ledgerd::ctl::is_api_command(cl->command) && cl->option("url")) {
    auto loaded = ledgerd::config::load_config(cl->config_path);
    return api_command(*cl, loaded ? &loaded.config() : nullptr);
  }
  auto loaded = ledgerd::config::load_config(cl->config_path);
  if (!loaded) {
    std::cerr << ledgerd::config::format_problems(loaded.problems());
    return exit_bad_config;
  }
  const auto& cfg = loaded.config();
  const auto& command = cl->command;
  if (command == "check-config") {
    std::cout << cl->config_path << ": ok\n";
    return 0;
  }
  if (command == "url") {
    std::cout << base_url(cfg) << '\n';
    return 0;
  }
  if (command == "migrate")
    return migrate_command(cfg);
  if (ledgerd::ctl::is_api_command(command))
    return api_command(*cl, &cfg);
  if (command == "health")
    return get_command(cfg, "/healthz");
  if (auto status = queue_command(cfg, *cl))
    return *status;
  if (command == "credentials") {
    try {
      return credentials_command(cfg, *cl);
    } catch (const std::invalid_argument& e) {
      std::cerr << "ledgerctl: " << e.what() << '\n';
      return exit_bad_config;
    } catch (const std::exception& e) {
      std::cerr << "ledgerctl: credentials failed: " << e.what() << '\n';
      return 1;
    }
  }
  std::cerr << "ledgerctl: unknown command '" << command << "'\n"
            << usage << '\n'
            << ledgerd::ctl::api_usage;
  return exit_bad_config;
}
