#include "state/invoice_lifecycle.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd::state;

namespace {

constexpr lifecycle_rule rules[] = {
  {invoice_status::draft, invoice_status::booked, lifecycle_action::bookkeep},
  {invoice_status::booked, invoice_status::cancelled, lifecycle_action::refused,
   "credit it instead"},
};

} // namespace

TEST_CASE("Invoice statuses read and print alike") {
  for (auto name : {"draft", "sent", "booked", "paid", "cancelled", "credited"})
    CHECK(to_string(*parse_invoice_status(name)) == name);
  CHECK_FALSE(parse_invoice_status("voided"));
  CHECK(editable(invoice_status::draft));
  CHECK(editable(invoice_status::sent));
  CHECK_FALSE(editable(invoice_status::booked));
  CHECK_FALSE(editable(invoice_status::credited));
}

TEST_CASE("A transition is what the provider's table says") {
  auto p = [](invoice_status from, invoice_status to) {
    return plan_transition(rules, "Acme", from, to);
  };
  CHECK(p(invoice_status::draft, invoice_status::draft).action
        == lifecycle_action::none);
  CHECK(p(invoice_status::draft, invoice_status::booked).action
        == lifecycle_action::bookkeep);
  CHECK(p(invoice_status::draft, invoice_status::booked).refusal.empty());
  auto refused = p(invoice_status::booked, invoice_status::cancelled);
  CHECK(refused.action == lifecycle_action::refused);
  CHECK(refused.refusal == "credit it instead");
  auto unknown = p(invoice_status::paid, invoice_status::draft);
  CHECK(unknown.action == lifecycle_action::refused);
  CHECK(unknown.refusal
        == "Acme offers no change of an invoice from paid to draft");
}
