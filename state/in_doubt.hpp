// Resolving a write whose answer was lost (SYNC-PROPERTIES.md §5, 1, 1b and
// 2): the lookup by the external reference has listed what the provider
// holds; this decides what the push does next. Pure: the push job gathers
// the candidates (every page, details where list items lack the field) and
// which of them are linked already.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ledgerd::state {

/// A record the lookup found, read from its detail.
struct in_doubt_candidate {
  std::string remote_id;
  /// Its external reference ("" when it has none).
  std::string external_ref;
  /// The local id it is linked to already ("" when none).
  std::string linked_to;

  friend bool operator==(const in_doubt_candidate&, const in_doubt_candidate&)
    = default;
};

enum class in_doubt_action : uint8_t {
  /// The write happened: link `remote_id` (merging against its detail).
  adopt,
  /// The write did not happen: send it again.
  create_again,
  /// Nothing found yet, but the write is too recent for a search to be
  /// believed: look again after `wait`.
  wait,
};

std::string_view to_string(in_doubt_action x);

struct in_doubt_decision {
  in_doubt_action action = in_doubt_action::create_again;
  /// The record to adopt (adopt only).
  std::string remote_id;
  /// How long to wait before looking again (wait only).
  std::chrono::milliseconds wait{0};
  /// Why, for the job's summary and the log: duplicates seen, records with
  /// our reference that are linked elsewhere.
  std::string note;

  friend bool operator==(const in_doubt_decision&, const in_doubt_decision&)
    = default;
};

std::ostream& operator<<(std::ostream& os, const in_doubt_decision& x);

/// Decides for the write of `local_id` that was first sent `age` ago:
/// - a candidate whose external reference equals `local_id` exactly, and
///   that is linked to no other local record, is adopted (the first such,
///   in the provider's order; more than one is noted as duplicates);
/// - a candidate linked to another local id is never adopted, whatever
///   reference it carries;
/// - nothing adoptable and age < settle: wait until the write is `settle`
///   old (a search may lag the provider's store);
/// - otherwise: create again.
in_doubt_decision resolve_in_doubt(std::string_view local_id,
                                   const std::vector<in_doubt_candidate>& found,
                                   std::chrono::milliseconds age,
                                   std::chrono::milliseconds settle);

} // namespace ledgerd::state
