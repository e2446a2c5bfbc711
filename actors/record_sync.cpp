#include "actors/record_sync.hpp"

#include "adapters/log.hpp"
#include "adapters/pg/conflict_table.hpp"
#include "state/clock_offset.hpp"
#include "state/iso_time.hpp"
#include "state/pushed_totals.hpp"
#include "state/read_order.hpp"

#include <algorithm>

namespace ledgerd {

using nlohmann::json;

std::string_view to_string(apply_outcome x) {
  switch (x) {
  case apply_outcome::created:
    return "created";
  case apply_outcome::updated:
    return "updated";
  case apply_outcome::unchanged:
    return "unchanged";
  case apply_outcome::deleted:
    return "deleted";
  case apply_outcome::held:
    return "held";
  case apply_outcome::needs_push:
    return "needs_push";
  case apply_outcome::read_only:
    return "read_only";
  case apply_outcome::superseded:
    return "superseded";
  case apply_outcome::reread:
    return "reread";
  case apply_outcome::skipped:
    break;
  }
  return "skipped";
}

bool lock_local(pg::connection& conn, const std::string& entity,
                const std::string& local_id) {
  auto table = entity == "invoice" ? "ledger.invoices" : "ledger.customers";
  // `id = $1::uuid`, not `id::text = $1`: the primary key's index finds the
  // row; a cast of the column would scan the tenant's whole table.
  auto res = conn.exec("sync.lock_local",
                       std::string{"SELECT 1 FROM "} + table
                         + " WHERE id = $1::uuid FOR UPDATE",
                       local_id);
  return res.rows() > 0;
}

std::optional<state::merge_clock::time_point>
remote_change_time(const provider_record& rec) {
  // Fortnox versions are content hashes; only a time parses.
  if (rec.version.size() < 19 || rec.version[4] != '-'
      || rec.version[10] != 'T')
    return std::nullopt;
  // On the provider's clock: moved onto ours (state/clock_offset.hpp).
  if (auto t = state::parse_iso_utc(rec.version))
    return state::on_our_clock(state::merge_clock::time_point{*t},
                               std::chrono::milliseconds{rec.clock_ahead_ms});
  return std::nullopt;
}

state::merge_input merge_input_for(
  const pg::link_row& link, const std::optional<pg::local_record>& local,
  const json& remote, bool remote_deleted,
  std::optional<state::merge_clock::time_point> remote_changed_at) {
  state::merge_input in;
  in.base = link.base;
  if (local) {
    in.local.value = local->canonical;
    in.local.deleted = local->deleted;
    in.local.changed_at = local->changed_at;
  } else {
    // Deleted for real by the app: a delete like a soft one.
    in.local.value = link.base.value_or(json::object());
    in.local.deleted = true;
  }
  in.remote.value = remote_deleted && remote.is_null()
                      ? link.base.value_or(json::object())
                      : remote;
  in.remote.deleted = remote_deleted;
  in.remote.changed_at = remote_changed_at;
  return in;
}

void record_conflicts(pg::connection& conn, const record_context& ctx,
                      const std::string& local_id, const std::string& remote_id,
                      const state::merge_result& m) {
  for (const auto& c : m.conflicts) {
    auto id = pg::open_conflict(conn, ctx.key, local_id, remote_id, c.field,
                                c.base, c.local, c.remote);
    // The alert event of a manual conflict (the monitor turns it into an
    // alert; the record waits for a person).
    log::warn("sync", "conflict needs a decision",
              {{"conflict", id},
               {"tenant", ctx.key.tenant},
               {"provider", ctx.key.provider},
               {"entity", ctx.key.entity},
               {"local_id", local_id},
               {"field", c.field}});
  }
}

state::read_span read_span_of(const provider_record& rec) {
  return {rec.asked_at_us, rec.answered_at_us};
}

bool takes_remote_state(const state::merge_result& m) {
  return m.held() || !m.local_changes.empty()
         || m.deletion == state::merge_deletion::delete_local
         || m.deletion == state::merge_deletion::both_deleted;
}

namespace {

applied_record create_local(pg::connection& conn, const record_context& ctx,
                            const provider_record& rec, const json& remote) {
  auto local_id = pg::write_local(conn, ctx.key, remote, "");
  pg::link_row link;
  link.local_id = local_id;
  link.remote_id = rec.remote_id;
  link.base = remote;
  link.remote_version = rec.version;
  link.status = "linked";
  link.base_read = read_span_of(rec);
  pg::save_link(conn, ctx.key, link);
  return {apply_outcome::created, local_id};
}

/// A record we created whose answer was lost: link it now.
applied_record adopt_in_doubt(pg::connection& conn, const record_context& ctx,
                              pg::link_row link, const provider_record& rec,
                              const json& remote) {
  link.remote_id = rec.remote_id;
  link.status = "linked";
  link.remote_version = rec.version;
  // What was sent is the base (the in_doubt link keeps it): the remote's
  // additions (numbers it assigned) and local edits made since then both
  // show as changes against it when the push merges.
  if (!link.base) {
    auto local = pg::read_local(conn, ctx.key, link.local_id);
    link.base = local ? local->canonical : remote;
  }
  link.base = pushed_base(ctx.key.entity, std::move(*link.base), remote);
  link.base_read = read_span_of(rec);
  pg::save_link(conn, ctx.key, link);
  return {apply_outcome::needs_push, link.local_id};
}

applied_record merge_linked(pg::connection& conn, const record_context& ctx,
                            pg::link_row link, const provider_record& rec,
                            const json& remote) {
  if (link.status == "tombstoned")
    return {apply_outcome::skipped, link.local_id};
  auto order = state::order_of(read_span_of(rec), link.base_read);
  if (order == state::read_order::older)
    return {apply_outcome::superseded, link.local_id};
  if (link.held && pg::open_conflicts_for(conn, ctx.key, link.local_id).size())
    return {apply_outcome::held, link.local_id};
  lock_local(conn, ctx.key.entity, link.local_id);
  auto local = pg::read_local(conn, ctx.key, link.local_id);
  auto in = merge_input_for(link, local, remote, rec.deleted,
                            remote_change_time(rec));
  for (auto& [field, value] :
       pg::pending_resolutions(conn, ctx.key, link.local_id))
    in.resolved.emplace(field, value);
  auto m = state::merge(in, ctx.policy);
  if (order == state::read_order::overlapping && takes_remote_state(m))
    return {apply_outcome::reread, link.local_id};
  if (m.held()) {
    record_conflicts(conn, ctx, link.local_id, rec.remote_id, m);
    return {apply_outcome::held, link.local_id};
  }
  switch (m.deletion) {
  case state::merge_deletion::delete_local:
    if (local && hold_delete_in_use(conn, ctx, link.local_id, rec.remote_id))
      return {apply_outcome::held, link.local_id};
    if (local)
      pg::soft_delete_local(conn, ctx.key.tenant, ctx.key.entity,
                            link.local_id);
    [[fallthrough]];
  case state::merge_deletion::both_deleted:
    link.status = "tombstoned";
    pg::save_link(conn, ctx.key, link);
    return {apply_outcome::deleted, link.local_id};
  case state::merge_deletion::delete_remote:
    return {apply_outcome::needs_push, link.local_id};
  case state::merge_deletion::none:
    break;
  }
  bool local_write = !m.local_changes.empty();
  if (local_write) {
    auto undelete = std::find(m.local_changes.begin(), m.local_changes.end(),
                              state::deleted_field)
                    != m.local_changes.end();
    pg::write_local(conn, ctx.key, m.merged, link.local_id, undelete);
  }
  if (!m.remote_changes.empty()) {
    // The provider refused this local change already: a pull does not ask
    // again (the next local change does), the record stays remote_read_only.
    if (!link.read_only.empty())
      return {local_write ? apply_outcome::updated : apply_outcome::read_only,
              link.local_id};
    return {apply_outcome::needs_push, link.local_id};
  }
  link.base = m.merged;
  link.base_read = read_span_of(rec);
  link.read_only.clear(); // both sides agree again
  link.remote_version = rec.version;
  pg::save_link(conn, ctx.key, link);
  if (!in.resolved.empty())
    pg::mark_resolutions_applied(conn, ctx.key, link.local_id);
  return {local_write ? apply_outcome::updated : apply_outcome::unchanged,
          link.local_id};
}

} // namespace

bool hold_delete_in_use(pg::connection& conn, const record_context& ctx,
                        const std::string& local_id,
                        const std::string& remote_id) {
  if (ctx.key.entity != "customer"
      || !pg::customer_in_use(conn, ctx.key.tenant, local_id))
    return false;
  state::merge_result in_use;
  in_use.conflicts.push_back(
    {std::string{state::deleted_field}, false, false, true});
  record_conflicts(conn, ctx, local_id, remote_id, in_use);
  return true;
}

std::optional<std::string> external_ref_of(const json& canonical) {
  auto ref = canonical.find("external_ref");
  if (ref == canonical.end() || !ref->is_string()
      || ref->get<std::string>().empty())
    return std::nullopt;
  return ref->get<std::string>();
}

json pushed_base(const std::string& entity, json sent, const json& answered) {
  if (entity != "invoice")
    return sent;
  if (answered.is_object() && answered.contains("status"))
    sent["status"] = answered["status"];
  return state::pushed_invoice_base(std::move(sent));
}

applied_record apply_remote(pg::connection& conn, const record_context& ctx,
                            const provider_record& rec) {
  auto remote = rec.canonical.empty() ? json{} : json::parse(rec.canonical);
  // Two pulls may meet on one record (a poll and an event's pull): the
  // second waits here for the first to commit, then finds its link, instead
  // of inserting the record a second time. A row lock cannot do this: there
  // is no link row yet to lock.
  conn.exec("sync.lock_remote",
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            ctx.key.tenant + "/" + ctx.key.provider + "/" + ctx.key.entity + "/"
              + rec.remote_id);
  if (auto link = pg::find_link_by_remote(conn, ctx.key, rec.remote_id, true))
    return merge_linked(conn, ctx, std::move(*link), rec, remote);
  if (rec.deleted)
    return {apply_outcome::skipped, {}};
  if (auto ref = external_ref_of(remote)) {
    auto link = pg::find_link_by_local(conn, ctx.key, *ref, true);
    // Ours, linked to this very record by a push that committed while this
    // lookup waited for its row (the lookup by remote id came before that
    // commit; found by scripts/soak: a pull then linked the record twice).
    if (link && link->remote_id == rec.remote_id)
      return merge_linked(conn, ctx, std::move(*link), rec, remote);
    // Ours, created by a push whose answer never came?
    if (link && link->status == "in_doubt")
      return adopt_in_doubt(conn, ctx, std::move(*link), rec, remote);
    // Ours, a draft that became this record (converted in the provider's
    // UI): the link moves, and the merge takes the new status.
    if (auto old = ctx.successors.find(rec.remote_id);
        link && link->status == "linked" && old != ctx.successors.end()
        && old->second == link->remote_id) {
      link->remote_id = rec.remote_id;
      pg::save_link(conn, ctx.key, *link);
      return merge_linked(conn, ctx, std::move(*link), rec, remote);
    }
  }
  return create_local(conn, ctx, rec, remote);
}

} // namespace ledgerd
