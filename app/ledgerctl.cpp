// ledgerctl: operator commands for a ledgerd node.
#include "adapters/http/asio.hpp"
#include "adapters/pg/connection.hpp"
#include "adapters/pg/migrations.hpp"
#include "config/load_config.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <string_view>

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

constexpr std::string_view usage = R"(usage: ledgerctl [--config FILE] COMMAND

commands:
  check-config   validate the configuration (exit 0 valid, 2 invalid)
  url            print the node's base URL from the configuration
  migrate        apply the database migrations now, print the schema version
  status         GET /v1/status from the running node and print it
  health         GET /healthz (exit 0 healthy, 1 otherwise)

--config FILE defaults to $LEDGERD_CONFIG or config/ledgerd.toml.
)";

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

} // namespace

int main(int argc, char** argv) {
  std::string config_path = "config/ledgerd.toml";
  if (auto env = std::getenv("LEDGERD_CONFIG"))
    config_path = env;
  std::string command;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc)
      config_path = argv[++i];
    else if (command.empty() && !arg.starts_with("-"))
      command = arg;
    else {
      std::cerr << usage;
      return exit_bad_config;
    }
  }
  if (command.empty()) {
    std::cerr << usage;
    return exit_bad_config;
  }
  auto loaded = ledgerd::config::load_config(config_path);
  if (!loaded) {
    std::cerr << ledgerd::config::format_problems(loaded.problems());
    return exit_bad_config;
  }
  const auto& cfg = loaded.config();
  if (command == "check-config") {
    std::cout << config_path << ": ok\n";
    return 0;
  }
  if (command == "url") {
    std::cout << base_url(cfg) << '\n';
    return 0;
  }
  if (command == "migrate")
    return migrate_command(cfg);
  if (command == "status")
    return get_command(cfg, "/v1/status");
  if (command == "health")
    return get_command(cfg, "/healthz");
  std::cerr << "ledgerctl: unknown command '" << command << "'\n" << usage;
  return exit_bad_config;
}
