// The local side of the sync: ledger.customers and ledger.invoices (+ rows)
// read and written as canonical JSON (state/canonical.hpp). Free functions
// on a connection, composable in one transaction with the link, conflict and
// cursor writes of the same merge.
//
// Identity: "external_ref" in canonical JSON is the local id (the uuid the
// provider carries in its external reference field), not the ledger column
// external_ref, which is the company app's own reference and never synced.
// "remote_id" comes from ledgerd.links.
#pragma once

#include "adapters/pg/connection.hpp"
#include "adapters/pg/link_table.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace ledgerd::pg {

using wall_time = std::chrono::system_clock::time_point;

struct local_record {
  std::string local_id;
  /// state::to_json of the record: canonical keys and text.
  json canonical;
  /// deleted_at is set (soft delete).
  bool deleted = false;
  /// updated_at; for invoices the latest of the invoice's and its rows'
  /// updated_at (a removed row leaves no trace here: the outbox's
  /// changed_at does).
  wall_time changed_at;
  /// Invoices only: the customer's local id. When that customer has no
  /// link with a remote id for the provider, canonical's
  /// "customer_remote_id" is "" and this says which customer to push first.
  std::string customer_local_id;
};

/// write_local was given an invoice whose customer (by remote id) has no
/// link for the provider: pull that customer first.
struct unlinked_customer : std::runtime_error {
  explicit unlinked_customer(std::string customer_remote_id);

  std::string remote_id;
};

/// Reads the record of `key.entity` with id `local_id` in `key.tenant` as
/// canonical JSON: "remote_id" is the remote id of its link for
/// (tenant, provider, entity) or null; invoices carry their rows ordered by
/// line_no and "customer_remote_id" as described at local_record. Soft
/// deleted records come back with deleted = true; nullopt when there is no
/// such record (also for a local_id that is not a uuid).
std::optional<local_record> read_local(connection& conn, const link_key& key,
                                       const std::string& local_id);

/// Writes remote state into ledger.*: inserts when `local_id` is empty and
/// returns the new id, else updates the mapped columns of `local_id` (and
/// returns it); unmapped columns (the app's external_ref, created_at, ...)
/// stay as they are, and an update that changes nothing writes nothing (so
/// updated_at stays). "remote_id" and "external_ref" of `canonical` are not
/// written (links and the local id hold them).
///
/// Writes with ledgerd.applying_remote on, so the capture triggers record
/// nothing (echo suppression); the previous setting is restored afterwards,
/// so later writes of the caller's transaction are captured as usual. Runs
/// in the caller's transaction, or in one of its own when there is none.
///
/// Invoices: "customer_remote_id" is resolved to the customer's local id
/// through its link (same tenant and provider); throws unlinked_customer
/// when there is none. The rows are replaced (delete + insert) only when
/// they differ from the stored ones.
///
/// Updating a soft-deleted record clears deleted_at only when `undelete`.
/// Throws std::invalid_argument naming the field when `canonical` is not a
/// valid record of the entity, or when `local_id` does not exist.
std::string write_local(connection& conn, const link_key& key,
                        const json& canonical, const std::string& local_id,
                        bool undelete = false);

/// Soft-deletes the record (deleted_at = now()) without capturing it in the
/// outbox (applying_remote, as write_local). No-op when it is already
/// deleted or does not exist.
void soft_delete_local(connection& conn, const std::string& tenant,
                       const std::string& entity, const std::string& local_id);

/// Whether a live (not deleted) local invoice names customer `local_id`.
bool customer_in_use(connection& conn, const std::string& tenant,
                     const std::string& local_id);

} // namespace ledgerd::pg
