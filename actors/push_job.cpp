// The push job: one local record -> remote. Creates are idempotent: the
// link is written `in_doubt` before the create is sent, and a link found in
// doubt is looked up by the external reference (the local id) before any
// new create. Updates fetch the remote record, merge it three-way against
// the link's base and write only the merged, mapped fields; the local side
// takes the remote's changes field by field under the row's lock, so an app
// write that lands meanwhile is kept (and pushed by its own job).
#include "actors/record_sync.hpp"
#include "actors/sync_jobs.hpp"
#include "actors/sync_run.hpp"
#include "adapters/pg/conflict_table.hpp"

#include <caf/event_based_actor.hpp>

namespace ledgerd {

namespace {

using nlohmann::json;

class push_run : public sync_run<push_run> {
public:
  using sync_run::sync_run;

  void start() {
    auto payload = json::parse(job_.payload);
    if (!bind(payload))
      return;
    local_id_ = payload.at("local_id").get<std::string>();
    const auto& tenant = env_->tenant(job_.tenant);
    ctx_ = {{job_.tenant, job_.provider, entity_},
            merge_policy_for(tenant, entity_)};
    std::optional<pg::link_row> link;
    std::optional<pg::local_record> local;
    {
      auto conn = db();
      link = pg::find_link_by_local(*conn, ctx_.key, local_id_);
      local = pg::read_local(*conn, ctx_.key, local_id_);
    }
    if (!local || local->deleted)
      return push_delete(link);
    if (link && link->status == "tombstoned")
      return succeed({{"skipped", "the record was deleted on both sides"}});
    if (link && link->status == "linked") {
      remote_id_ = link->remote_id;
      return fetch_remote();
    }
    auto customer = local->canonical.value("customer_remote_id", json{});
    if (entity_ == "invoice" && (!customer.is_string() || customer == ""))
      return wait_for_customer(local->customer_local_id);
    sent_ = local->canonical;
    if (link) // in doubt: an earlier create may have happened
      return find_existing();
    {
      auto conn = db();
      pg::mark_in_doubt(*conn, ctx_.key, local_id_);
    }
    create();
  }

private:
  // -- create -----------------------------------------------------------------

  void wait_for_customer(const std::string& customer_local_id) {
    enqueue(
      "push", {{"entity", "customer"}, {"local_id", customer_local_id}},
      push_key(job_.tenant, job_.provider, "customer", customer_local_id));
    fail(state::job_error::make_retryable(
      "waiting for customer " + customer_local_id + " to reach the provider",
      std::chrono::seconds{2}));
  }

  void find_existing() {
    auto c = call(op_find_external);
    c.local_id = local_id_;
    ask(c, [self = shared_from_this()](provider_result& res) {
      if (!res.ok)
        return self->fail(job_error_of(res.failure));
      if (res.records.empty())
        return self->create();
      self->adopt(std::move(res.records.front()));
    });
  }

  void create() {
    auto c = call(op_create);
    c.canonical = sent_.dump();
    c.local_id = local_id_;
    ask(c, [self = shared_from_this()](provider_result& res) {
      if (res.ok && !res.records.empty())
        return self->adopt(std::move(res.records.front()));
      if (!res.ok && !res.failure.outcome_unknown) {
        // Definitely not created: nothing is in doubt any more.
        auto conn = self->db();
        pg::delete_link(*conn, self->ctx_.key, self->local_id_);
      }
      self->fail(res.ok
                   ? state::job_error::make_retryable("empty create answer")
                   : job_error_of(res.failure));
    });
  }

  /// Links the created (or found) remote record, with what was sent as the
  /// base: what the provider added (numbers, computed totals) then comes
  /// back as remote changes.
  void adopt(provider_record rec) {
    remote_id_ = rec.remote_id;
    {
      auto conn = db();
      pg::link_row link;
      link.local_id = local_id_;
      link.remote_id = rec.remote_id;
      link.base = sent_;
      link.remote_version = rec.version;
      link.status = "linked";
      pg::save_link(*conn, ctx_.key, link);
    }
    created_ = true;
    merge_with(rec);
  }

  // -- update -----------------------------------------------------------------

  void fetch_remote() {
    ask(call(op_get, remote_id_),
        [self = shared_from_this()](provider_result& res) {
          if (res.ok && !res.records.empty())
            return self->merge_with(std::move(res.records.front()));
          if (!res.ok && is_not_found(res.failure)) {
            provider_record gone;
            gone.remote_id = self->remote_id_;
            gone.deleted = true;
            return self->merge_with(std::move(gone));
          }
          self->fail(res.ok ? state::job_error::make_retryable("empty answer")
                            : job_error_of(res.failure));
        });
  }

  void merge_with(provider_record rec) {
    auto conn = db();
    pg::transaction tx{*conn};
    lock_local(*conn, entity_, local_id_);
    auto link = pg::find_link_by_local(*conn, ctx_.key, local_id_, true);
    if (!link || link->status != "linked")
      return fail(state::job_error::make_retryable("link changed meanwhile"));
    auto local = pg::read_local(*conn, ctx_.key, local_id_);
    auto remote = rec.canonical.empty() ? json{} : json::parse(rec.canonical);
    auto in = merge_input_for(*link, local, remote, rec.deleted,
                              remote_change_time(rec));
    for (auto& [field, value] :
         pg::pending_resolutions(*conn, ctx_.key, local_id_))
      in.resolved.emplace(field, value);
    resolved_ = !in.resolved.empty();
    auto m = state::merge(in, ctx_.policy);
    if (m.held()) {
      record_conflicts(*conn, ctx_, local_id_, remote_id_, m);
      tx.commit();
      return succeed({{"held", m.conflicts.size()}});
    }
    switch (m.deletion) {
    case state::merge_deletion::delete_local:
      if (local && !local->deleted)
        pg::soft_delete_local(*conn, job_.tenant, entity_, local_id_);
      [[fallthrough]];
    case state::merge_deletion::both_deleted:
      link->status = "tombstoned";
      pg::save_link(*conn, ctx_.key, *link);
      tx.commit();
      return succeed({{"deleted", "local"}});
    case state::merge_deletion::delete_remote:
      tx.commit();
      return remove_remote();
    case state::merge_deletion::none:
      break;
    }
    if (m.remote_changes.empty()) {
      settle(*conn, *link, m, rec.version);
      tx.commit();
      return succeed(
        {{"created", created_}, {"local_changes", m.local_changes}});
    }
    tx.commit();
    update_remote(std::move(m), rec.raw);
  }

  void update_remote(state::merge_result m, std::string raw) {
    auto c = call(op_update, remote_id_);
    c.canonical = m.merged.dump();
    c.raw = std::move(raw);
    ask(c, [self = shared_from_this(), m](provider_result& res) {
      if (!res.ok)
        return self->fail(job_error_of(res.failure));
      auto version
        = res.records.empty() ? std::string{} : res.records.front().version;
      auto conn = self->db();
      pg::transaction tx{*conn};
      lock_local(*conn, self->entity_, self->local_id_);
      auto link
        = pg::find_link_by_local(*conn, self->ctx_.key, self->local_id_, true);
      if (!link)
        return self->fail(
          state::job_error::make_retryable("link changed meanwhile"));
      self->settle(*conn, *link, m, version);
      tx.commit();
      self->succeed({{"created", self->created_},
                     {"remote_changes", m.remote_changes},
                     {"local_changes", m.local_changes}});
    });
  }

  /// Both sides now hold `m.merged`: the local side takes the remote's
  /// fields (patched onto its current row, so a concurrent app write to
  /// other fields survives) and the base advances.
  void settle(pg::connection& conn, pg::link_row& link,
              const state::merge_result& m, const std::string& version) {
    if (!m.local_changes.empty()) {
      auto local = pg::read_local(conn, ctx_.key, local_id_);
      auto patched = local ? local->canonical : m.merged;
      bool undelete = false;
      for (const auto& f : m.local_changes) {
        if (f == state::deleted_field)
          undelete = true;
        else
          patched[f] = m.merged.value(f, json{});
      }
      pg::write_local(conn, ctx_.key, patched, local_id_, undelete);
    }
    link.base = m.merged;
    if (!version.empty())
      link.remote_version = version;
    pg::save_link(conn, ctx_.key, link);
    if (resolved_)
      pg::mark_resolutions_applied(conn, ctx_.key, local_id_);
  }

  // -- delete -----------------------------------------------------------------

  void push_delete(const std::optional<pg::link_row>& link) {
    if (!link || link->status == "tombstoned")
      return succeed({{"skipped", "nothing to delete remotely"}});
    if (link->status == "in_doubt") {
      // An earlier create may have happened: find it to delete it.
      auto c = call(op_find_external);
      c.local_id = local_id_;
      return ask(c, [self = shared_from_this()](provider_result& res) {
        if (!res.ok)
          return self->fail(job_error_of(res.failure));
        if (res.records.empty()) {
          auto conn = self->db();
          pg::delete_link(*conn, self->ctx_.key, self->local_id_);
          return self->succeed({{"skipped", "never created remotely"}});
        }
        self->adopt(std::move(res.records.front()));
      });
    }
    remote_id_ = link->remote_id;
    fetch_remote();
  }

  void remove_remote() {
    ask(call(op_remove, remote_id_),
        [self = shared_from_this()](provider_result& res) {
          if (!res.ok && !is_not_found(res.failure))
            return self->fail(job_error_of(res.failure));
          auto conn = self->db();
          pg::transaction tx{*conn};
          if (auto link = pg::find_link_by_local(*conn, self->ctx_.key,
                                                 self->local_id_, true)) {
            link->status = "tombstoned";
            pg::save_link(*conn, self->ctx_.key, *link);
          }
          tx.commit();
          self->succeed({{"deleted", "remote"}});
        });
  }

  // -- plumbing ---------------------------------------------------------------

  void succeed(json summary) {
    summary["remote_id"] = remote_id_;
    auto wrote_remote = created_
                        || (summary.contains("remote_changes")
                            && !summary["remote_changes"].empty())
                        || summary.value("deleted", "") == "remote";
    if (wrote_remote)
      count_records(entity_, "push", 1);
    sync_run::succeed(summary);
  }

  std::string local_id_;
  std::string remote_id_;
  record_context ctx_;
  json sent_;
  bool created_ = false;
  bool resolved_ = false;
};

} // namespace

void run_push(caf::event_based_actor* self, const job& j, job_done done,
              std::shared_ptr<const sync_env> env) {
  push_run::launch(self, j, std::move(done), std::move(env));
}

} // namespace ledgerd
