// The push job: one local record -> remote. Creates are idempotent: the
// link is written `in_doubt` (with what is sent) before the create is sent,
// and a link found in doubt is resolved before any new create: every page
// of the provider's lookup by the external reference (the local id), the
// detail of each item that lacks the field, an exact comparison, and
// state::resolve_in_doubt to adopt, wait or create again. Updates fetch the
// remote record, merge it three-way against the link's base and write only the
// merged, mapped fields; the local side takes the remote's changes field by
// field under the row's lock, so an app write that lands meanwhile is kept (and
// pushed by its own job).
#include "actors/record_sync.hpp"
#include "actors/sync_jobs.hpp"
#include "actors/sync_run.hpp"
#include "adapters/log.hpp"
#include "adapters/pg/conflict_table.hpp"
#include "state/in_doubt.hpp"
#include "state/invoice_lifecycle.hpp"
#include "state/iso_time.hpp"
#include "state/read_order.hpp"

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
            merge_policy_for(tenant, entity_),
            {}};
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
    sent_ = local->canonical;
    customer_local_id_ = local->customer_local_id;
    // In doubt: an earlier create may have happened. Finding it needs no
    // customer, so it is not held up by one waiting for review (found by
    // scripts/soak: a draft created before its customer got a conflict
    // stayed unlinked for as long as the conflict was open).
    if (link)
      return resolve_in_doubt(*link, after_lookup::create);
    create_when_ready();
  }

private:
  // -- create -----------------------------------------------------------------

  /// An invoice needs its customer's remote id. While the customer's push
  /// is queued or running, the invoice waits without using up attempts; a
  /// customer push that failed for good fails the invoice's try, naming why.
  void wait_for_customer(const std::string& customer_local_id) {
    auto key
      = push_key(job_.tenant, job_.provider, "customer", customer_local_id);
    // Waiting for a person's decision is not the job's failure.
    if (customer_held(customer_local_id))
      return fail(state::job_error::make_waiting(
        "customer " + customer_local_id
          + " is held for review (open conflicts)",
        std::chrono::seconds{60}));
    auto dependency = env_->jobs->newest_by_dedup_key(key);
    if (dependency && dependency->state == "failed")
      return fail(state::job_error::make_retryable(
        "customer " + customer_local_id
          + " could not be pushed: " + dependency->last_error,
        std::chrono::seconds{30}));
    if (!dependency)
      enqueue("push", {{"entity", "customer"}, {"local_id", customer_local_id}},
              key);
    fail(state::job_error::make_waiting(
      "waiting for customer " + customer_local_id + " to reach the provider",
      std::chrono::seconds{2}));
  }

  /// Creates the record, unless it is an invoice whose customer has no
  /// remote id yet or is held for review: then it waits for the customer.
  void create_when_ready() {
    auto customer = sent_.value("customer_remote_id", json{});
    if (entity_ == "invoice"
        && (!customer.is_string() || customer == ""
            || customer_held(customer_local_id_))) {
      // A lookup that decided "create again" found no earlier create: the
      // next try need not look again.
      if (!in_doubt_.local_id.empty())
        drop_in_doubt_link();
      return wait_for_customer(customer_local_id_);
    }
    create();
  }

  /// Nothing is in doubt any more: no create of this record happened.
  void drop_in_doubt_link() {
    auto conn = db();
    fence(*conn);
    pg::delete_link(*conn, ctx_.key, local_id_);
  }

  /// The invoice's customer has open conflicts (say, deleted at the
  /// provider while this invoice named it): its remote id may be dead.
  bool customer_held(const std::string& customer_local_id) {
    auto conn = db();
    auto link = pg::find_link_by_local(
      *conn, {job_.tenant, job_.provider, "customer"}, customer_local_id);
    return link && link->held;
  }

  void create() {
    {
      auto conn = db();
      fence(*conn);
      pg::mark_in_doubt(*conn, ctx_.key, local_id_, sent_);
    }
    auto c = call(op_create);
    c.canonical = sent_.dump();
    c.local_id = local_id_;
    ask(c, [self = shared_from_this()](provider_result& res) {
      if (res.ok && !res.records.empty())
        return self->adopt(std::move(res.records.front()), self->sent_);
      if (!res.ok && !res.failure.outcome_unknown)
        self->drop_in_doubt_link(); // definitely not created
      if (!res.ok && self->entity_ == "invoice" && !res.failure.retryable
          && !res.failure.outcome_unknown)
        return self->check_customer(job_error_of(res.failure));
      self->fail(res.ok
                   ? state::job_error::make_retryable("empty create answer")
                   : job_error_of(res.failure));
    });
  }

  /// An invoice the provider refused: its customer may be gone there
  /// (deleted in the provider's UI before ledgerd saw it), and then the
  /// refusal is no fault of the invoice's. A gone customer gets a named
  /// pull (which holds it for a person's decision, see record_sync) and the
  /// invoice waits; otherwise the refusal stands.
  void check_customer(state::job_error refusal) {
    auto customer = sent_.value("customer_remote_id", std::string{});
    if (customer.empty())
      return fail(std::move(refusal));
    auto c = call(op_get, customer);
    c.entity = entity_code("customer");
    ask(c, [self = shared_from_this(), customer,
            refusal = std::move(refusal)](provider_result& res) mutable {
      if (res.ok || !is_not_found(res.failure))
        return self->fail(std::move(refusal));
      self->enqueue(
        "pull", {{"entity", "customer"}, {"remote_ids", {customer}}},
        pull_key(self->job_.tenant, self->job_.provider, "customer", customer));
      self->fail(state::job_error::make_waiting(
        "the invoice's customer " + customer
          + " is gone at the provider: pulling it",
        std::chrono::seconds{2}));
    });
  }

  // -- in doubt ---------------------------------------------------------------

  /// What follows a lookup that proves the create did not happen.
  enum class after_lookup { create, forget };

  /// A create of this record may have happened without its answer: finds
  /// it by the external reference, exactly, before anything is sent again.
  void resolve_in_doubt(const pg::link_row& link, after_lookup next) {
    in_doubt_ = link;
    next_ = next;
    look_up(1);
  }

  void look_up(uint32_t page) {
    auto c = call(op_find_external);
    c.local_id = local_id_;
    c.status_to = sent_.value("status", "");
    c.since = in_doubt_.created_at;
    c.page = page;
    ask(c, [self = shared_from_this(), page](provider_result& res) {
      if (!res.ok)
        return self->fail(job_error_of(res.failure));
      for (auto& rec : res.records)
        self->consider(std::move(rec));
      if (page < res.total_pages && !res.records.empty())
        return self->look_up(page + 1);
      self->skip_linked_elsewhere();
      self->fetch_details();
    });
  }

  /// Candidates linked to another local record are never adopted
  /// (state::resolve_in_doubt), so their details would change nothing. A
  /// Fortnox customer lookup lists every customer changed since the write,
  /// most of them linked: found by scripts/soak, where these fetches took a
  /// busy tenant's whole budget.
  void skip_linked_elsewhere() {
    if (to_fetch_.empty())
      return;
    auto conn = db();
    auto linked = pg::local_ids_for_remote(*conn, ctx_.key, to_fetch_);
    std::erase_if(to_fetch_, [&](const std::string& id) {
      auto i = linked.find(id);
      return i != linked.end() && i->second != local_id_;
    });
  }

  /// Keeps what may be ours: complete records to compare, incomplete ones
  /// to fetch (unless the item shows another reference).
  void consider(provider_record rec) {
    auto ref = ref_of(rec);
    if (rec.complete)
      found_.push_back(std::move(rec));
    else if (!ref || *ref == local_id_)
      to_fetch_.push_back(rec.remote_id);
  }

  static std::optional<std::string> ref_of(const provider_record& r) {
    if (r.canonical.empty())
      return std::nullopt;
    return external_ref_of(json::parse(r.canonical));
  }

  /// Fetches the details of incomplete candidates, a few at a time.
  void fetch_details() {
    constexpr size_t max_in_flight = 8;
    while (!ended() && in_flight_ < max_in_flight && !to_fetch_.empty()) {
      auto id = std::move(to_fetch_.back());
      to_fetch_.pop_back();
      ++in_flight_;
      ask(call(op_get, id), [self = shared_from_this()](provider_result& res) {
        --self->in_flight_;
        if (self->ended())
          return;
        if (!res.ok && !is_not_found(res.failure))
          return self->fail(job_error_of(res.failure));
        if (res.ok && !res.records.empty())
          self->found_.push_back(std::move(res.records.front()));
        self->fetch_details();
      });
    }
    if (!ended() && in_flight_ == 0 && to_fetch_.empty())
      decide();
  }

  void decide() {
    std::vector<state::in_doubt_candidate> candidates;
    {
      auto conn = db();
      for (const auto& rec : found_) {
        state::in_doubt_candidate c{rec.remote_id, ref_of(rec).value_or(""),
                                    ""};
        if (c.external_ref == local_id_)
          if (auto l = pg::find_link_by_remote(*conn, ctx_.key, rec.remote_id))
            c.linked_to = l->local_id;
        candidates.push_back(std::move(c));
      }
    }
    // The age of the last create sent: that is the one a search may lag.
    auto sent_at = state::parse_iso_utc(in_doubt_.updated_at);
    auto age = sent_at ? std::chrono::duration_cast<std::chrono::milliseconds>(
                 env_->now() - *sent_at)
                       : std::chrono::milliseconds::max();
    auto settle = std::chrono::duration_cast<std::chrono::milliseconds>(
      env_->tenant(job_.tenant).sync.in_doubt_settle);
    auto d = state::resolve_in_doubt(local_id_, candidates, age, settle);
    if (!d.note.empty())
      log::warn("push", "in-doubt lookup: " + d.note,
                {{"tenant", job_.tenant},
                 {"provider", job_.provider},
                 {"local_id", local_id_}});
    switch (d.action) {
    case state::in_doubt_action::adopt:
      for (auto& rec : found_)
        if (rec.remote_id == d.remote_id)
          return adopt(std::move(rec), in_doubt_.base.value_or(sent_));
      break;
    case state::in_doubt_action::wait:
      return fail(state::job_error::make_waiting(
        "a create whose answer was lost is not found yet; looking again",
        d.wait));
    case state::in_doubt_action::create_again:
      break;
    }
    if (next_ == after_lookup::create)
      return create_when_ready();
    drop_in_doubt_link();
    succeed({{"skipped", "never created remotely"}});
  }

  /// Links the created (or found) remote record, with what was sent as the
  /// base: what the provider added (numbers, computed totals) then comes
  /// back as remote changes, and local edits made since as local ones.
  void adopt(provider_record rec, json base) {
    remote_id_ = rec.remote_id;
    {
      auto conn = db();
      pg::transaction tx{*conn};
      fence(*conn);
      pg::link_row link;
      link.local_id = local_id_;
      link.remote_id = rec.remote_id;
      link.base = pushed_base(
        entity_, std::move(base),
        rec.canonical.empty() ? json{} : json::parse(rec.canonical));
      link.remote_version = rec.version;
      link.status = "linked";
      link.base_read = read_span_of(rec);
      pg::save_link(*conn, ctx_.key, link);
      tx.commit();
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
          if (!res.ok && is_not_found(res.failure))
            return self->merge_with_gone();
          self->fail(res.ok ? state::job_error::make_retryable("empty answer")
                            : job_error_of(res.failure));
        });
  }

  /// The remote record is gone (deleted there): the merge decides, as for
  /// any delete against a local change.
  void merge_with_gone() {
    provider_record gone;
    gone.remote_id = remote_id_;
    gone.deleted = true;
    merge_with(std::move(gone));
  }

  /// A write answered "not found": the record may have been deleted there
  /// between our read and our write (found by scripts/soak as a push failed
  /// for good), or a record it names is (Fortnox answers an invoice naming
  /// a gone customer with 404 too). Once per run the record is read again
  /// and merged anew.
  bool gone_meanwhile(const provider_result& res) const {
    return !res.ok && is_not_found(res.failure) && !reread_;
  }

  void read_again() {
    reread_ = true;
    fetch_remote();
  }

  void merge_with(provider_record rec) {
    auto conn = db();
    pg::transaction tx{*conn};
    fence(*conn);
    lock_local(*conn, entity_, local_id_);
    auto link = pg::find_link_by_local(*conn, ctx_.key, local_id_, true);
    if (!link || link->status != "linked")
      return fail(state::job_error::make_retryable("link changed meanwhile"));
    auto order = state::order_of(read_span_of(rec), link->base_read);
    auto local = pg::read_local(*conn, ctx_.key, local_id_);
    auto remote = rec.canonical.empty() ? json{} : json::parse(rec.canonical);
    auto in = merge_input_for(*link, local, remote, rec.deleted,
                              remote_change_time(rec));
    for (auto& [field, value] :
         pg::pending_resolutions(*conn, ctx_.key, local_id_))
      in.resolved.emplace(field, value);
    resolved_ = !in.resolved.empty();
    auto m = state::merge(in, ctx_.policy);
    // A pull applied another read while ours was on its way: ours may hold
    // the older state, which the merge would take for a remote change.
    if ((order == state::read_order::older
         || (order == state::read_order::overlapping && takes_remote_state(m)))
        && rereads_++ < max_rereads) {
      tx.commit();
      return fetch_remote();
    }
    if (m.held()) {
      record_conflicts(*conn, ctx_, local_id_, remote_id_, m);
      tx.commit();
      return succeed({{"held", m.conflicts.size()}});
    }
    switch (m.deletion) {
    case state::merge_deletion::delete_local:
      if (local && !local->deleted
          && hold_delete_in_use(*conn, ctx_, local_id_, remote_id_)) {
        tx.commit();
        return succeed({{"held", 1}});
      }
      if (local && !local->deleted)
        pg::soft_delete_local(*conn, job_.tenant, entity_, local_id_);
      [[fallthrough]];
    case state::merge_deletion::both_deleted:
      link->status = "tombstoned";
      pg::save_link(*conn, ctx_.key, *link);
      tx.commit();
      forget_link();
      return succeed({{"deleted", "local"}});
    case state::merge_deletion::delete_remote:
      tx.commit();
      return remove_remote();
    case state::merge_deletion::none:
      break;
    }
    if (m.remote_changes.empty()) {
      settle(*conn, *link, m, rec.version, read_span_of(rec));
      tx.commit();
      return succeed(
        {{"created", created_}, {"local_changes", m.local_changes}});
    }
    tx.commit();
    write_remote(std::move(m), std::move(remote), std::move(rec.raw));
  }

  /// Writes the merged record: its fields by an update, then its status
  /// by the provider's lifecycle action (a status is never a field Fortnox
  /// or Visma take in an update). Fields first: a draft is editable, a
  /// booked invoice is not.
  void write_remote(state::merge_result m, json remote, std::string raw) {
    auto moves_status
      = std::find(m.remote_changes.begin(), m.remote_changes.end(), "status")
        != m.remote_changes.end();
    auto fields = m.remote_changes.size() > (moves_status ? 1u : 0u);
    remote_status_ = remote.value("status", "");
    if (entity_ == "invoice" && moves_status && !fields)
      return move_status(std::move(m), {});
    update_remote(std::move(m), std::move(raw),
                  entity_ == "invoice" && moves_status);
  }

  void update_remote(state::merge_result m, std::string raw, bool then_move) {
    fence();
    written_at_us_ = clock_us();
    auto c = call(op_update, remote_id_);
    c.canonical = m.merged.dump();
    c.raw = std::move(raw);
    c.follows_read = true;
    ask(c, [self = shared_from_this(), m, then_move](provider_result& res) {
      if (self->gone_meanwhile(res))
        return self->read_again();
      if (!res.ok)
        return self->refused_edit(res.failure)
                 ? self->hold_read_only(res.failure.message)
                 : self->fail(job_error_of(res.failure));
      auto answer = res.records.empty() ? provider_record{}
                                        : std::move(res.records.front());
      if (then_move)
        return self->move_status(m, answer.version);
      self->finish_write(m, answer);
    });
  }

  /// The provider's lifecycle action from the remote status to the merged
  /// one (state/invoice_lifecycle.hpp).
  void move_status(state::merge_result m, std::string version) {
    fence();
    if (written_at_us_ == 0)
      written_at_us_ = clock_us();
    auto c = call(op_transition, remote_id_);
    c.status_from = remote_status_;
    c.status_to = m.merged.value("status", "");
    ask(c, [self = shared_from_this(), m, version](provider_result& res) {
      if (self->gone_meanwhile(res))
        return self->read_again();
      if (!res.ok)
        return res.failure.kind
                   == static_cast<uint8_t>(http::failure::validation)
                 ? self->hold_read_only(res.failure.message)
                 : self->fail(job_error_of(res.failure));
      auto answer = res.records.empty() ? provider_record{}
                                        : std::move(res.records.front());
      if (answer.version.empty())
        answer.version = version;
      self->finish_write(m, answer);
    });
  }

  /// A refused update of an invoice the provider holds as an accounting
  /// record (booked, paid, cancelled, credited: whatever the code it
  /// answers with, which providers do not document).
  bool refused_edit(const provider_failure& f) const {
    if (f.kind != static_cast<uint8_t>(http::failure::validation) || f.malformed
        || entity_ != "invoice")
      return false;
    auto status = state::parse_invoice_status(remote_status_);
    return status && !state::editable(*status);
  }

  /// The provider cannot take this local change: the record shows it
  /// (remote_read_only, with the provider's reason) instead of a job that
  /// fails and retries; the base stays, so nothing is taken silently.
  void hold_read_only(const std::string& reason) {
    auto conn = db();
    pg::transaction tx{*conn};
    fence(*conn);
    auto link = pg::find_link_by_local(*conn, ctx_.key, local_id_, true);
    if (!link || link->status != "linked")
      return fail(state::job_error::make_retryable("link changed meanwhile"));
    link->read_only = reason.empty() ? "refused by the provider" : reason;
    pg::save_link(*conn, ctx_.key, *link);
    tx.commit();
    log::info("push", "the provider refuses the local change: " + reason,
              {{"tenant", job_.tenant},
               {"provider", job_.provider},
               {"local_id", local_id_},
               {"remote_id", remote_id_}});
    succeed({{"read_only", link->read_only}});
  }

  /// Both sides hold the merged record now. The answer's remote id may be
  /// new (a Visma draft converted), and its status is the provider's word:
  /// where it differs from the one asked for (Visma books what is sent),
  /// the local record takes it.
  void finish_write(state::merge_result m, const provider_record& answer) {
    auto conn = db();
    pg::transaction tx{*conn};
    fence(*conn);
    lock_local(*conn, entity_, local_id_);
    auto link = pg::find_link_by_local(*conn, ctx_.key, local_id_, true);
    if (!link)
      return fail(state::job_error::make_retryable("link changed meanwhile"));
    if (!answer.remote_id.empty() && answer.remote_id != link->remote_id)
      link->remote_id = remote_id_ = answer.remote_id;
    take_answered_status(m, answer);
    // The provider computed its totals over what we sent: the next merge
    // checks them against ours (state/pushed_totals.hpp).
    settle(*conn, *link, m, answer.version, {written_at_us_, clock_us()}, true);
    tx.commit();
    succeed({{"created", created_},
             {"remote_changes", m.remote_changes},
             {"local_changes", m.local_changes}});
  }

  static void take_answered_status(state::merge_result& m,
                                   const provider_record& answer) {
    if (answer.canonical.empty())
      return;
    auto status = json::parse(answer.canonical).value("status", json{});
    if (!status.is_string() || status == m.merged.value("status", json{}))
      return;
    m.merged["status"] = status;
    if (std::find(m.local_changes.begin(), m.local_changes.end(), "status")
        == m.local_changes.end())
      m.local_changes.emplace_back("status");
  }

  /// Both sides now hold `m.merged`: the local side takes the remote's
  /// fields (patched onto its current row, so a concurrent app write to
  /// other fields survives) and the base advances; `pushed`: to what was
  /// just written to the provider (pushed_base). `read`: the read or write
  /// that showed the remote's side (state/read_order.hpp).
  void settle(pg::connection& conn, pg::link_row& link,
              const state::merge_result& m, const std::string& version,
              state::read_span read, bool pushed = false) {
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
    link.base = pushed ? pushed_base(entity_, m.merged) : m.merged;
    link.base_read = read;
    link.read_only.clear(); // the provider took it
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
      sent_ = link->base.value_or(json::object());
      return resolve_in_doubt(*link, after_lookup::forget);
    }
    remote_id_ = link->remote_id;
    fetch_remote();
  }

  void remove_remote() {
    fence();
    ask(call(op_remove, remote_id_),
        [self = shared_from_this()](provider_result& res) {
          if (!res.ok && !is_not_found(res.failure))
            return self->fail(job_error_of(res.failure));
          auto conn = self->db();
          pg::transaction tx{*conn};
          self->fence(*conn);
          if (auto link = pg::find_link_by_local(*conn, self->ctx_.key,
                                                 self->local_id_, true)) {
            link->status = "tombstoned";
            pg::save_link(*conn, self->ctx_.key, *link);
          }
          tx.commit();
          self->forget_link();
          self->succeed({{"deleted", "remote"}});
        });
  }

  // -- plumbing ---------------------------------------------------------------

  /// The node's customer-link cache must not answer for a tombstoned link.
  void forget_link() {
    if (entity_ == "customer")
      env_->customer_links->forget(job_.tenant, job_.provider, remote_id_);
  }

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
  /// The invoice status the provider has (before the write).
  std::string remote_status_;
  pg::link_row in_doubt_;
  /// The local customer of an invoice (empty for a customer).
  std::string customer_local_id_;
  after_lookup next_ = after_lookup::create;
  std::vector<provider_record> found_;
  std::vector<std::string> to_fetch_;
  size_t in_flight_ = 0;
  bool created_ = false;
  bool resolved_ = false;
  /// The record was read again after a write answered "not found".
  bool reread_ = false;
  /// When this run's first write of the record was asked (our clock).
  int64_t written_at_us_ = 0;
  /// Reads made again since one came back not newer than the base; past
  /// max_rereads the merge goes on as it would without the times.
  int rereads_ = 0;
  static constexpr int max_rereads = 3;
};

} // namespace

void run_push(caf::event_based_actor* self, const job& j, job_done done,
              std::shared_ptr<const sync_env> env) {
  push_run::launch(self, j, std::move(done), std::move(env));
}

} // namespace ledgerd
