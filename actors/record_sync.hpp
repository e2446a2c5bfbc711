// The database side of syncing one record: three-way merge of the link's
// base, the local row and the remote record, and the local writes that
// follow (links, conflicts, soft deletes), each in the caller's transaction.
// Synchronous and free of actors: the pull and push jobs call these between
// their provider calls.
#pragma once

#include "adapters/pg/connection.hpp"
#include "adapters/pg/link_table.hpp"
#include "adapters/pg/local_records.hpp"
#include "messages/provider.hpp"
#include "state/merge.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ledgerd {

/// What applying one remote record decided.
enum class apply_outcome {
  /// A new local record (and link).
  created,
  /// The local record took remote changes.
  updated,
  /// Nothing to do: both sides agree with the base.
  unchanged,
  /// Deleted (soft) locally or tombstoned.
  deleted,
  /// A manual conflict holds the record.
  held,
  /// The remote side needs a write: a push job must run for `local_id`.
  needs_push,
  /// The remote side needs a write the provider refused already (the link
  /// is remote_read_only): nothing is pushed until the next local change.
  read_only,
  /// A deleted remote record that was never linked.
  skipped,
  /// Read before the read or write behind the link's base was asked: older
  /// than what both sides agreed on since (state/read_order.hpp).
  superseded,
  /// Read while the read or write behind the base was under way, and it
  /// would change something: either may be the newer, so it is read again.
  reread,
};

std::string_view to_string(apply_outcome x);

/// When the call that carried `rec` was asked and answered.
state::read_span read_span_of(const provider_record& rec);

/// True when a merge would take something of the remote's state: a change
/// to write locally, a conflict, a delete. What only goes to the remote
/// does not depend on which remote read is the newer.
bool takes_remote_state(const state::merge_result& m);

struct applied_record {
  apply_outcome outcome = apply_outcome::unchanged;
  std::string local_id;
};

/// Thrown when an invoice names a customer that has no local link yet.
using pg::unlinked_customer;

/// Everything one record's merge needs besides the two sides.
struct record_context {
  pg::link_key key;
  state::merge_policy policy;
  /// Remote id -> the remote id of the draft it succeeds, confirmed gone
  /// (state::may_succeed): apply_remote moves that draft's link to it.
  std::map<std::string, std::string> successors;
};

/// Takes the local row's lock (FOR UPDATE) so no app write slips between
/// the merge's read and its write. False when the row does not exist.
bool lock_local(pg::connection& conn, const std::string& entity,
                const std::string& local_id);

/// Applies `rec` (the remote state) to the local side inside the caller's
/// transaction. Throws on database errors and unlinked_customer.
applied_record apply_remote(pg::connection& conn, const record_context& ctx,
                            const provider_record& rec);

/// The external reference a canonical record carries (the local id of the
/// record ledgerd created it from), or nullopt when it has none.
std::optional<std::string> external_ref_of(const nlohmann::json& canonical);

/// The base to link a record with whose remote side was written from
/// `sent`: `sent` itself, except for an invoice, whose totals the provider
/// computes (state::pushed_invoice_base) and whose status no write carries:
/// the provider starts a created invoice in a status of its own (Fortnox:
/// draft), which `answered` (the provider's canonical answer, when given)
/// tells; a local status that differs then shows as a local change and
/// becomes the provider's lifecycle action.
nlohmann::json pushed_base(const std::string& entity, nlohmann::json sent,
                           const nlohmann::json& answered = nullptr);

/// The provider's change time of `rec` when it carries one (Visma's
/// ChangedUtc/ModifiedUtc as version), for last_write_wins.
std::optional<state::merge_clock::time_point>
remote_change_time(const provider_record& rec);

/// The merge input for a linked record.
state::merge_input merge_input_for(
  const pg::link_row& link, const std::optional<pg::local_record>& local,
  const nlohmann::json& remote, bool remote_deleted,
  std::optional<state::merge_clock::time_point> remote_changed_at);

/// Opens a conflict row per conflict of `m` (the record waits).
void record_conflicts(pg::connection& conn, const record_context& ctx,
                      const std::string& local_id, const std::string& remote_id,
                      const state::merge_result& m);

/// A customer deleted at the provider while a local invoice still names it:
/// deleting it here would orphan that invoice (its push could never
/// succeed), so a `_deleted` conflict is opened for a person to decide (keep
/// it, re-created there, or delete it) and true returned; false for any
/// other record, which the caller may delete.
bool hold_delete_in_use(pg::connection& conn, const record_context& ctx,
                        const std::string& local_id,
                        const std::string& remote_id);

} // namespace ledgerd
