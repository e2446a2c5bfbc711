// The pull job: remote -> local. A delta pull lists every page of records
// changed since the cursor, fetches the detail of list items that lack it,
// pulls the customers of invoices that have no local link yet, and applies
// each page (or each part of 25 detail fetches) in one transaction (a record
// that fails is rolled back to its savepoint and reported on its own job). The
// cursor advances to the scan's start minus the overlap only after the last
// page is committed; the page reached is saved as progress, so an interrupted
// pull resumes there. A record the overlap lists again is not fetched again
// when what ledgerd holds is provably current (skip_known).
#include "actors/record_sync.hpp"
#include "actors/sync_jobs.hpp"
#include "actors/sync_run.hpp"
#include "adapters/log.hpp"
#include "adapters/pg/cursor_table.hpp"
#include "adapters/provider/provider.hpp"
#include "state/invoice_lifecycle.hpp"
#include "state/iso_time.hpp"
#include "state/read_check.hpp"

#include <caf/event_based_actor.hpp>

#include <deque>
#include <map>
#include <set>

namespace ledgerd {

namespace {

using nlohmann::json;

struct pull_summary {
  std::map<std::string, int64_t> outcomes;
  std::vector<std::string> failed;

  json to_json() const {
    return {{"outcomes", outcomes}, {"failed", failed}};
  }
};

class pull_run : public sync_run<pull_run> {
public:
  using sync_run::sync_run;

  void start() {
    auto payload = json::parse(job_.payload);
    if (!bind(payload))
      return;
    const auto& tenant = env_->tenant(job_.tenant);
    ctx_ = {{job_.tenant, job_.provider, entity_},
            merge_policy_for(tenant, entity_),
            {}};
    customer_ctx_ = {{job_.tenant, job_.provider, "customer"},
                     merge_policy_for(tenant, "customer"),
                     {}};
    overlap_ = tenant.sync.pull_overlap;
    if (auto why = paused(); !why.empty())
      return fail(state::job_error::make_waiting(
        "pulls of " + entity_ + " are paused: " + why, pause_recheck));
    if (auto ids = payload.find("remote_ids"); ids != payload.end()) {
      named_ = true;
      return fetch_named(ids->get<std::vector<std::string>>());
    }
    resume_or_begin();
    list_page();
  }

private:
  using records_fn = std::function<void(std::vector<provider_record>)>;

  // -- delta scan -------------------------------------------------------------

  void resume_or_begin() {
    if (!job_.progress.empty()) {
      auto p = json::parse(job_.progress);
      if (p.contains("scan_start")) {
        since_ = p.value("since", "");
        scan_start_ = p.at("scan_start").get<std::string>();
        provider_clock_ = p.value("provider_clock", false);
        page_ = p.value("page", 1u);
        return;
      }
    }
    auto conn = db();
    auto cursor = pg::load_cursor(*conn, ctx_.key);
    if (cursor.watermark)
      since_ = state::format_iso_utc(
        std::chrono::floor<std::chrono::seconds>(*cursor.watermark));
    scan_start_ = state::format_iso_utc(
      std::chrono::floor<std::chrono::seconds>(env_->now()));
  }

  void list_page() {
    auto c = call(op_list);
    c.since = since_;
    c.page = page_;
    ask(c, [self = shared_from_this()](provider_result& res) {
      self->on_page(std::move(res));
    });
  }

  void on_page(provider_result res) {
    if (!res.ok)
      return fail(job_error_of(res.failure));
    // Nothing of an answer that announces the API's end is applied.
    if (res.notice.header != 0)
      return pause_for_notice(res.notice);
    if (!res.rejected.empty())
      return pause_for_drift(res.rejected, res.records.size());
    // Visma tells its own clock: the watermark then never depends on ours.
    if (page_ == 1 && !res.server_time.empty() && job_.progress.empty())
      if (auto t = state::parse_iso_utc(res.server_time)) {
        scan_start_ = state::format_iso_utc(*t);
        provider_clock_ = true;
      }
    total_pages_ = res.total_pages;
    for (auto& r : res.rejected)
      rejected_.push_back({entity_, r});
    skip_known(std::move(res.records),
               [self = shared_from_this()](std::vector<provider_record> recs) {
                 self->with_page(std::move(recs));
               });
  }

  /// List items needing a detail fetch that one transaction applies: a try
  /// interrupted within a page (Fortnox: up to 500 fetches, 100 s at the
  /// limit) keeps what it applied, and the next try skips that (skip_known)
  /// instead of fetching the whole page again (found by scripts/soak: a
  /// pull killed with its node every 40 s never finished a page).
  static constexpr size_t details_per_apply = 25;

  using chunk_queue = std::deque<std::vector<provider_record>>;

  static chunk_queue chunks_of(std::vector<provider_record> listed) {
    chunk_queue out(1);
    size_t details = 0;
    for (auto& r : listed) {
      if (details == details_per_apply) {
        out.emplace_back();
        details = 0;
      }
      if (!r.complete && !r.deleted)
        ++details;
      out.back().push_back(std::move(r));
    }
    return out;
  }

  void with_page(std::vector<provider_record> listed) {
    next_chunk(std::make_shared<chunk_queue>(chunks_of(std::move(listed))));
  }

  void next_chunk(std::shared_ptr<chunk_queue> chunks) {
    if (chunks->empty())
      return next_page();
    auto chunk = std::move(chunks->front());
    chunks->pop_front();
    read_and_apply(std::move(chunk), [self = shared_from_this(), chunks] {
      // What a chunk applied, the next try skips: that is progress, and a
      // lost lease since is forgiven (jobs.lease_losses; found by
      // scripts/soak: pulls killed every 45 s within one 500-record page
      // never reached a page's end and ran out of tries).
      if (!self->named_ && !chunks->empty())
        self->done_.progress(self->scan_progress().dump());
      self->next_chunk(chunks);
    });
  }

  /// Fetches what `recs` lack (details, successors of gone drafts, unlinked
  /// customers), applies them (apply_page), then `then`.
  void read_and_apply(std::vector<provider_record> recs,
                      std::function<void()> then) {
    with_details(std::move(recs), [self = shared_from_this(),
                                   then = std::move(then)](
                                    std::vector<provider_record> full) mutable {
      self->with_successors(
        std::move(full),
        [self, then = std::move(then)](std::vector<provider_record> r) mutable {
          self->with_customers(
            std::move(r), [self, then = std::move(then)](
                            std::vector<provider_record> all) mutable {
              self->apply_page(std::move(all), std::move(then));
            });
        });
    });
  }

  void next_page() {
    if (page_ < total_pages_) {
      ++page_;
      done_.progress(scan_progress().dump());
      return list_page();
    }
    auto start = state::parse_iso_utc(scan_start_);
    auto conn = db();
    fence(*conn);
    pg::save_watermark(*conn, ctx_.key,
                       sync_clock::time_point{*start} - overlap_);
    finish();
  }

  /// Where a later try resumes the scan: the page it lists first.
  json scan_progress() const {
    return {{"since", since_},
            {"scan_start", scan_start_},
            {"provider_clock", provider_clock_},
            {"page", page_},
            {"summary", summary_.to_json()}};
  }

  // -- records the overlap lists again ---------------------------------------

  /// How long after a list query, or the read of one record, its answer's
  /// clock may read [I]. It also covers whole seconds and either reading of
  /// the boundary.
  static constexpr std::chrono::seconds query_to_clock{5};

  /// Lists of changes one page may ask for; past them, details are fetched.
  static constexpr int max_change_lists = 4;

  /// Drops the list items (Fortnox: no detail yet) that need no detail: read
  /// in full by an answer whose time S the provider's clock told (its Date,
  /// at least the scan's start), and absent from a list of the changes since
  /// S less query_to_clock. Their last change then came before the read:
  /// what ledgerd holds is current. Asked after the page: what a
  /// page shows, a later list shows too.
  void skip_known(std::vector<provider_record> recs, records_fn next) {
    // No watermark (a first pull): the records an interrupted try read.
    auto since
      = state::parse_iso_utc(since_).value_or(std::chrono::sys_seconds{});
    std::vector<std::string> incomplete;
    for (const auto& r : recs)
      if (!r.complete && !r.deleted)
        incomplete.push_back(r.remote_id);
    if (incomplete.empty())
      return next(std::move(recs));
    auto check = std::make_shared<known_check>();
    auto conn = db();
    for (auto& [id, after] : pg::reads_after(*conn, ctx_.key, incomplete)) {
      auto from
        = std::chrono::floor<std::chrono::seconds>(after) - query_to_clock;
      // Read before the watermark: the list of changes would name it.
      if (from > since)
        check->reads.pending.emplace(id, from);
    }
    check->recs = std::move(recs);
    check->next = std::move(next);
    next_change_list(check);
  }

  struct known_check {
    std::vector<provider_record> recs;
    records_fn next;
    state::read_check reads;
  };

  /// Lists of changes (state::read_check picks their starts) until every
  /// pending record is decided or max_change_lists were asked; what is
  /// left undecided is fetched.
  void next_change_list(std::shared_ptr<known_check> check) {
    auto& reads = check->reads;
    if (reads.done() || reads.lists == max_change_lists) {
      std::erase_if(check->recs, [&](const provider_record& r) {
        return reads.current.contains(r.remote_id);
      });
      summary_.outcomes["known"] += static_cast<int64_t>(reads.current.size());
      return check->next(std::move(check->recs));
    }
    auto from = reads.next_bound();
    auto changed = std::make_shared<std::set<std::string>>();
    list_changed(from, 1, changed,
                 [self = shared_from_this(), check, from, changed] {
                   check->reads.apply(from, *changed);
                   self->next_change_list(check);
                 });
  }

  /// Every page of the records changed since `from` into `changed`.
  void list_changed(std::chrono::sys_seconds from, uint32_t page,
                    std::shared_ptr<std::set<std::string>> changed,
                    std::function<void()> done) {
    auto c = call(op_list);
    c.since = state::format_iso_utc(from);
    c.page = page;
    ask(c, [self = shared_from_this(), from, page, changed,
            done = std::move(done)](provider_result& res) mutable {
      if (!res.ok)
        return self->fail(job_error_of(res.failure));
      for (const auto& r : res.records)
        changed->insert(r.remote_id);
      for (const auto& r : res.rejected)
        changed->insert(r.substr(0, r.find(':')));
      if (page < res.total_pages)
        return self->list_changed(from, page + 1, changed, std::move(done));
      done();
    });
  }

  // -- provider drift ---------------------------------------------------------

  /// How often a paused pull looks whether it may run again.
  static constexpr std::chrono::seconds pause_recheck{30};

  std::string paused() {
    auto conn = db();
    return pg::load_cursor(*conn, ctx_.key).paused_reason;
  }

  /// Records the provider sent that the mapping cannot read (a field
  /// missing, renamed or of another type): the provider changed, not the
  /// records. The entity pauses for this connection, with the cursor where
  /// it was and no job per record; this job waits and, once the pause is
  /// lifted (the cause fixed), pulls again from the cursor: nothing is lost.
  void pause_for_drift(const std::vector<std::string>& rejected,
                       size_t readable) {
    pause(std::to_string(rejected.size()) + " of "
            + std::to_string(rejected.size() + readable)
            + " records unreadable, e.g. " + rejected.front(),
          "provider drift");
  }

  /// A Deprecation or a Sunset header on an answer (RFC 9745, RFC 8594):
  /// the API version we map is going away. Both pause like drift, before
  /// anything of the answer is written: a person moves the connection to
  /// another api_version (or accepts the date) and resumes.
  void pause_for_notice(const provider_notice& n) {
    provider::retirement x{static_cast<provider::retirement_header>(n.header),
                           n.value, n.path};
    pause(provider::describe(x), "provider API retirement");
  }

  /// Pauses the entity's pulls for this connection with `reason`; the first
  /// pause logs one warning. `cause` names it in the log and the job error.
  void pause(const std::string& reason, const std::string& cause) {
    bool first = false;
    {
      auto conn = db();
      fence(*conn);
      first = pg::pause_pulls(*conn, ctx_.key, reason);
    }
    if (first)
      log::warn("pull", cause + ": pulls paused",
                {{"tenant", job_.tenant},
                 {"provider", job_.provider},
                 {"entity", entity_},
                 {"reason", reason}});
    fail(state::job_error::make_waiting("pulls of " + entity_ + " paused ("
                                          + cause + "): " + reason,
                                        pause_recheck));
  }

  /// Keeps the first announcement of the pull's answers (detail fetches).
  void note(const provider_notice& n) {
    if (notice_.header == 0 && n.header != 0)
      notice_ = n;
  }

  // -- named records (events, retries of single records) ------------------

  void fetch_named(std::vector<std::string> ids) {
    auto records = std::make_shared<std::vector<provider_record>>();
    auto left = std::make_shared<size_t>(ids.size());
    if (ids.empty())
      return finish();
    for (auto& id : ids) {
      ask(call(op_get, id),
          [self = shared_from_this(), records, left, id](provider_result& res) {
            if (res.ok) {
              self->note(res.notice);
              for (auto& r : res.records)
                records->push_back(std::move(r));
            } else if (res.failure.kind
                       == static_cast<uint8_t>(http::failure::not_found))
              records->push_back(gone(self->code_, id));
            else
              self->failed_fetch(self->code_, id, res.failure);
            if (--*left == 0)
              self->with_successors(
                std::move(*records), [self](std::vector<provider_record> r) {
                  self->with_customers(
                    std::move(r), [self](std::vector<provider_record> all) {
                      self->apply_page(std::move(all), [self] {
                        self->finish();
                      });
                    });
                });
          });
    }
  }

  static provider_record gone(uint8_t entity, const std::string& id) {
    provider_record out;
    out.entity = entity;
    out.remote_id = id;
    out.deleted = true;
    return out;
  }

  // -- details and dependencies ------------------------------------------

  /// Detail fetches of one pull in flight at once. The rate limiter paces
  /// them anyway; a bounded window keeps the rest from queueing at the
  /// limiter until their grant wait times out.
  static constexpr size_t detail_window = 20;

  struct detail_fetch {
    uint8_t entity = 0;
    std::vector<provider_record> recs;
    std::vector<size_t> todo;
    size_t next_todo = 0;
    size_t in_flight = 0;
    records_fn next;
  };

  /// Replaces list items that lack detail (Fortnox) by the full record.
  void with_details(std::vector<provider_record> recs, records_fn next) {
    fetch_incomplete(code_, std::move(recs), std::move(next));
  }

  /// Fetches every record of `recs` that is not complete, at most
  /// detail_window at once; `next` gets the complete and the deleted ones.
  void fetch_incomplete(uint8_t entity, std::vector<provider_record> recs,
                        records_fn next) {
    auto st = std::make_shared<detail_fetch>();
    st->entity = entity;
    st->recs = std::move(recs);
    st->next = std::move(next);
    for (size_t i = 0; i < st->recs.size(); ++i)
      if (!st->recs[i].complete)
        st->todo.push_back(i);
    if (st->todo.empty())
      return st->next(std::move(st->recs));
    while (st->in_flight < detail_window && st->next_todo < st->todo.size())
      fetch_detail(st);
  }

  void fetch_detail(std::shared_ptr<detail_fetch> st) {
    auto i = st->todo[st->next_todo++];
    ++st->in_flight;
    auto c = call(op_get, st->recs[i].remote_id);
    c.entity = st->entity;
    ask(c, [self = shared_from_this(), st, i](provider_result& res) {
      auto& slot = st->recs[i];
      if (res.ok)
        self->note(res.notice);
      if (res.ok)
        self->note_read(st->entity, slot.remote_id, res.server_time);
      if (res.ok && !res.records.empty())
        slot = std::move(res.records.front());
      else if (!res.ok && is_not_found(res.failure))
        slot = gone(st->entity, slot.remote_id);
      else if (!res.ok)
        self->failed_fetch(st->entity, slot.remote_id, res.failure);
      else
        self->record_failure(slot.remote_id, "empty answer", false,
                             self->entity_named(st->entity));
      if (self->ended())
        return; // failed for the connection's trouble: nothing more
      --st->in_flight;
      if (st->next_todo < st->todo.size())
        return self->fetch_detail(st);
      if (st->in_flight > 0)
        return;
      std::vector<provider_record> out;
      for (auto& r : st->recs)
        if (r.complete || r.deleted)
          out.push_back(std::move(r));
      st->next(std::move(out));
    });
  }

  /// Notes when the provider read a record fetched in full: its answer's
  /// clock, at least the scan's start (known only in the provider's clock).
  void note_read(uint8_t entity, const std::string& remote_id,
                 const std::string& answered) {
    auto start = state::parse_iso_utc(scan_start_);
    if (!provider_clock_ || !start)
      return;
    auto at = state::parse_iso_utc(answered).value_or(*start);
    read_in_scan_[{entity, remote_id}] = std::max(at, *start);
  }

  // -- drafts that became invoices -------------------------------------------

  /// A record whose link may move to a successor (state::may_succeed).
  struct succession {
    /// In the page's records.
    size_t index = 0;
    std::string local_id;
    /// The remote id of the draft the local invoice is linked to.
    std::string draft_id;
  };

  struct succession_check {
    std::vector<provider_record> recs;
    std::vector<bool> drop;
    size_t left = 0;
    records_fn next;
  };

  /// A draft converted at the provider (Visma, also in its UI) is gone under
  /// its id, and back as an invoice with a new id that carries our
  /// reference. Either may arrive first: a gone draft is looked for by its
  /// reference; an unlinked invoice with the reference of a linked draft has
  /// the draft's absence confirmed. Only then does the link move
  /// (record_context::successors); a draft that still exists keeps its
  /// link, and one whose check failed waits (no delete, no second record).
  void with_successors(std::vector<provider_record> recs, records_fn next) {
    if (entity_ != "invoice")
      return next(std::move(recs));
    std::vector<succession> gone, unknown;
    {
      auto conn = db();
      find_successions(*conn, recs, gone, unknown);
    }
    if (gone.empty() && unknown.empty())
      return next(std::move(recs));
    auto st = std::make_shared<succession_check>();
    st->drop.assign(recs.size(), false);
    st->recs = std::move(recs);
    st->left = gone.size() + unknown.size();
    st->next = std::move(next);
    for (auto& g : gone)
      find_successor(st, std::move(g));
    for (auto& u : unknown)
      confirm_draft_gone(st, std::move(u));
  }

  void find_successions(pg::connection& conn,
                        const std::vector<provider_record>& recs,
                        std::vector<succession>& gone,
                        std::vector<succession>& unknown) {
    std::vector<std::string> referring;
    for (size_t i = 0; i < recs.size(); ++i)
      if (recs[i].deleted) {
        auto link = pg::find_link_by_remote(conn, ctx_.key, recs[i].remote_id);
        if (link && link->status == "linked"
            && state::may_succeed(status_of(link->base),
                                  state::invoice_status::booked))
          gone.push_back({i, link->local_id, recs[i].remote_id});
      } else if (!recs[i].canonical.empty()) {
        referring.push_back(recs[i].remote_id);
      }
    if (referring.empty())
      return;
    auto linked = pg::local_ids_for_remote(conn, ctx_.key, referring);
    for (size_t i = 0; i < recs.size(); ++i) {
      if (recs[i].deleted || recs[i].canonical.empty()
          || linked.contains(recs[i].remote_id))
        continue;
      auto remote = json::parse(recs[i].canonical);
      auto ref = external_ref_of(remote);
      if (!ref)
        continue;
      auto link = pg::find_link_by_local(conn, ctx_.key, *ref);
      if (link && link->status == "linked"
          && link->remote_id != recs[i].remote_id
          && state::may_succeed(status_of(link->base), status_of(remote)))
        unknown.push_back({i, *ref, link->remote_id});
    }
  }

  static std::optional<state::invoice_status>
  status_of(const std::optional<json>& x) {
    if (!x || !x->is_object())
      return std::nullopt;
    return state::parse_invoice_status(x->value("status", ""));
  }

  /// The gone draft's successor: the one non-draft invoice that carries
  /// the local id as its exact reference. Candidates the search lists only
  /// in summary are fetched first.
  void find_successor(std::shared_ptr<succession_check> st, succession s) {
    auto c = call(op_find_external);
    c.local_id = s.local_id;
    c.status_to = "booked"; // among the invoices, not the drafts
    ask(c, [self = shared_from_this(), st, s](provider_result& res) {
      if (!res.ok)
        return self->successor_unknown(st, s,
                                       job_error_of(res.failure).message);
      auto listed = res.records.size();
      self->fetch_incomplete(
        self->code_, std::move(res.records),
        [self, st, s, listed](std::vector<provider_record> found) {
          // A candidate that could not be fetched may be the successor.
          if (found.size() < listed)
            return self->successor_unknown(
              st, s, "a possible successor could not be fetched");
          self->pick_successor(st, s, std::move(found));
        });
    });
  }

  void successor_unknown(const std::shared_ptr<succession_check>& st,
                         const succession& s, const std::string& why) {
    record_failure(s.draft_id, why, true);
    st->drop[s.index] = true;
    succession_checked(st);
  }

  void pick_successor(const std::shared_ptr<succession_check>& st,
                      const succession& s, std::vector<provider_record> found) {
    for (auto& r : found) {
      if (r.deleted || r.canonical.empty())
        continue;
      auto remote = json::parse(r.canonical);
      if (external_ref_of(remote) != s.local_id
          || status_of(remote) == state::invoice_status::draft)
        continue;
      ctx_.successors[r.remote_id] = s.draft_id;
      st->recs[s.index] = std::move(r);
      return succession_checked(st);
    }
    if (search_may_lag()) {
      // Converted just now, its invoice not searchable yet? Not a delete
      // until the search has had in_doubt_settle to catch up.
      record_failure(s.draft_id, "gone; its successor is looked for again",
                     true);
      search_wait_ = true;
      st->drop[s.index] = true;
    }
    succession_checked(st);
  }

  /// The unlinked invoice succeeds the draft only when the draft is gone.
  void confirm_draft_gone(std::shared_ptr<succession_check> st, succession s) {
    ask(call(op_get, s.draft_id),
        [self = shared_from_this(), st, s](provider_result& res) {
          const auto& rec = st->recs[s.index];
          if (!res.ok && is_not_found(res.failure))
            self->ctx_.successors[rec.remote_id] = s.draft_id;
          else if (!res.ok) {
            self->record_failure(rec.remote_id,
                                 job_error_of(res.failure).message, true);
            st->drop[s.index] = true;
          }
          self->succession_checked(st);
        });
  }

  /// Whether this job is too young for a search to be believed (a search
  /// index may lag the provider's store by up to in_doubt_settle).
  bool search_may_lag() const {
    return env_->now() - job_.created_at < settle();
  }

  std::chrono::milliseconds settle() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
      env_->tenant(job_.tenant).sync.in_doubt_settle);
  }

  void succession_checked(const std::shared_ptr<succession_check>& st) {
    if (--st->left > 0 || ended())
      return;
    std::vector<provider_record> out;
    for (size_t i = 0; i < st->recs.size(); ++i)
      if (!st->drop[i])
        out.push_back(std::move(st->recs[i]));
    st->next(std::move(out));
  }

  /// Pulls the customers that invoices name and that have no link yet,
  /// so the invoices can be written (a local invoice needs its customer).
  void with_customers(std::vector<provider_record> recs, records_fn next) {
    if (entity_ != "invoice")
      return next(std::move(recs));
    std::vector<std::string> wanted;
    for (const auto& r : recs) {
      if (r.deleted || r.canonical.empty())
        continue;
      auto c = json::parse(r.canonical).value("customer_remote_id", "");
      if (!c.empty())
        wanted.push_back(c);
    }
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    auto& cache = *env_->customer_links;
    auto known = cache.known(job_.tenant, job_.provider, wanted);
    std::vector<std::string> unknown;
    for (auto& c : wanted)
      if (!known.contains(c))
        unknown.push_back(c);
    std::map<std::string, std::string> found;
    if (!unknown.empty()) {
      auto conn = db();
      found = pg::local_ids_for_remote(*conn, customer_ctx_.key, unknown);
      cache.remember(job_.tenant, job_.provider, found);
    }
    std::vector<std::string> missing;
    for (auto& c : unknown)
      if (!found.contains(c))
        missing.push_back(c);
    if (missing.empty())
      return next(std::move(recs));
    auto shared
      = std::make_shared<std::vector<provider_record>>(std::move(recs));
    auto search = std::make_shared<customer_search>();
    search->missing.insert(missing.begin(), missing.end());
    search->next = [self = shared_from_this(), shared,
                    next](std::vector<provider_record> fetched) {
      self->apply_records(self->customer_ctx_, fetched);
      next(std::move(*shared));
    };
    if (missing.size() < list_customers_from || customer_lists_incomplete_)
      return fetch_missing_customers(search);
    list_customers(search, 1);
  }

  /// Missing customers from which listing them all may be cheaper than one
  /// request each (Visma's lists carry whole records; a page 100 or more).
  static constexpr size_t list_customers_from = 20;

  struct customer_search {
    std::set<std::string> missing;
    std::vector<provider_record> found;
    records_fn next;
  };

  /// Lists the customers page by page while that costs fewer requests than
  /// fetching the missing ones one by one, keeping those missing.
  void list_customers(std::shared_ptr<customer_search> search, uint32_t page) {
    auto c = call(op_list);
    c.entity = 0;
    c.page = page;
    ask(c, [self = shared_from_this(), search, page](provider_result& res) {
      if (!res.ok)
        return self->fail(job_error_of(res.failure));
      for (auto& r : res.records) {
        if (!r.complete) { // list items without detail (Fortnox)
          self->customer_lists_incomplete_ = true;
          return self->fetch_missing_customers(search);
        }
        if (search->missing.erase(r.remote_id) > 0)
          search->found.push_back(std::move(r));
      }
      auto pages_left = res.total_pages > page ? res.total_pages - page : 0u;
      if (!search->missing.empty() && pages_left > 0
          && pages_left < search->missing.size())
        return self->list_customers(search, page + 1);
      self->fetch_missing_customers(search);
    });
  }

  /// Fetches the customers still missing one by one, then goes on with
  /// those found and fetched.
  void fetch_missing_customers(std::shared_ptr<customer_search> search) {
    std::vector<provider_record> customers;
    for (const auto& id : search->missing) {
      provider_record r;
      r.entity = 0;
      r.remote_id = id;
      r.complete = false;
      customers.push_back(std::move(r));
    }
    fetch_incomplete(0, std::move(customers),
                     [search](std::vector<provider_record> fetched) {
                       for (auto& r : fetched)
                         search->found.push_back(std::move(r));
                       search->next(std::move(search->found));
                     });
  }

  // -- applying ---------------------------------------------------------------

  /// Applies a chunk, then reads again what it read while another read of
  /// the same record was under way (apply_outcome::reread) and applies
  /// that; then `then`. Not when the chunk showed provider drift: the job
  /// pauses instead.
  void apply_page(std::vector<provider_record> recs,
                  std::function<void()> then) {
    if (ended())
      return;
    if (notice_.header != 0)
      return pause_for_notice(notice_);
    if (!drift_.empty())
      return pause_for_drift(drift_, recs.size());
    auto pushes = apply_records(ctx_, recs);
    enqueue_pushes(pushes);
    enqueue_rejected();
    if (rereads_.empty())
      return then();
    read_and_apply(std::exchange(rereads_, {}), std::move(then));
  }

  /// Queues `rec` to be read again after its chunk, or, past max_rereads,
  /// applies it as ledgerd did without the times (the record keeps
  /// changing while it is read).
  applied_record reread_or_apply(pg::connection& conn,
                                 const record_context& ctx,
                                 const provider_record& rec) {
    if (&ctx == &ctx_ && ++rereads_of_[rec.remote_id] <= max_rereads) {
      provider_record item;
      item.entity = rec.entity;
      item.remote_id = rec.remote_id;
      item.complete = false;
      rereads_.push_back(std::move(item));
      return {apply_outcome::reread, {}};
    }
    auto plain = rec;
    plain.asked_at_us = plain.answered_at_us = 0;
    return apply_remote(conn, ctx, plain);
  }

  /// A record that could not be fetched: drift when the provider's answer
  /// was unreadable, else a failure of that record alone.
  void failed_fetch(uint8_t entity, const std::string& id,
                    const provider_failure& f) {
    if (f.malformed)
      return drift_.push_back(id + ": " + f.message);
    auto err = job_error_of(f);
    // The connection's trouble (a token refused, none to be had, a busy
    // budget), not the record's: the whole try waits or is retried (found
    // by scripts/soak: event pulls failed for good on a 401 after the
    // tokens were revoked).
    if (err.cls == state::error_class::waiting
        || f.kind == static_cast<uint8_t>(http::failure::auth))
      return fail(std::move(err));
    record_failure(id, err.message, err.retryable(), entity_named(entity));
  }

  /// The pull's entity, or the customers an invoice pull fetches.
  const std::string& entity_named(uint8_t code) const {
    return code == code_ ? entity_ : customer_ctx_.key.entity;
  }

  /// One transaction; each record behind its own savepoint. Returns the
  /// local ids that need a push.
  std::vector<std::string>
  apply_records(const record_context& ctx,
                const std::vector<provider_record>& recs) {
    std::vector<std::string> pushes;
    std::map<std::string, sync_clock::time_point> read;
    int64_t written = 0;
    auto conn = db();
    pg::transaction tx{*conn};
    fence(*conn);
    for (const auto& rec : recs) {
      conn->exec("sync.savepoint", "SAVEPOINT record");
      try {
        auto applied = apply_remote(*conn, ctx, rec);
        if (applied.outcome == apply_outcome::reread)
          applied = reread_or_apply(*conn, ctx, rec);
        conn->exec("sync.release", "RELEASE SAVEPOINT record");
        if (auto at = read_in_scan_.find({rec.entity, rec.remote_id});
            !rec.deleted && applied.outcome != apply_outcome::reread
            && at != read_in_scan_.end())
          read[rec.remote_id] = sync_clock::time_point{at->second};
        ++summary_.outcomes[std::string{to_string(applied.outcome)}];
        if (applied.outcome == apply_outcome::created
            || applied.outcome == apply_outcome::updated
            || applied.outcome == apply_outcome::deleted)
          ++written;
        if (applied.outcome == apply_outcome::needs_push)
          pushes.push_back(applied.local_id);
        if (applied.outcome == apply_outcome::deleted
            && ctx.key.entity == "customer")
          env_->customer_links->forget(job_.tenant, job_.provider,
                                       rec.remote_id);
      } catch (const unlinked_customer& e) {
        // Its customer could not be fetched now: this record alone waits
        // for a pull of its own.
        conn->exec("sync.rollback_to", "ROLLBACK TO SAVEPOINT record");
        record_failure(rec.remote_id,
                       "its customer " + e.remote_id + " is not linked yet",
                       true, ctx.key.entity);
      } catch (const std::exception& e) {
        conn->exec("sync.rollback_to", "ROLLBACK TO SAVEPOINT record");
        auto err = job_error_of(e);
        if (err.cls == state::error_class::retryable)
          throw; // the whole page again, on the next attempt
        record_failure(rec.remote_id, err.message, false, ctx.key.entity);
      }
    }
    pg::note_reads(*conn, ctx.key, read);
    tx.commit();
    count_records(ctx.key.entity, "pull", written);
    return pushes;
  }

  void enqueue_pushes(const std::vector<std::string>& local_ids) {
    for (const auto& id : local_ids)
      enqueue("push", {{"entity", entity_}, {"local_id", id}},
              push_key(job_.tenant, job_.provider, entity_, id));
  }

  /// Records the provider sent but that could not be mapped (a renamed
  /// field, a wrong type) get a pull job of their own, which fails with
  /// the reason: the batch shows them, the rest of the page goes on.
  /// Each on a pull of its own entity: a customer that an invoice pull
  /// could not apply is pulled as a customer.
  void enqueue_rejected() {
    for (const auto& r : rejected_) {
      auto id = r.text.substr(0, r.text.find(':'));
      summary_.failed.push_back(r.entity == entity_ ? r.text
                                                    : r.entity + " " + r.text);
      if (named_)
        continue;
      enqueue("pull", {{"entity", r.entity}, {"remote_ids", {id}}},
              pull_key(job_.tenant, job_.provider, r.entity, id));
    }
    rejected_.clear();
  }

  void record_failure(const std::string& id, const std::string& why,
                      bool retryable, const std::string& entity = {}) {
    if (retryable)
      retry_ = true;
    rejected_.push_back({entity.empty() ? entity_ : entity, id + ": " + why});
  }

  void finish() {
    enqueue_rejected();
    auto summary = summary_.to_json();
    summary["pages"] = page_;
    if (named_ && !summary_.failed.empty()) {
      std::string msg;
      for (const auto& f : summary_.failed)
        msg += (msg.empty() ? "" : "; ") + f;
      if (search_wait_) // no attempt used up: the search catches up
        return fail(state::job_error::make_waiting(msg, settle()));
      return fail(retry_ ? state::job_error::make_retryable(msg)
                         : state::job_error::validation(msg));
    }
    succeed(summary);
  }

  record_context ctx_;
  record_context customer_ctx_;
  std::chrono::milliseconds overlap_{0};
  bool named_ = false;
  bool retry_ = false;
  /// A gone draft waits for the search to show its successor.
  bool search_wait_ = false;
  std::string since_;
  std::string scan_start_;
  /// Records to read again after this chunk (reread_or_apply), and how
  /// often each was.
  std::vector<provider_record> rereads_;
  std::map<std::string, int> rereads_of_;
  static constexpr int max_rereads = 3;
  /// scan_start_ is the provider's clock (not ours).
  bool provider_clock_ = false;
  /// Records fetched in full after this scan's first page was answered, by
  /// entity code and remote id (only when scan_start_ is the provider's
  /// clock), to when their answer says the provider read them (its clock):
  /// links.read_after once applied.
  std::map<std::pair<uint8_t, std::string>, std::chrono::sys_seconds>
    read_in_scan_;
  /// This provider's customer list items lack detail: no use listing them.
  bool customer_lists_incomplete_ = false;
  uint32_t page_ = 1;
  uint32_t total_pages_ = 1;
  struct rejected_record {
    std::string entity;
    /// "<remote id>: <why>"
    std::string text;
  };
  std::vector<rejected_record> rejected_;
  /// Records whose provider answer the mapping could not read.
  std::vector<std::string> drift_;
  /// The first Deprecation / Sunset announcement of a detail answer
  /// (header 0: none).
  provider_notice notice_;
  pull_summary summary_;
};

} // namespace

void run_pull(caf::event_based_actor* self, const job& j, job_done done,
              std::shared_ptr<const sync_env> env) {
  pull_run::launch(self, j, std::move(done), std::move(env));
}

} // namespace ledgerd
