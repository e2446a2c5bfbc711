#include "state/merge.hpp"
#include "state/pushed_totals.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd::state;
using nlohmann::json;

namespace {

const json rows = json::array({{{"description", "Konsult"},
                                {"quantity", "1.5"},
                                {"unit_price", 80025},
                                {"vat_percent", "12"}}});

json invoice(int64_t total, int64_t vat) {
  return {{"customer_remote_id", "7"},
          {"rows", rows},
          {"total", total},
          {"vat", vat}};
}

merge_result merge_pushed(const json& sent, const json& answer) {
  merge_input in;
  in.base = pushed_invoice_base(sent);
  in.local.value = sent;
  in.remote.value = answer;
  merge_policy p;
  p.critical = {"currency", "customer_remote_id", "rows", "total", "vat"};
  return merge(in, p);
}

} // namespace

TEST_CASE("pushed totals: the provider's equal totals are agreed") {
  auto sent = invoice(134442, 14405);
  auto m = merge_pushed(sent, sent);
  CHECK_FALSE(m.held());
  CHECK(m.local_changes.empty());
  CHECK(m.remote_changes.empty());
  CHECK(m.merged["total"] == 134442);
}

TEST_CASE("pushed totals: a provider that computes other totals is held, "
          "never taken") {
  auto sent = invoice(134442, 14405);
  // Rounded to whole kronor, VAT at 25 % instead of 12 %.
  auto answer = invoice(160000, 30012);
  auto m = merge_pushed(sent, answer);
  REQUIRE(m.held());
  REQUIRE(m.conflicts.size() == 2);
  CHECK(m.conflicts[0].field == "total");
  CHECK(m.conflicts[0].local == 134442);
  CHECK(m.conflicts[0].remote == 160000);
  CHECK(m.conflicts[1].field == "vat");
  CHECK(m.conflicts[1].base.is_null());
  // Without the rule the merge would take the provider's totals silently:
  // this is what the base guards against.
  merge_input plain;
  plain.base = sent;
  plain.local.value = sent;
  plain.remote.value = answer;
  merge_policy p;
  p.critical = {"total", "vat"};
  CHECK_FALSE(merge(plain, p).held());
}

TEST_CASE("pushed totals: an invoice stating no totals takes the provider's") {
  auto sent = invoice(0, 0);
  CHECK(pushed_invoice_base(sent) == sent);
  auto m = merge_pushed(sent, invoice(100, 25));
  CHECK_FALSE(m.held());
  CHECK(m.local_changes == std::vector<std::string>{"total", "vat"});
  // Customers and other non-objects pass unchanged.
  CHECK(pushed_invoice_base(json{{"name", "A"}}) == json{{"name", "A"}});
  CHECK(pushed_invoice_base(json{}) == json{});
}
