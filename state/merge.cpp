#include "state/merge.hpp"

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <stdexcept>

namespace ledgerd::state {

namespace {

using nlohmann::json;
using string_set = std::set<std::string, std::less<>>;

const json null_value = nullptr;

// The value of `key` in `obj`; null when missing or when `obj` is not an
// object (missing key == null, §2.7).
const json& field_of(const json& obj, std::string_view key) {
  if (!obj.is_object())
    return null_value;
  auto i = obj.find(key);
  return i == obj.end() ? null_value : *i;
}

void add_keys(string_set& out, const json& obj) {
  if (!obj.is_object())
    return;
  for (const auto& item : obj.items())
    out.emplace(item.key());
}

// Whether a last_write_wins decision may trust the two change times: both
// known and further apart than the margin. Computed without overflow for any
// pair of time points (the difference is exact as an unsigned tick count).
std::optional<merge_side> later_side(const merge_side_state& local,
                                     const merge_side_state& remote,
                                     std::chrono::milliseconds margin) {
  if (!local.changed_at || !remote.changed_at)
    return std::nullopt;
  using duration = merge_clock::duration;
  auto l = local.changed_at->time_since_epoch().count();
  auto r = remote.changed_at->time_since_epoch().count();
  auto hi = std::max(l, r);
  auto lo = std::min(l, r);
  auto diff = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  margin = std::max(margin, std::chrono::milliseconds::zero());
  // A margin beyond the clock's range: no two times are ever far enough apart.
  if (margin
      >= std::chrono::duration_cast<std::chrono::milliseconds>(duration::max()))
    return std::nullopt;
  auto margin_ticks = static_cast<uint64_t>(
    std::chrono::duration_cast<duration>(margin).count());
  if (diff <= margin_ticks)
    return std::nullopt;
  return l > r ? merge_side::local : merge_side::remote;
}

// The side a last_write_wins decision picks (both sides changed, base known).
merge_side lww_winner(const merge_input& in, const merge_policy& policy) {
  return later_side(in.local, in.remote, policy.skew_margin)
    .value_or(policy.tie_winner);
}

// The winner of a two-sided difference under `rule`; nullopt = conflict.
// Without a base last_write_wins cannot tell who changed what: conflict.
std::optional<merge_side> decide(merge_rule rule, bool has_base,
                                 const merge_input& in,
                                 const merge_policy& policy) {
  switch (rule) {
  case merge_rule::remote_wins:
    return merge_side::remote;
  case merge_rule::local_wins:
    return merge_side::local;
  case merge_rule::last_write_wins:
    if (!has_base)
      return std::nullopt;
    return lww_winner(in, policy);
  case merge_rule::manual:
    return std::nullopt;
  }
  return std::nullopt;
}

// Copies the ignored fields (ids) into `merged`: the remote's when it has a
// value, else the local's. They are never compared.
void copy_ignored(json& merged, const merge_input& in,
                  const merge_policy& policy) {
  for (const auto& key : policy.ignored) {
    const auto& r = field_of(in.remote.value, key);
    const auto& l = field_of(in.local.value, key);
    if (!r.is_null())
      merged[key] = r;
    else if (!l.is_null())
      merged[key] = l;
    else if (in.remote.value.is_object() && in.remote.value.contains(key))
      merged[key] = r;
    else if (in.local.value.is_object() && in.local.value.contains(key))
      merged[key] = l;
  }
}

// A record built from `source`'s canonical (non-ignored) fields, with the
// person's resolved values on top when `resolved` is set, and the ids.
json record_from(const json& source, const merge_input& in,
                 const merge_policy& policy, bool resolved) {
  json merged = json::object();
  if (source.is_object())
    for (const auto& item : source.items())
      if (!policy.ignored.contains(item.key()))
        merged[item.key()] = item.value();
  if (resolved)
    for (const auto& [key, value] : in.resolved)
      if (key != deleted_field && !policy.ignored.contains(key))
        merged[key] = value;
  copy_ignored(merged, in, policy);
  return merged;
}

void insert_sorted(std::vector<std::string>& xs, std::string_view x) {
  auto i = std::lower_bound(xs.begin(), xs.end(), x);
  if (i == xs.end() || *i != x)
    xs.emplace(i, x);
}

// The record lives on with `winner`'s values; the other side was deleted and
// must be undeleted (re-created), so its list starts with "_deleted".
merge_result undelete(const merge_input& in, const merge_policy& policy,
                      merge_side winner) {
  merge_result result;
  const auto& source
    = winner == merge_side::remote ? in.remote.value : in.local.value;
  result.merged = record_from(source, in, policy, true);
  result.remote_changes
    = changed_fields(result.merged, in.remote.value, policy.ignored);
  result.local_changes
    = changed_fields(result.merged, in.local.value, policy.ignored);
  auto& loser = winner == merge_side::remote ? result.local_changes
                                             : result.remote_changes;
  insert_sorted(loser, deleted_field);
  return result;
}

// A delete goes through: no field writes. The record keeps the surviving
// (unchanged) side's values, or the base's when both are gone.
merge_result delete_outcome(const merge_input& in, const merge_policy& policy,
                            merge_deletion what) {
  merge_result result;
  result.deletion = what;
  const json* source = nullptr;
  switch (what) {
  case merge_deletion::delete_remote: // the local side is the deleted one
    source = &in.remote.value;
    break;
  case merge_deletion::delete_local:
    source = &in.local.value;
    break;
  default:
    source = in.base ? &*in.base : &in.local.value;
    break;
  }
  result.merged = record_from(*source, in, policy, false);
  return result;
}

// Exactly one side is deleted: the "_deleted" pseudo-field differs.
merge_result merge_delete(const merge_input& in, const merge_policy& policy) {
  const bool local_deleted = in.local.deleted;
  const auto deleted_side
    = local_deleted ? merge_side::local : merge_side::remote;
  const auto living_side
    = local_deleted ? merge_side::remote : merge_side::local;
  const auto delete_it = local_deleted ? merge_deletion::delete_remote
                                       : merge_deletion::delete_local;
  auto finish = [&](merge_side winner) {
    return winner == deleted_side ? delete_outcome(in, policy, delete_it)
                                  : undelete(in, policy, living_side);
  };
  // A person's decision.
  if (auto i = in.resolved.find(deleted_field); i != in.resolved.end()) {
    if (!i->second.is_boolean())
      throw std::invalid_argument("merge: resolved \"_deleted\" must be a "
                                  "boolean");
    return finish(i->second.get<bool>() ? deleted_side : living_side);
  }
  if (in.base) {
    // Only the living side changed "_deleted" (the agreed state was a
    // tombstone and that side came back): one-sided change, take it.
    if (in.base_deleted)
      return finish(living_side);
    // Cases 7 and 8: the other side did not touch the record.
    const auto& living = local_deleted ? in.remote.value : in.local.value;
    if (changed_fields(*in.base, living, policy.ignored).empty())
      return finish(deleted_side);
  }
  // Case 9 (or no base): delete against change.
  auto rule = policy.rule_for(deleted_field);
  if (auto winner = decide(rule, in.base.has_value(), in, policy))
    return finish(*winner);
  // Held: the whole record waits for the decision, so nothing is written and
  // the record keeps the base (local without a base).
  merge_result result;
  result.merged
    = record_from(in.base ? *in.base : in.local.value, in, policy, true);
  result.conflicts.push_back(field_conflict{
    std::string{deleted_field}, in.base ? json(in.base_deleted) : json(nullptr),
    json(in.local.deleted), json(in.remote.deleted)});
  return result;
}

// Neither side is deleted: field by field.
merge_result merge_fields(const merge_input& in, const merge_policy& policy) {
  merge_result result;
  string_set keys;
  add_keys(keys, in.local.value);
  add_keys(keys, in.remote.value);
  for (const auto& entry : in.resolved)
    if (entry.first != deleted_field)
      keys.emplace(entry.first);
  const bool has_base = in.base.has_value();
  const json& base = has_base ? *in.base : null_value;
  string_set conflicting;
  for (const auto& key : keys) {
    if (policy.ignored.contains(key))
      continue;
    const auto& l = field_of(in.local.value, key);
    const auto& r = field_of(in.remote.value, key);
    const auto& b = field_of(base, key);
    if (auto i = in.resolved.find(key); i != in.resolved.end()) {
      result.merged[key] = i->second;
      continue;
    }
    if (l == r) { // cases 1 and 4 (echo), or equal without base
      result.merged[key] = l;
      continue;
    }
    if (has_base && l == b) { // case 3
      result.merged[key] = r;
      continue;
    }
    if (has_base && r == b) { // case 2
      result.merged[key] = l;
      continue;
    }
    // Case 5, or case 6 with differing values.
    if (auto winner = decide(policy.rule_for(key), has_base, in, policy)) {
      result.merged[key] = *winner == merge_side::local ? l : r;
      continue;
    }
    result.merged[key] = has_base ? b : l;
    conflicting.emplace(key);
    result.conflicts.push_back(field_conflict{key, b, l, r});
  }
  copy_ignored(result.merged, in, policy);
  auto undecided = [&](const std::string& key) {
    return conflicting.contains(key);
  };
  result.remote_changes
    = changed_fields(result.merged, in.remote.value, policy.ignored);
  std::erase_if(result.remote_changes, undecided);
  result.local_changes
    = changed_fields(result.merged, in.local.value, policy.ignored);
  std::erase_if(result.local_changes, undecided);
  return result;
}

} // namespace

std::string_view to_string(merge_rule x) {
  switch (x) {
  case merge_rule::remote_wins:
    return "remote_wins";
  case merge_rule::local_wins:
    return "local_wins";
  case merge_rule::last_write_wins:
    return "last_write_wins";
  case merge_rule::manual:
    return "manual";
  }
  return "unknown";
}

std::string_view to_string(merge_side x) {
  return x == merge_side::local ? "local" : "remote";
}

std::string_view to_string(merge_deletion x) {
  switch (x) {
  case merge_deletion::none:
    return "none";
  case merge_deletion::delete_local:
    return "delete_local";
  case merge_deletion::delete_remote:
    return "delete_remote";
  case merge_deletion::both_deleted:
    return "both_deleted";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, merge_deletion x) {
  return os << to_string(x);
}

std::ostream& operator<<(std::ostream& os, const field_conflict& x) {
  return os << "field_conflict{" << x.field << ", base=" << x.base.dump()
            << ", local=" << x.local.dump() << ", remote=" << x.remote.dump()
            << '}';
}

merge_rule merge_policy::rule_for(std::string_view field) const {
  if (auto i = fields.find(field); i != fields.end())
    return i->second;
  if (field == deleted_field || critical.contains(field))
    return merge_rule::manual;
  return default_rule;
}

merge_result merge(const merge_input& in, const merge_policy& policy) {
  if (!in.local.present || !in.remote.present)
    throw std::invalid_argument("merge: both sides must hold the record "
                                "(a missing side takes the create path)");
  if (in.local.deleted && in.remote.deleted)
    return delete_outcome(in, policy, merge_deletion::both_deleted); // case 10
  if (in.local.deleted || in.remote.deleted)
    return merge_delete(in, policy); // cases 7, 8, 9
  return merge_fields(in, policy);   // cases 1-6
}

std::vector<std::string>
changed_fields(const nlohmann::json& a, const nlohmann::json& b,
               const std::set<std::string, std::less<>>& ignored) {
  string_set keys;
  add_keys(keys, a);
  add_keys(keys, b);
  std::vector<std::string> result;
  for (const auto& key : keys)
    if (!ignored.contains(key) && field_of(a, key) != field_of(b, key))
      result.push_back(key);
  return result;
}

} // namespace ledgerd::state
