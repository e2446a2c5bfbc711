#include "sim/fault_schedule.hpp"

#include <stdexcept>

namespace ledgerd::sim {

namespace {

int count_of(const nlohmann::json& spec, const char* name) {
  if (!spec.contains(name))
    return 0;
  const auto& f = spec.at(name);
  if (!f.is_object() || !f.contains("count") || !f["count"].is_number_integer()
      || f["count"].get<int>() < 0)
    throw std::invalid_argument(std::string{name}
                                + " needs {\"count\": N} with N >= 0");
  return f["count"].get<int>();
}

std::string method_of(const nlohmann::json& spec, const char* name) {
  if (!spec.contains(name) || !spec.at(name).contains("method"))
    return {};
  const auto& m = spec.at(name).at("method");
  if (!m.is_string())
    throw std::invalid_argument(std::string{name}
                                + ".method must be an HTTP method");
  return m.get<std::string>();
}

// A header value: a non-empty string without line breaks.
std::string header_of(const nlohmann::json& spec, const char* name) {
  if (!spec.contains(name))
    return {};
  const auto& v = spec.at(name);
  if (!v.is_string() || v.get<std::string>().empty()
      || v.get<std::string>().find_first_of("\r\n") != std::string::npos)
    throw std::invalid_argument(std::string{name}
                                + " needs a header value (a string)");
  return v.get<std::string>();
}

bool take(int& counter) {
  if (counter <= 0)
    return false;
  --counter;
  return true;
}

} // namespace

one_shot_actions fault_schedule::configure(const nlohmann::json& spec) {
  if (!spec.is_object())
    throw std::invalid_argument("faults must be a JSON object");
  fault_schedule next{0, credit_default_};
  next.rng_ = rng_;
  if (spec.contains("latency_ms")) {
    const auto& l = spec["latency_ms"];
    int lo = l.value("min", 0);
    int hi = l.value("max", lo);
    if (lo < 0 || hi < lo)
      throw std::invalid_argument("latency_ms needs 0 <= min <= max");
    next.latency_ = std::pair{lo, hi};
  }
  next.error_burst_ = count_of(spec, "error_burst");
  if (spec.contains("error_burst"))
    next.error_status_ = spec["error_burst"].value("status", 503);
  next.error_method_ = method_of(spec, "error_burst");
  next.timeout_ = count_of(spec, "timeout");
  next.timeout_method_ = method_of(spec, "timeout");
  next.reset_ = count_of(spec, "reset");
  next.reset_method_ = method_of(spec, "reset");
  next.truncate_ = count_of(spec, "truncate");
  next.drop_after_create_ = count_of(spec, "drop_response_after_create");
  if (spec.contains("drop_response_after_create")) {
    const auto& d = spec["drop_response_after_create"];
    next.foreign_creates_ = d.value("foreign_creates", 0);
    if (next.foreign_creates_ < 0)
      throw std::invalid_argument("foreign_creates must be >= 0");
  }
  next.drop_after_write_ = count_of(spec, "drop_response_after_write");
  next.slow_answer_ = count_of(spec, "slow_answer");
  if (spec.contains("slow_answer")) {
    const auto& s = spec["slow_answer"];
    auto ms = s.value("ms", -1);
    if (!s.contains("path") || !s["path"].is_string() || ms < 0)
      throw std::invalid_argument(
        "slow_answer needs {\"path\": \"/fortnox/3/...\", \"ms\": N, "
        "\"count\": N}");
    next.slow_answer_path_ = s["path"].get<std::string>();
    next.slow_answer_ms_ = std::chrono::milliseconds{ms};
  }
  if (spec.contains("search_lag_ms")) {
    const auto& l = spec["search_lag_ms"];
    if (!l.is_number_integer() || l.get<int>() < 0)
      throw std::invalid_argument("search_lag_ms needs an integer >= 0");
    next.search_lag_ = std::chrono::milliseconds{l.get<int>()};
  }
  next.round_totals_ = spec.value("round_totals", false);
  next.loose_search_ = spec.value("loose_search", false);
  next.credit_copies_reference_
    = spec.value("credit_copies_reference", credit_default_);
  if (spec.contains("rename_field")) {
    const auto& r = spec["rename_field"];
    next.rename_ = field_rename{r.value("provider", "fortnox"),
                                r.at("from").get<std::string>(),
                                r.at("to").get<std::string>()};
  }
  next.deprecation_ = header_of(spec, "deprecation_header");
  next.sunset_ = header_of(spec, "sunset_header");
  one_shot_actions out;
  out.websocket_disconnect = spec.value("websocket_disconnect", false);
  out.expire_tokens = spec.value("expire_tokens", false);
  *this = std::move(next);
  return out;
}

pre_fault fault_schedule::take_pre(const std::string& method) {
  if ((reset_method_.empty() || reset_method_ == method) && take(reset_))
    return pre_fault::reset;
  if ((timeout_method_.empty() || timeout_method_ == method) && take(timeout_))
    return pre_fault::timeout;
  if ((error_method_.empty() || error_method_ == method) && take(error_burst_))
    return pre_fault::error_burst;
  return pre_fault::none;
}

post_fault fault_schedule::take_post(bool created, const std::string& method,
                                     int status) {
  if (created && take(drop_after_create_))
    return post_fault::drop_response;
  bool wrote
    = (method == "PUT" || method == "DELETE" || (method == "POST" && !created))
      && status >= 200 && status < 300;
  if (wrote && take(drop_after_write_))
    return post_fault::drop_response;
  if (take(truncate_))
    return post_fault::truncate;
  return post_fault::none;
}

std::optional<std::chrono::milliseconds>
fault_schedule::take_slow_answer(const std::string& method,
                                 const std::string& path) {
  if (method != "GET" || path != slow_answer_path_ || !take(slow_answer_))
    return std::nullopt;
  return slow_answer_ms_;
}

std::vector<std::pair<std::string, std::string>>
fault_schedule::announcements() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!deprecation_.empty())
    out.emplace_back("Deprecation", deprecation_);
  if (!sunset_.empty())
    out.emplace_back("Sunset", sunset_);
  return out;
}

std::chrono::milliseconds fault_schedule::draw_latency() {
  if (!latency_)
    return std::chrono::milliseconds{0};
  std::uniform_int_distribution<int> d{latency_->first, latency_->second};
  return std::chrono::milliseconds{d(rng_)};
}

nlohmann::json fault_schedule::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (latency_)
    j["latency_ms"] = {{"min", latency_->first}, {"max", latency_->second}};
  if (error_burst_ > 0) {
    j["error_burst"] = {{"status", error_status_}, {"count", error_burst_}};
    if (!error_method_.empty())
      j["error_burst"]["method"] = error_method_;
  }
  auto counted = [&](const char* name, int n, const std::string& method) {
    if (n <= 0)
      return;
    j[name] = {{"count", n}};
    if (!method.empty())
      j[name]["method"] = method;
  };
  counted("timeout", timeout_, timeout_method_);
  counted("reset", reset_, reset_method_);
  counted("truncate", truncate_, {});
  counted("drop_response_after_write", drop_after_write_, {});
  if (drop_after_create_ > 0)
    j["drop_response_after_create"]
      = {{"count", drop_after_create_}, {"foreign_creates", foreign_creates_}};
  if (slow_answer_ > 0)
    j["slow_answer"] = {{"path", slow_answer_path_},
                        {"ms", slow_answer_ms_.count()},
                        {"count", slow_answer_}};
  if (search_lag_.count() > 0)
    j["search_lag_ms"] = search_lag_.count();
  if (round_totals_)
    j["round_totals"] = true;
  if (loose_search_)
    j["loose_search"] = true;
  if (!credit_copies_reference_)
    j["credit_copies_reference"] = false;
  if (!deprecation_.empty())
    j["deprecation_header"] = deprecation_;
  if (!sunset_.empty())
    j["sunset_header"] = sunset_;
  if (rename_)
    j["rename_field"] = {{"provider", rename_->provider},
                         {"from", rename_->from},
                         {"to", rename_->to}};
  return j;
}

void rename_keys(nlohmann::json& j, const std::string& from,
                 const std::string& to) {
  if (j.is_array()) {
    for (auto& x : j)
      rename_keys(x, from, to);
    return;
  }
  if (!j.is_object())
    return;
  for (auto& [k, v] : j.items())
    rename_keys(v, from, to);
  if (j.contains(from)) {
    auto v = std::move(j[from]);
    j.erase(from);
    j[to] = std::move(v);
  }
}

} // namespace ledgerd::sim
