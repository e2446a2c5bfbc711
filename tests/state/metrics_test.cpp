#include "state/metrics.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <set>

using namespace ledgerd::state;

TEST_CASE("every catalogued metric is well named") {
  std::set<std::string_view> names;
  for (const auto& f : metric_catalogue()) {
    INFO(f.name);
    CHECK(f.name.starts_with("ledgerd_"));
    CHECK(names.insert(f.name).second);
    CHECK_FALSE(f.help.empty());
    // Counters end in _total, and only counters do.
    CHECK((f.type == metric_type::counter) == f.name.ends_with("_total"));
    if (f.type == metric_type::histogram) {
      REQUIRE_FALSE(f.buckets.empty());
      CHECK(std::is_sorted(f.buckets.begin(), f.buckets.end()));
    }
  }
  CHECK(find_metric("ledgerd_jobs") != nullptr);
  CHECK(find_metric("ledgerd_nope") == nullptr);
}

TEST_CASE("a buffer aggregates between flushes and empties on take") {
  metric_buffer b;
  b.add("ledgerd_rate_limit_grants_total", {"fortnox:acme"});
  b.add("ledgerd_rate_limit_grants_total", {"fortnox:acme"}, 2);
  b.add("ledgerd_rate_limit_grants_total", {"visma:x"});
  b.observe("ledgerd_rate_limit_wait_seconds", {"fortnox:acme"}, 0.003);
  b.observe("ledgerd_rate_limit_wait_seconds", {"fortnox:acme"}, 7);
  b.observe("ledgerd_jobs", {"pending", "1"}, 1); // not a histogram: ignored
  auto samples = b.take();
  CHECK(b.empty());
  REQUIRE(samples.size() == 3);
  metric_store s;
  for (const auto& x : samples)
    CHECK(s.apply(x));
  CHECK(s.value("ledgerd_rate_limit_grants_total", {"fortnox:acme"}) == 3);
  CHECK(s.sum("ledgerd_rate_limit_grants_total") == 4);
  auto counts = s.histogram_totals("ledgerd_rate_limit_wait_seconds");
  REQUIRE_FALSE(counts.empty());
  CHECK(counts.front() == 1); // 0.003 <= 0.005
  CHECK(counts.back() == 2);
}

TEST_CASE("the store rejects samples that do not fit the catalogue") {
  metric_store s;
  CHECK_FALSE(s.apply({"ledgerd_unknown_total", {}, 1, {}}));
  CHECK_FALSE(s.apply({"ledgerd_jobs", {"pending"}, 1, {}}));
  CHECK_FALSE(s.apply({"ledgerd_job_attempts", {"pull"}, 1, {1, 2}}));
  CHECK_FALSE(s.set("ledgerd_job_attempts", {"pull"}, 1));
  CHECK(s.prometheus_text().find("ledgerd_unknown") == std::string::npos);
}

TEST_CASE("counters accumulate and gauges hold their last value") {
  metric_store s;
  s.apply({"ledgerd_jobs_finished_total", {"pull", "completed"}, 2, {}});
  s.apply({"ledgerd_jobs_finished_total", {"pull", "completed"}, 3, {}});
  s.apply({"ledgerd_jobs", {"pending", "1"}, 7, {}});
  s.apply({"ledgerd_jobs", {"pending", "1"}, 4, {}});
  CHECK(s.value("ledgerd_jobs_finished_total", {"pull", "completed"}) == 5);
  CHECK(s.value("ledgerd_jobs", {"pending", "1"}) == 4);
  s.set("ledgerd_sync_lag_seconds", {"a", "fortnox", "customer"}, 10);
  s.set("ledgerd_sync_lag_seconds", {"b", "fortnox", "customer"}, 30);
  CHECK(s.sum("ledgerd_sync_lag_seconds") == 40);
  CHECK(s.sum("ledgerd_sync_lag_seconds", {}, true) == 30);
  CHECK(s.sum("ledgerd_sync_lag_seconds", {{"tenant", "a"}}) == 10);
  CHECK(s.sum("ledgerd_sync_lag_seconds", {{"tenant", "zz"}}) == 0);
  s.clear("ledgerd_sync_lag_seconds");
  CHECK(s.sum("ledgerd_sync_lag_seconds") == 0);
}

TEST_CASE("the exposition has help type and cumulative buckets") {
  metric_store s;
  metric_buffer b;
  b.observe("ledgerd_job_attempts", {"push"}, 1);
  b.observe("ledgerd_job_attempts", {"push"}, 3);
  b.observe("ledgerd_job_attempts", {"push"}, 100);
  for (const auto& x : b.take())
    s.apply(x);
  s.set("ledgerd_conflicts_open", {"we\"ird\\ten\nant"}, 2);
  s.set("ledgerd_uptime_seconds", {}, 1.5);
  auto text = s.prometheus_text();
  CHECK(text.find("# HELP ledgerd_job_attempts ") != std::string::npos);
  CHECK(text.find("# TYPE ledgerd_job_attempts histogram\n")
        != std::string::npos);
  CHECK(text.find("ledgerd_job_attempts_bucket{kind=\"push\",le=\"1\"} 1\n")
        != std::string::npos);
  CHECK(text.find("ledgerd_job_attempts_bucket{kind=\"push\",le=\"3\"} 2\n")
        != std::string::npos);
  CHECK(text.find("ledgerd_job_attempts_bucket{kind=\"push\",le=\"+Inf\"} 3\n")
        != std::string::npos);
  CHECK(text.find("ledgerd_job_attempts_sum{kind=\"push\"} 104\n")
        != std::string::npos);
  CHECK(text.find("ledgerd_job_attempts_count{kind=\"push\"} 3\n")
        != std::string::npos);
  CHECK(
    text.find("ledgerd_conflicts_open{tenant=\"we\\\"ird\\\\ten\\nant\"} 2\n")
    != std::string::npos);
  CHECK(text.find("ledgerd_uptime_seconds 1.5\n") != std::string::npos);
}

TEST_CASE("histogram quantiles interpolate within the bucket") {
  std::vector<double> bounds{1, 2, 4};
  // 10 observations: 5 in (0,1], 5 in (1,2].
  CHECK(histogram_quantile(0.5, bounds, {5, 10, 10, 10}) == Approx(1.0));
  CHECK(histogram_quantile(0.75, bounds, {5, 10, 10, 10}) == Approx(1.5));
  // Everything above the last bound: the highest finite bound.
  CHECK(histogram_quantile(0.95, bounds, {0, 0, 0, 4}) == 4);
  CHECK(histogram_quantile(0.95, bounds, {0, 0, 0, 0}) == 0);
  CHECK(histogram_quantile(0.95, bounds, {}) == 0);
}

TEST_CASE("the README documents every metric") {
  std::ifstream in{LEDGERD_SOURCE_DIR "/README.md"};
  REQUIRE(in);
  std::string readme{std::istreambuf_iterator<char>{in}, {}};
  for (const auto& f : metric_catalogue()) {
    INFO(f.name);
    CHECK(readme.find("| `" + std::string{f.name} + "` |")
          != std::string::npos);
  }
}
