// The simulator's pure parts: sliding window, offsets, pagination, faults.

#include <catch2/catch.hpp>

#include "sim/event_log.hpp"
#include "sim/fault_schedule.hpp"
#include "sim/pagination.hpp"
#include "sim/sliding_window.hpp"

using namespace ledgerd::sim;
using namespace std::chrono_literals;

TEST_CASE(
  "Sliding window admits limit per window and counts the busiest window") {
  sliding_window w{3, 100ms};
  auto t0 = sliding_window::clock::time_point{} + 1s;
  CHECK(w.try_admit(t0));
  CHECK(w.try_admit(t0 + 10ms));
  CHECK(w.try_admit(t0 + 20ms));
  CHECK_FALSE(w.try_admit(t0 + 30ms));
  CHECK(w.retry_after(t0 + 30ms) == 70ms);
  // The first admission leaves the window exactly 100 ms later.
  CHECK(w.try_admit(t0 + 100ms));
  CHECK_FALSE(w.try_admit(t0 + 105ms));
  CHECK(w.try_admit(t0 + 300ms));
  CHECK(w.admitted() == 5);
  CHECK(w.throttled() == 2);
  CHECK(w.max_in_window() == 3);
}

TEST_CASE("Topic offsets are opaque, ordered and replay strictly after") {
  event_log log;
  auto t = sys_ms{};
  log.append("invoices", "invoice-created-v1", 1, "1", t);
  log.append("invoices", "invoice-updated-v1", 1, "1", t);
  log.append("customers", "customer-created-v1", 1, "9", t);
  log.append("invoices", "invoice-cancelled-v1", 1, "1", t);
  auto a = event_log::encode_offset(2);
  auto b = event_log::encode_offset(36);
  CHECK(a < b);
  CHECK(event_log::decode_offset(b) == 36u);
  CHECK_FALSE(event_log::decode_offset("not an offset"));
  auto after = log.after("invoices", 2);
  REQUIRE(after.size() == 1);
  CHECK(after[0]->type == "invoice-cancelled-v1");
  CHECK(log.after("customers", 0).size() == 1);
}

TEST_CASE("Pagination slices and counts pages") {
  CHECK(paginate(1200, 3, 500).count == 200);
  CHECK(paginate(1200, 3, 500).first == 1000);
  CHECK(paginate(1200, 1, 500).total_pages == 3);
  CHECK(paginate(0, 1, 100).total_pages == 0);
  CHECK(paginate(10, 5, 5).count == 0);
}

TEST_CASE("Fault counts are used up in order and cleared by an empty spec") {
  fault_schedule f{1};
  f.configure({{"reset", {{"count", 1}}}, {"error_burst", {{"count", 1}}}});
  CHECK(f.take_pre("GET") == pre_fault::reset);
  CHECK(f.take_pre("GET") == pre_fault::error_burst);
  CHECK(f.take_pre("GET") == pre_fault::none);
  f.configure({{"drop_response_after_create", {{"count", 1}}}});
  CHECK(f.take_post(false, "POST", 200) == post_fault::none);
  CHECK(f.take_post(true, "POST", 201) == post_fault::drop_response);
  // A method narrows a fault to requests of that method.
  f.configure({{"reset", {{"count", 1}, {"method", "POST"}}},
               {"error_burst", {{"count", 1}, {"method", "PUT"}}}});
  CHECK(f.take_pre("GET") == pre_fault::none);
  CHECK(f.take_pre("PUT") == pre_fault::error_burst);
  CHECK(f.take_pre("POST") == pre_fault::reset);
  CHECK(f.take_pre("POST") == pre_fault::none);
  CHECK_THROWS(f.configure({{"reset", {{"count", 1}, {"method", 7}}}}));
  // Writes that succeeded lose their answer; failed ones and reads do not.
  f.configure({{"drop_response_after_write", {{"count", 2}}}});
  CHECK(f.take_post(false, "GET", 200) == post_fault::none);
  CHECK(f.take_post(false, "PUT", 400) == post_fault::none);
  CHECK(f.take_post(false, "PUT", 200) == post_fault::drop_response);
  CHECK(f.take_post(true, "POST", 201) == post_fault::none);
  CHECK(f.take_post(false, "DELETE", 204) == post_fault::drop_response);
  CHECK(f.take_post(false, "DELETE", 204) == post_fault::none);
  // Switches that stay until cleared.
  f.configure(
    {{"drop_response_after_create", {{"count", 1}, {"foreign_creates", 3}}},
     {"search_lag_ms", 1500},
     {"round_totals", true}});
  CHECK(f.foreign_creates() == 3);
  CHECK(f.search_lag() == 1500ms);
  CHECK(f.round_totals());
  CHECK(f.to_json().at("search_lag_ms") == 1500);
  CHECK_THROWS(f.configure({{"search_lag_ms", -1}}));
  CHECK_THROWS(f.configure(
    {{"drop_response_after_create", {{"count", 1}, {"foreign_creates", -1}}}}));
  f.configure({{"latency_ms", {{"min", 5}, {"max", 9}}}});
  auto l = f.draw_latency();
  CHECK(l >= 5ms);
  CHECK(l <= 9ms);
  f.configure(nlohmann::json::object());
  CHECK(f.draw_latency() == 0ms);
  CHECK_THROWS(f.configure({{"timeout", {{"count", -1}}}}));
}

TEST_CASE("Switch credit_copies_reference falls back to the start value") {
  fault_schedule on{1};
  CHECK(on.credit_copies_reference());
  on.configure({{"credit_copies_reference", false}});
  CHECK_FALSE(on.credit_copies_reference());
  CHECK(on.to_json() == nlohmann::json{{"credit_copies_reference", false}});
  on.configure(nlohmann::json::object());
  CHECK(on.credit_copies_reference());
  fault_schedule off{1, false};
  CHECK_FALSE(off.credit_copies_reference());
  off.configure({{"credit_copies_reference", true}});
  CHECK(off.credit_copies_reference());
  off.configure({{"round_totals", true}});
  CHECK_FALSE(off.credit_copies_reference());
  CHECK_THROWS(off.configure({{"credit_copies_reference", "no"}}));
}
