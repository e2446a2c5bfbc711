// The reconcile job: lists every remote id of an entity (all pages, no
// delta) and compares it with the links. Only after a complete listing:
// linked records the provider no longer lists, and listed records that have
// no link, get a named pull. That pull fetches each one: a 404 is a hard
// delete (merged like any delete), anything else is applied. Confirming by
// fetch means a record created while the listing ran is never taken for
// deleted.
#include "actors/sync_jobs.hpp"
#include "actors/sync_run.hpp"
#include "adapters/pg/cursor_table.hpp"
#include "adapters/pg/link_table.hpp"

#include <caf/event_based_actor.hpp>

#include <set>

namespace ledgerd {

namespace {

using nlohmann::json;

/// Records per follow-up pull job.
constexpr size_t pull_chunk = 20;

class reconcile_run : public sync_run<reconcile_run> {
public:
  using sync_run::sync_run;

  void start() {
    auto payload = json::parse(job_.payload);
    if (!bind(payload))
      return;
    key_ = {job_.tenant, job_.provider, entity_};
    started_ = env_->now();
    list_page();
  }

private:
  void list_page() {
    auto c = call(op_list);
    c.page = page_;
    ask(c, [self = shared_from_this()](provider_result& res) {
      self->on_page(std::move(res));
    });
  }

  void on_page(provider_result res) {
    if (!res.ok)
      return fail(job_error_of(res.failure));
    for (const auto& r : res.records)
      seen_.insert(r.remote_id);
    for (const auto& r : res.rejected)
      seen_.insert(r.substr(0, r.find(':')));
    if (page_ < res.total_pages) {
      ++page_;
      return list_page();
    }
    compare();
  }

  void compare() {
    std::vector<std::string> suspects;
    {
      auto conn = db();
      fence(*conn);
      auto linked = pg::linked_remote_ids(*conn, key_);
      for (const auto& [remote_id, local_id] : linked)
        if (!seen_.contains(remote_id))
          suspects.push_back(remote_id);
      for (const auto& id : seen_)
        if (!linked.contains(id) && !known_elsewhere(*conn, id))
          suspects.push_back(id);
      pg::save_reconciled(*conn, key_, started_);
    }
    for (size_t i = 0; i < suspects.size(); i += pull_chunk)
      enqueue_pull(std::vector<std::string>(
        suspects.begin() + static_cast<std::ptrdiff_t>(i),
        suspects.begin()
          + static_cast<std::ptrdiff_t>(
            std::min(i + pull_chunk, suspects.size()))));
    succeed({{"listed", seen_.size()},
             {"checked", suspects.size()},
             {"pages", page_}});
  }

  /// Tombstoned links are not in linked_remote_ids but are known.
  bool known_elsewhere(pg::connection& conn, const std::string& id) {
    return pg::find_link_by_remote(conn, key_, id).has_value();
  }

  void enqueue_pull(std::vector<std::string> ids) {
    auto key = reconcile_pull_key(job_.tenant, job_.provider, entity_, ids);
    enqueue("pull", {{"entity", entity_}, {"remote_ids", ids}}, key);
  }

  pg::link_key key_;
  uint32_t page_ = 1;
  std::set<std::string> seen_;
  sync_clock::time_point started_;
};

} // namespace

void run_reconcile(caf::event_based_actor* self, const job& j, job_done done,
                   std::shared_ptr<const sync_env> env) {
  reconcile_run::launch(self, j, std::move(done), std::move(env));
}

} // namespace ledgerd
