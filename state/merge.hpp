// The three-way merge of one record (customer or invoice) between the local
// tables and a provider: SYNC-PROPERTIES §2.7 "Decision table for ledgerd's
// three-way merge", properties 16-20.
//
// Every canonical field is compared on its own against the base (the last
// state both sides agreed on): a side that did not change a field never
// overwrites a side that did (property 16, no lost update). When both sides
// changed a field to different values, the tenant's policy for that field
// decides, or the record is held as a manual conflict. Deletes take part as a
// pseudo-field of their own, "_deleted", which defaults to manual: a delete
// against a change is never decided silently (property 20).
//
// The merge is a pure function of its arguments (property 17): no clock, no
// I/O, no randomness. Change times are inputs; a last_write_wins decision only
// trusts them when both are known and further apart than the skew margin,
// otherwise the configured tie side wins (property 18). Without a base there is
// nothing to tell which side changed, so last_write_wins is never applied
// silently there: the field becomes a conflict.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ledgerd::state {

using merge_clock = std::chrono::system_clock;

/// How a field that both sides changed to different values is decided.
enum class merge_rule { remote_wins, local_wins, last_write_wins, manual };

/// One side of a sync link.
enum class merge_side { local, remote };

/// "remote_wins", "local_wins", "last_write_wins", "manual".
std::string_view to_string(merge_rule x);

/// "local", "remote".
std::string_view to_string(merge_side x);

/// The pseudo-field of a delete-vs-change decision.
inline constexpr std::string_view deleted_field = "_deleted";

/// A tenant's merge settings for one entity kind.
struct merge_policy {
  merge_rule default_rule = merge_rule::last_write_wins;
  /// Overrides by canonical field name ("email", "rows", "_deleted").
  std::map<std::string, merge_rule, std::less<>> fields;
  /// Fields that default to manual when no override names them
  /// (critical: invoice "total", "vat", "rows", "customer_remote_id",
  /// "currency"). "_deleted" always defaults to manual unless overridden.
  std::set<std::string, std::less<>> critical;
  /// Fields the merge never looks at (ids: "remote_id", "external_ref").
  std::set<std::string, std::less<>> ignored{"remote_id", "external_ref"};
  merge_side tie_winner = merge_side::remote;
  /// last_write_wins only trusts change times further apart than this.
  /// Negative counts as zero.
  std::chrono::milliseconds skew_margin{2000};

  /// The rule for `field`: its override in `fields`; else manual for
  /// "_deleted" and for critical fields; else `default_rule`.
  merge_rule rule_for(std::string_view field) const;
};

/// One side of the record. `present == false`: the side has no record (never
/// created / unknown).
struct merge_side_state {
  /// Canonical object (see canonical.hpp). A missing key equals JSON null.
  nlohmann::json value = nlohmann::json::object();
  bool present = true;
  bool deleted = false;
  /// When this side last changed (local: outbox/updated_at; remote: provider
  /// time, Visma). nullopt = unknown (Fortnox).
  std::optional<merge_clock::time_point> changed_at;
};

struct merge_input {
  /// Last state both sides agreed on; nullopt = no base (first link).
  std::optional<nlohmann::json> base;
  /// Whether the base itself was a deleted (tombstoned) record.
  bool base_deleted = false;
  merge_side_state local;
  merge_side_state remote;
  /// Values a person chose for fields (conflict resolution): they win over
  /// both sides for that field. A "_deleted" entry must be a boolean; it
  /// decides whenever exactly one side is deleted (true: the delete wins,
  /// false: the record lives on with the surviving side's values).
  std::map<std::string, nlohmann::json, std::less<>> resolved;
};

/// A field that needs a person's decision.
struct field_conflict {
  std::string field;
  nlohmann::json base; // null when no base
  nlohmann::json local;
  nlohmann::json remote;

  friend bool operator==(const field_conflict&, const field_conflict&)
    = default;
};

/// Prints e.g. `field_conflict{email, base="a", local="b", remote="c"}`.
std::ostream& operator<<(std::ostream& os, const field_conflict& x);

/// The delete the caller must carry out.
enum class merge_deletion { none, delete_local, delete_remote, both_deleted };

/// "none", "delete_local", "delete_remote", "both_deleted".
std::string_view to_string(merge_deletion x);

std::ostream& operator<<(std::ostream& os, merge_deletion x);

struct merge_result {
  /// The agreed record (new base once both sides hold it). Union of fields of
  /// both sides (ignored fields taken from remote if present else local). For
  /// a held record (conflicts non-empty) it still carries every decided field;
  /// conflicting fields keep the base value (or local when no base).
  nlohmann::json merged = nlohmann::json::object();
  /// Fields whose merged value differs from the remote's: the remote needs an
  /// update. Sorted. "_deleted" here: the remote must be re-created/undeleted.
  /// Conflicting fields are in neither list.
  std::vector<std::string> remote_changes;
  /// Fields whose merged value differs from the local's. Sorted. "_deleted"
  /// here: the local record must be undeleted.
  std::vector<std::string> local_changes;
  /// Manual decisions needed; when non-empty the caller holds the whole record
  /// (writes nothing). Sorted by field.
  std::vector<field_conflict> conflicts;
  merge_deletion deletion = merge_deletion::none;

  bool held() const {
    return !conflicts.empty();
  }

  friend bool operator==(const merge_result&, const merge_result&) = default;
};

/// merge(base, local, remote, policy): pure and deterministic (property 17).
/// Throws std::invalid_argument when a side is not present (the caller takes
/// the create path instead) or when a resolved "_deleted" is not a boolean.
merge_result merge(const merge_input& in, const merge_policy& policy);

/// The fields (sorted) where `a` and `b` differ, ignoring `ignored`; missing
/// key == null. A value that is not an object counts as an empty object.
std::vector<std::string>
changed_fields(const nlohmann::json& a, const nlohmann::json& b,
               const std::set<std::string, std::less<>>& ignored);

} // namespace ledgerd::state
