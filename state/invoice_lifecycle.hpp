// The invoice lifecycle (docs/invoice-lifecycle.md): statuses are states of
// a record that is kept, and a local status change becomes the action the
// provider offers for it (Fortnox bookkeep, cancel, credit; Visma convert of
// a draft). Each adapter declares the moves its provider offers as a table of
// lifecycle_rule; plan_transition reads it. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace ledgerd::state {

/// Values of invoice::status (state/canonical.hpp invoice_statuses).
enum class invoice_status : uint8_t {
  draft,
  sent,
  booked,
  paid,
  cancelled,
  credited,
};

std::string_view to_string(invoice_status x);

std::ostream& operator<<(std::ostream& os, invoice_status x);

std::optional<invoice_status> parse_invoice_status(std::string_view x);

/// Whether providers still accept edits of an invoice in this status: a
/// booked, paid, cancelled or credited invoice is an accounting record.
bool editable(invoice_status x);

/// Whether a remote invoice in status `incoming`, which carries the
/// reference of a local invoice linked to another remote record in status
/// `linked`, may be that record's successor: a provider that gives a draft a
/// new record when it leaves draft (Visma's convert, also in its UI). Only a
/// may: the caller confirms that the draft is gone before it moves the link.
bool may_succeed(std::optional<invoice_status> linked,
                 std::optional<invoice_status> incoming);

/// What a provider does to move an invoice between two statuses.
enum class lifecycle_action : uint8_t {
  /// Nothing to send: the statuses agree.
  none,
  /// Book it (Fortnox PUT .../bookkeep).
  bookkeep,
  /// Mark it sent without sending it (Fortnox PUT .../externalprint).
  mark_sent,
  /// Cancel it (Fortnox PUT .../cancel).
  cancel,
  /// Credit it: the provider creates the credit invoice (Fortnox PUT
  /// .../credit).
  credit,
  /// Turn a draft into an invoice (Visma POST customerinvoicedrafts/{id}/
  /// convert): the invoice gets a new remote id.
  convert_draft,
  /// The provider does not offer this move; `note` says why.
  refused,
};

std::string_view to_string(lifecycle_action x);

/// One move a provider offers (or refuses, with the reason people read).
struct lifecycle_rule {
  invoice_status from;
  invoice_status to;
  lifecycle_action action;
  std::string_view note = {};
};

/// What moving `from` -> `to` takes.
struct transition_plan {
  lifecycle_action action = lifecycle_action::none;
  /// Why the provider cannot do it; set exactly when action is refused.
  std::string refusal;
};

/// Looks the move up in `rules`; a move the table does not name is refused
/// with a message naming the provider and both statuses.
transition_plan plan_transition(std::span<const lifecycle_rule> rules,
                                std::string_view provider, invoice_status from,
                                invoice_status to);

} // namespace ledgerd::state
