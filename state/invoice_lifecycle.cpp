#include "state/invoice_lifecycle.hpp"

#include <array>

namespace ledgerd::state {

namespace {

constexpr std::array<std::string_view, 6> status_names{
  "draft", "sent", "booked", "paid", "cancelled", "credited"};

} // namespace

std::string_view to_string(invoice_status x) {
  return status_names.at(static_cast<size_t>(x));
}

std::ostream& operator<<(std::ostream& os, invoice_status x) {
  return os << to_string(x);
}

std::optional<invoice_status> parse_invoice_status(std::string_view x) {
  for (size_t i = 0; i < status_names.size(); ++i)
    if (status_names[i] == x)
      return static_cast<invoice_status>(i);
  return std::nullopt;
}

bool editable(invoice_status x) {
  return x == invoice_status::draft || x == invoice_status::sent;
}

bool may_succeed(std::optional<invoice_status> linked,
                 std::optional<invoice_status> incoming) {
  return linked == invoice_status::draft && incoming
         && *incoming != invoice_status::draft;
}

std::string_view to_string(lifecycle_action x) {
  switch (x) {
  case lifecycle_action::none:
    return "none";
  case lifecycle_action::bookkeep:
    return "bookkeep";
  case lifecycle_action::mark_sent:
    return "mark_sent";
  case lifecycle_action::cancel:
    return "cancel";
  case lifecycle_action::credit:
    return "credit";
  case lifecycle_action::convert_draft:
    return "convert_draft";
  case lifecycle_action::refused:
    break;
  }
  return "refused";
}

transition_plan plan_transition(std::span<const lifecycle_rule> rules,
                                std::string_view provider, invoice_status from,
                                invoice_status to) {
  if (from == to)
    return {};
  for (const auto& r : rules)
    if (r.from == from && r.to == to) {
      if (r.action != lifecycle_action::refused)
        return {r.action, {}};
      return {lifecycle_action::refused, std::string{r.note}};
    }
  return {lifecycle_action::refused, std::string{provider}
                                       + " offers no change of an invoice from "
                                       + std::string{to_string(from)} + " to "
                                       + std::string{to_string(to)}};
}

} // namespace ledgerd::state
