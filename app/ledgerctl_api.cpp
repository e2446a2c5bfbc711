#include "app/ledgerctl_api.hpp"

#include "adapters/http/client.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ledgerd::ctl {

const char* const api_usage
  = R"(node API commands (need the node running; --url URL and --token T override
the config's listen address and first [api] token; --json prints the API's
JSON instead of tables):
  status                       tenants, queue, rate limits and alerts now
  top [--interval 1s] [--iterations N]
                               the same, refreshed until Ctrl-C
  tenants list                 tenants with connection state and lag
  tenants sync T [--entity customer|invoice] [--provider P] [--reconcile]
                               a manual sync (outranks automatic ones)
  jobs list [--state S] [--tenant T] [--kind K] [--batch B] [--limit N]
  jobs retry ID | jobs cancel ID
  batches show ID | batches retry-failed ID
  conflicts list [--status open|resolved] [--tenant T]
  conflicts resolve ID --take local|remote | --value JSON
)";

namespace {

using nlohmann::json;

/// A usage mistake: exit status 2.
struct usage_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// The node could not be asked, or refused: exit status 1.
struct api_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class api_client {
public:
  explicit api_client(api_target target)
    : target_(std::move(target)) {}

  ~api_client() {
    client_.stop();
  }

  /// Sends the request; returns the JSON answer of a 2xx, throws api_error
  /// naming the node's error otherwise.
  json call(const std::string& method, const std::string& path,
            const json& body = nullptr) {
    http::client_request req;
    req.method = method;
    req.url = target_.base_url + path;
    req.total_timeout = std::chrono::seconds{15};
    if (!target_.token.empty())
      req.headers.emplace_back("Authorization", "Bearer " + target_.token);
    if (!body.is_null()) {
      req.body = body.dump();
      req.headers.emplace_back("Content-Type", "application/json");
    }
    auto res = client_.send_sync(std::move(req));
    if (res.status == 0)
      throw api_error{"cannot reach the node at " + target_.base_url + " ("
                      + std::string{http::to_string(res.error)}
                      + (res.message.empty() ? "" : ": " + res.message)
                      + "); is ledgerd running? (--url sets the address)"};
    auto answer = json::parse(res.body, nullptr, false);
    if (res.status / 100 != 2) {
      auto why = answer.is_object() && answer.contains("error")
                   ? answer["error"].get<std::string>()
                   : res.body;
      if (res.status == 401)
        why += " (check --token or [api] tokens)";
      throw api_error{method + " " + path + ": HTTP "
                      + std::to_string(res.status) + ": " + why};
    }
    if (answer.is_discarded())
      throw api_error{method + " " + path + ": the answer is not JSON"};
    return answer;
  }

private:
  api_target target_;
  http::client client_;
};

// -- formatting ---------------------------------------------------------------

std::string text_of(const json& v) {
  if (v.is_null())
    return "-";
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v.get<double>());
    return buf;
  }
  return v.dump();
}

std::string duration_text(const json& seconds) {
  if (!seconds.is_number())
    return "-";
  auto s = static_cast<int64_t>(seconds.get<double>());
  if (s < 60)
    return std::to_string(s) + "s";
  if (s < 3600)
    return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
}

/// Prints rows under a header, columns padded to their widest cell (cells
/// longer than 60 characters are cut).
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 std::vector<std::vector<std::string>> rows) {
  for (auto& row : rows)
    for (auto& cell : row)
      if (cell.size() > 60) {
        cell.resize(57);
        cell.append(3, '.');
      }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows)
      width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      text += cells[c];
      if (c + 1 < cells.size())
        text += std::string(width[c] - cells[c].size() + 2, ' ');
    }
    out << text << '\n';
  };
  line(header);
  for (const auto& row : rows)
    line(row);
  if (rows.empty())
    out << "(none)\n";
}

void print_status(std::ostream& out, const json& t) {
  const auto& node = t["node"];
  out << "node " << text_of(node["id"]) << " " << text_of(node["version"])
      << ", up " << duration_text(node["uptime_seconds"]) << ", at "
      << text_of(t["time"]) << "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& x : t["tenants"])
    rows.push_back({text_of(x["tenant"]), text_of(x["provider"]),
                    text_of(x["state"])
                      + (x["needs_reauth"] == true ? " (RE-AUTHORIZE)" : ""),
                    text_of(x["last_sync"]),
                    duration_text(x["cursor_lag_seconds"]),
                    text_of(x["open_conflicts"])});
  print_table(out,
              {"TENANT", "PROVIDER", "STATE", "LAST SYNC", "LAG", "CONFLICTS"},
              std::move(rows));
  const auto& q = t["queue"];
  const auto& tp = t["throughput"];
  out << "\nqueue: " << text_of(q["pending"]) << " pending, "
      << text_of(q["processing"]) << " processing, " << text_of(q["failed"])
      << " failed; oldest pending "
      << duration_text(q["oldest_pending_seconds"])
      << "\nthroughput: " << text_of(tp["jobs_completed_per_second"])
      << " jobs/s, " << text_of(tp["api_calls_per_second"]) << " API calls/s, "
      << text_of(tp["records_synced_last_hour"])
      << " records in the last hour, p95 sync "
      << text_of(tp["sync_p95_seconds"]) << "s\n\n";
  rows.clear();
  for (const auto& b : t["rate_limits"])
    rows.push_back(
      {text_of(b["bucket"]),
       text_of(b["used_per_minute"]) + " / " + text_of(b["limit_per_minute"]),
       text_of(b["in_flight"]), text_of(b["waiting"]),
       text_of(b["throttled_total"])});
  print_table(out, {"BUCKET", "USED/MIN", "IN FLIGHT", "WAITING", "429s"},
              std::move(rows));
  out << '\n';
  rows.clear();
  for (const auto& a : t["alerts"])
    rows.push_back({text_of(a["rule"]), text_of(a["severity"]),
                    text_of(a["value"]), text_of(a["since"])});
  print_table(out, {"ALERT", "SEVERITY", "VALUE", "SINCE"}, std::move(rows));
}

void print_top_extras(std::ostream& out, const json& t) {
  out << '\n';
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : t["actors"])
    rows.push_back(
      {text_of(a["type"]), text_of(a["count"]), text_of(a["mailbox_max"])});
  print_table(out, {"ACTORS", "COUNT", "MAILBOX"}, std::move(rows));
  out << "restarts: " << text_of(t["supervisor"]["restarts"]) << "\n\n";
  rows.clear();
  for (const auto& f : t["failures"])
    rows.push_back({text_of(f["job_id"]), text_of(f["tenant"]),
                    text_of(f["kind"]), text_of(f["error"])});
  print_table(out, {"FAILED JOB", "TENANT", "KIND", "ERROR"}, std::move(rows));
}

// -- commands -----------------------------------------------------------------

int64_t id_arg(const api_command& cmd, size_t index) {
  if (cmd.args.size() <= index)
    throw usage_error{cmd.command + ": an id is required"};
  const auto& text = cmd.args[index];
  size_t used = 0;
  int64_t id = 0;
  try {
    id = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || id <= 0)
    throw usage_error{cmd.command + ": not an id: " + text};
  return id;
}

std::string sub(const api_command& cmd, const std::set<std::string>& known) {
  if (cmd.args.empty() || known.count(cmd.args[0]) == 0) {
    std::string names;
    for (const auto& k : known)
      names += (names.empty() ? "" : "|") + k;
    throw usage_error{"usage: ledgerctl " + cmd.command + " " + names + " ..."};
  }
  return cmd.args[0];
}

std::string
query(const api_command& cmd,
      const std::vector<std::pair<std::string, std::string>>& option_to_param) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [option, param] : option_to_param)
    if (auto i = cmd.options.find(option); i != cmd.options.end())
      params.emplace_back(param, i->second);
  return params.empty() ? "" : "?" + http::make_query(params);
}

/// Prints `answer` as JSON with --json, else calls `human`.
template<class F>
int show(const api_command& cmd, const json& answer, F human) {
  if (cmd.json)
    std::cout << answer.dump(2) << '\n';
  else
    human(answer);
  return 0;
}

int jobs_command(api_client& api, const api_command& cmd) {
  auto what = sub(cmd, {"list", "retry", "cancel"});
  if (what != "list") {
    auto id = std::to_string(id_arg(cmd, 1));
    auto answer = api.call("POST", "/v1/jobs/" + id + "/" + what);
    return show(cmd, answer, [&](const json&) {
      std::cout << "job " << id
                << (what == "retry" ? " re-enqueued\n" : " cancelled\n");
    });
  }
  auto answer = api.call("GET", "/v1/jobs"
                                  + query(cmd, {{"state", "state"},
                                                {"tenant", "tenant"},
                                                {"kind", "kind"},
                                                {"batch", "batch_id"},
                                                {"limit", "limit"}}));
  return show(cmd, answer, [](const json& a) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& j : a["jobs"])
      rows.push_back({text_of(j["id"]), text_of(j["state"]),
                      text_of(j["tenant"]), text_of(j["provider"]),
                      text_of(j["kind"]), text_of(j["priority"]),
                      text_of(j["attempt"]) + "/" + text_of(j["max_attempts"]),
                      text_of(j["last_error"])});
    print_table(std::cout,
                {"ID", "STATE", "TENANT", "PROVIDER", "KIND", "PRIORITY",
                 "ATTEMPT", "ERROR"},
                std::move(rows));
  });
}

int batches_command(api_client& api, const api_command& cmd) {
  auto what = sub(cmd, {"show", "retry-failed"});
  auto id = std::to_string(id_arg(cmd, 1));
  if (what == "retry-failed") {
    auto answer = api.call("POST", "/v1/batches/" + id + "/retry-failed");
    return show(cmd, answer, [&](const json& a) {
      std::cout << text_of(a["retried"]) << " failed jobs of batch " << id
                << " re-enqueued\n";
    });
  }
  auto answer = api.call("GET", "/v1/batches/" + id);
  return show(cmd, answer, [](const json& b) {
    std::cout << "batch " << text_of(b["id"]) << " of " << text_of(b["tenant"])
              << ": " << text_of(b["state"]) << ", " << text_of(b["completed"])
              << "/" << text_of(b["total"]) << " completed, "
              << text_of(b["failed"]) << " failed\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : b["failures"])
      rows.push_back(
        {text_of(f["job_id"]), text_of(f["kind"]), text_of(f["error"])});
    if (!rows.empty())
      print_table(std::cout, {"FAILED JOB", "KIND", "ERROR"}, std::move(rows));
  });
}

int conflicts_command(api_client& api, const api_command& cmd) {
  auto what = sub(cmd, {"list", "resolve"});
  if (what == "resolve") {
    auto id = std::to_string(id_arg(cmd, 1));
    json body;
    auto take = cmd.options.find("take");
    auto value = cmd.options.find("value");
    if ((take == cmd.options.end()) == (value == cmd.options.end()))
      throw usage_error{"conflicts resolve ID needs --take local|remote or "
                        "--value JSON"};
    if (take != cmd.options.end()) {
      if (take->second != "local" && take->second != "remote")
        throw usage_error{"--take must be local or remote"};
      body = {{"resolution", take->second}};
    } else {
      auto v = json::parse(value->second, nullptr, false);
      if (v.is_discarded())
        throw usage_error{"--value must be JSON (a string needs quotes: "
                          "'\"text\"')"};
      body = {{"resolution", "custom"}, {"value", v}};
    }
    body["by"] = "ledgerctl";
    auto answer = api.call("POST", "/v1/conflicts/" + id + "/resolve", body);
    return show(cmd, answer, [&](const json& a) {
      std::cout << "conflict " << id
                << (a["resolved_now"] == true ? " resolved" : " was resolved")
                << (a["job_id"].is_null()
                      ? std::string{}
                      : "; push job " + text_of(a["job_id"]))
                << '\n';
    });
  }
  auto answer = api.call(
    "GET",
    "/v1/conflicts" + query(cmd, {{"status", "status"}, {"tenant", "tenant"}}));
  return show(cmd, answer, [](const json& a) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : a["conflicts"])
      rows.push_back({text_of(c["id"]), text_of(c["status"]),
                      text_of(c["tenant"]), text_of(c["entity"]),
                      text_of(c["local_id"]), text_of(c["field"]),
                      text_of(c["local_value"]), text_of(c["remote_value"])});
    print_table(std::cout,
                {"ID", "STATUS", "TENANT", "ENTITY", "LOCAL ID", "FIELD",
                 "LOCAL", "REMOTE"},
                std::move(rows));
  });
}

int tenants_command(api_client& api, const api_command& cmd) {
  auto what = sub(cmd, {"list", "sync"});
  if (what == "sync") {
    if (cmd.args.size() != 2)
      throw usage_error{"usage: ledgerctl tenants sync TENANT [...]"};
    json body = json::object();
    for (auto key : {"entity", "provider"})
      if (auto i = cmd.options.find(key); i != cmd.options.end())
        body[key] = i->second;
    if (cmd.options.count("reconcile"))
      body["reconcile"] = true;
    auto answer
      = api.call("POST", "/v1/tenants/" + cmd.args[1] + "/sync", body);
    return show(cmd, answer, [](const json& a) {
      std::cout << "sync requested: batch " << text_of(a["batch_id"])
                << " (ledgerctl batches show " << text_of(a["batch_id"])
                << ")\n";
    });
  }
  auto answer = api.call("GET", "/v1/tenants");
  return show(cmd, answer, [](const json& a) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : a["tenants"])
      for (const auto& c : t["connections"])
        rows.push_back(
          {text_of(t["id"]), text_of(c["provider"]),
           text_of(c["state"])
             + (c["needs_reauth"] == true ? " (RE-AUTHORIZE)" : ""),
           text_of(t["last_sync"]), text_of(t["open_conflicts"])});
    print_table(std::cout,
                {"TENANT", "PROVIDER", "STATE", "LAST SYNC", "CONFLICTS"},
                std::move(rows));
  });
}

volatile std::sig_atomic_t interrupted = 0;

std::chrono::milliseconds interval_option(const api_command& cmd) {
  auto i = cmd.options.find("interval");
  if (i == cmd.options.end())
    return std::chrono::seconds{1};
  auto text = i->second;
  try {
    size_t used = 0;
    auto x = std::stod(text, &used);
    auto unit = text.substr(used);
    auto ms = unit == "ms" ? x : unit == "s" || unit.empty() ? x * 1000 : -1;
    if (ms >= 100)
      return std::chrono::milliseconds{static_cast<int64_t>(ms)};
  } catch (const std::exception&) {
  }
  throw usage_error{"--interval must be a duration of at least 100ms, such "
                    "as 1s or 500ms"};
}

int top_command(api_client& api, const api_command& cmd) {
  auto interval = interval_option(cmd);
  int64_t iterations = -1;
  if (auto i = cmd.options.find("iterations"); i != cmd.options.end())
    iterations = std::stoll(i->second);
  std::signal(SIGINT, [](int) {
    interrupted = 1;
  });
  for (int64_t n = 0; (iterations < 0 || n < iterations) && !interrupted; ++n) {
    auto t = api.call("GET", "/v1/telemetry");
    std::ostringstream screen;
    // Home the cursor and clear: a whole frame at once, no flicker.
    screen << "\x1b[H\x1b[2J";
    if (cmd.json) {
      screen << t.dump() << '\n';
    } else {
      print_status(screen, t);
      print_top_extras(screen, t);
      screen << "\n(refreshing every " << interval.count()
             << " ms; Ctrl-C quits)\n";
    }
    std::cout << screen.str() << std::flush;
    if (iterations >= 0 && n + 1 >= iterations)
      break;
    for (auto slept = std::chrono::milliseconds{0};
         slept < interval && !interrupted;
         slept += std::chrono::milliseconds{50})
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return 0;
}

} // namespace

bool is_api_command(const std::string& command) {
  static const std::set<std::string> names{"status", "top",     "tenants",
                                           "jobs",   "batches", "conflicts"};
  return names.count(command) > 0;
}

int run_api_command(const api_target& target, const api_command& cmd) {
  try {
    api_client api{target};
    if (cmd.command == "status")
      return show(cmd, api.call("GET", "/v1/telemetry"), [](const json& t) {
        print_status(std::cout, t);
      });
    if (cmd.command == "top")
      return top_command(api, cmd);
    if (cmd.command == "tenants")
      return tenants_command(api, cmd);
    if (cmd.command == "jobs")
      return jobs_command(api, cmd);
    if (cmd.command == "batches")
      return batches_command(api, cmd);
    return conflicts_command(api, cmd);
  } catch (const usage_error& e) {
    std::cerr << "ledgerctl: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ledgerctl: " << e.what() << '\n';
    return 1;
  }
}

} // namespace ledgerd::ctl
