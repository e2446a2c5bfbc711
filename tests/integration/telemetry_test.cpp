// The real ledgerd binary against the simulator: its metrics match the work
// it did (API calls equal the simulator's count, the queue gauges equal the
// jobs table), /metrics passes promtool, the telemetry snapshot and stream
// answer with the admin token, and an alert rule fires and resolves at a
// webhook receiver that fails the first delivery.
#include "adapters/http/server.hpp"
#include "tests/integration/node_fixture.hpp"
#include "tests/support/actor_system_fixture.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <unistd.h>

using namespace ledgerd;
using namespace ledgerd::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string& token = node_api_token;

/// Collects the alert notifications POSTed to it; the first one is refused
/// with a 500, so delivery must retry.
struct alert_receiver {
  std::mutex mtx;
  std::vector<json> accepted;
  int refused = 0;
  http::server srv{http::server_options{"127.0.0.1", 0}};

  alert_receiver() {
    srv.route("POST", "/alerts",
              [this](const http::request& req, http::responder res) {
                std::lock_guard guard{mtx};
                if (refused == 0) {
                  ++refused;
                  res.respond(http::response::text(500, "not yet"));
                  return;
                }
                accepted.push_back(json::parse(req.body));
                res.respond(http::response::text(204, ""));
              });
    srv.start();
  }

  std::vector<json> received() {
    std::lock_guard guard{mtx};
    return accepted;
  }
};

/// The real node, asked over HTTP with or without the admin token.
struct telemetry_fixture : node_fixture {
  using node_fixture::node_fixture;

  http::client_result get(const std::string& path, bool with_token = true) {
    http::client_request req;
    req.url = node_url() + path;
    if (with_token)
      req.headers.emplace_back("Authorization", "Bearer " + token);
    return client.send_sync(req);
  }

  std::string scrape() {
    logged("\n");
    auto res = get("/metrics", false);
    REQUIRE(res.status == 200);
    return res.body;
  }
};

/// The value of the series `name{labels}` (labels as they appear in the
/// text, e.g. `state="pending",priority="0"`), summed over every series of
/// `name` that contains all of `parts`; 0 when none.
double metric(const std::string& text, const std::string& name,
              const std::vector<std::string>& parts = {}) {
  double sum = 0;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    auto series_end = line.find(' ');
    auto series = line.substr(0, series_end);
    auto base = series.substr(0, series.find('{'));
    if (base != name)
      continue;
    bool match = true;
    for (const auto& p : parts)
      if (series.find(p) == std::string::npos)
        match = false;
    if (match)
      sum += std::stod(line.substr(series_end + 1));
  }
  return sum;
}

bool eventually(const std::function<bool()>& pred) {
  return actor_system_fixture::eventually(pred, std::chrono::seconds{90});
}

/// Runs `promtool check metrics` on `text`; returns its exit status and
/// output.
std::pair<int, std::string> promtool_check(const std::string& text) {
  auto path = std::filesystem::temp_directory_path()
              / ("ledgerd-scrape-" + std::to_string(getpid()) + ".txt");
  std::ofstream{path} << text;
  std::string out;
  auto* p = popen(
    ("promtool check metrics < " + path.string() + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[512];
  while (auto n = fread(buf, 1, sizeof buf, p))
    out.append(buf, n);
  auto status = pclose(p);
  std::filesystem::remove(path);
  return {WEXITSTATUS(status), out};
}

} // namespace

TEST_CASE("the metrics match the work the node did", "[telemetry]") {
  telemetry_fixture f{GENERATE(as<std::string>{}, "fortnox", "visma"),
                      "[monitor]\ninterval = \"200ms\"\n"};
  f.seed(30);
  f.start_node();
  REQUIRE(eventually([&] {
    f.logged("\n");
    return f.sql("SELECT count(*) FROM ledger.customers") == "30"
           && f.sql("SELECT count(*) FROM ledgerd.jobs WHERE state IN "
                    "('pending', 'processing')")
                == "0";
  }));
  // Work that waits: three backfills due in a day, and one failed job.
  f.sql("INSERT INTO ledgerd.jobs (tenant, provider, kind, priority, run_at) "
        "SELECT 'acme', '"
        + f.provider
        + "', 'pull', 0, now() + interval '1 day' FROM generate_series(1, 3)");
  f.sql("INSERT INTO ledgerd.jobs (tenant, provider, kind, state, attempt, "
        "last_error, finished_at) VALUES ('acme', '"
        + f.provider + "', 'push', 'failed', 1, 'boom', now())");

  // Every API call the simulator served was counted once, by provider.
  std::string text;
  auto sim_count = f.sim_requests();
  REQUIRE(sim_count > 0);
  auto pulls
    = std::stod(f.sql("SELECT count(*) FROM ledgerd.jobs_done WHERE kind = "
                      "'pull'"));
  // Each actor flushes its counts within a second of counting them.
  CHECK(eventually([&] {
    text = f.scrape();
    return metric(text, "ledgerd_provider_requests_total",
                  {"provider=\"" + f.provider + "\""})
             == static_cast<double>(sim_count)
           && metric(text, "ledgerd_jobs_finished_total",
                     {"kind=\"pull\"", "outcome=\"completed\""})
                == pulls
           && metric(text, "ledgerd_jobs", {"state=\"pending\""}) == 3;
  }));
  INFO(text);
  CHECK(metric(text, "ledgerd_provider_requests_total", {"outcome=\"ok\""})
        == static_cast<double>(sim_count));
  CHECK(metric(text, "ledgerd_provider_request_duration_seconds_count")
        == static_cast<double>(sim_count));
  // Records and jobs as the database has them.
  CHECK(metric(text, "ledgerd_records_synced_total",
               {"direction=\"pull\"", "entity=\"customer\""})
        == 30);
  CHECK(metric(text, "ledgerd_job_latency_seconds_count", {"kind=\"pull\""})
        == pulls);
  CHECK(metric(text, "ledgerd_rate_limit_grants_total")
        >= static_cast<double>(sim_count));
  // The queue gauges are the jobs table, state by state and priority.
  auto rows = json::parse(f.sql(
    "SELECT coalesce(json_agg(json_build_array(state, priority, n)), '[]') "
    "FROM (SELECT state, priority, count(*) AS n FROM ledgerd.jobs "
    "GROUP BY state, priority) q"));
  REQUIRE(rows.size() == 2);
  for (const auto& r : rows)
    CHECK(metric(text, "ledgerd_jobs",
                 {"state=\"" + r[0].get<std::string>() + "\"",
                  "priority=\"" + std::to_string(r[1].get<int>()) + "\""})
          == r[2].get<double>());
  CHECK(metric(text, "ledgerd_actors", {"type=\"tenant\""}) == 1);
  CHECK(metric(text, "ledgerd_actors", {"type=\"provider\""}) == 1);
  CHECK(metric(text, "ledgerd_connections", {"state=\"ok\""}) == 1);

  // A live scrape passes promtool's checks.
  auto [status, output] = promtool_check(text);
  INFO(output);
  CHECK(status == 0);
  CHECK(output.empty());

  // The telemetry snapshot needs the token and tells the same story.
  CHECK(f.get("/v1/telemetry", false).status == 401);
  auto res = f.get("/v1/telemetry");
  REQUIRE(res.status == 200);
  auto t = json::parse(res.body);
  CHECK(t["queue"]["pending"] == 3);
  CHECK(t["queue"]["failed"] == 1);
  CHECK(t["totals"]["api_calls"].get<double>() >= sim_count);
  REQUIRE(t["tenants"].size() == 1);
  CHECK(t["tenants"][0]["state"] == "ok");
  CHECK(t["tenants"][0]["needs_reauth"] == false);
  CHECK_FALSE(t["tenants"][0]["last_sync"].is_null());
  REQUIRE(t["failures"].size() == 1);
  CHECK(t["failures"][0]["error"] == "boom");
  CHECK_FALSE(t["history"].empty());
}

TEST_CASE("the telemetry stream sends a fresh snapshot every second",
          "[telemetry]") {
  telemetry_fixture f{"visma"};
  f.seed(3);
  f.start_node();
  auto url
    = "http://127.0.0.1:" + std::to_string(f.port) + "/v1/telemetry/stream";
  auto* p = popen(
    ("curl -sN --max-time 3.5 -H 'Authorization: Bearer " + token + "' " + url)
      .c_str(),
    "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (auto n = fread(buf, 1, sizeof buf, p))
    out.append(buf, n);
  pclose(p);
  f.logged("\n");
  std::vector<double> uptimes;
  std::istringstream in{out};
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("data: "))
      uptimes.push_back(
        json::parse(line.substr(6))["node"]["uptime_seconds"].get<double>());
  INFO(out.substr(0, 400));
  CHECK(out.find("event: telemetry") != std::string::npos);
  REQUIRE(uptimes.size() >= 3);
  CHECK(uptimes.back() > uptimes.front());
  // Without the token the stream is refused before it starts.
  CHECK(f.get("/v1/telemetry/stream", false).status == 401);
}

TEST_CASE("an alert fires and resolves at the alert webhook",
          "[telemetry][alerts]") {
  alert_receiver receiver;
  auto hook
    = "http://127.0.0.1:" + std::to_string(receiver.srv.port()) + "/alerts";
  telemetry_fixture f{"visma", "[monitor]\ninterval = \"200ms\"\n"
                               "alert_webhook = \""
                                 + hook
                                 + "\"\n"
                                   "[[alerts]]\nname = \"conflicts\"\n"
                                   "metric = \"ledgerd_conflicts_open\"\n"
                                   "condition = \"> 0\"\n"
                                   "severity = \"critical\"\n"};
  f.seed(2);
  f.start_node();
  f.sql("INSERT INTO ledgerd.conflicts (tenant, provider, entity, local_id, "
        "field, local_value, remote_value) VALUES ('acme', 'visma', "
        "'customer', 'c-1', 'name', '\"A\"', '\"B\"')");
  // The first delivery gets a 500: the notifier retries.
  REQUIRE(eventually([&] {
    f.logged("\n");
    return !receiver.received().empty();
  }));
  auto fired = receiver.received().front();
  CHECK(receiver.refused == 1);
  CHECK(fired["rule"] == "conflicts");
  CHECK(fired["state"] == "firing");
  CHECK(fired["severity"] == "critical");
  CHECK(fired["value"] == 1);
  CHECK(f.logged("msg=\"alert firing\" rule=conflicts"));
  auto t = json::parse(f.get("/v1/telemetry").body);
  REQUIRE(t["alerts"].size() == 1);
  CHECK(t["alerts"][0]["rule"] == "conflicts");
  CHECK(metric(f.scrape(), "ledgerd_alerts_firing", {"rule=\"conflicts\""})
        == 1);

  f.sql("UPDATE ledgerd.conflicts SET status = 'resolved', resolution = "
        "'local', resolved_at = now()");
  REQUIRE(eventually([&] {
    f.logged("\n");
    return receiver.received().size() >= 2;
  }));
  auto resolved = receiver.received().at(1);
  CHECK(resolved["rule"] == "conflicts");
  CHECK(resolved["state"] == "resolved");
  CHECK(resolved["value"] == 0);
  CHECK(json::parse(f.get("/v1/telemetry").body)["alerts"].empty());
}
