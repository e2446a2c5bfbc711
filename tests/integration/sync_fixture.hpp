// The sync core end to end: the provider fixture (simulator on loopback,
// real PostgreSQL, provider actors) plus the job dispatcher running the
// sync jobs. Tests enqueue pulls, change records on either side and wait
// until the queue is quiet, then compare both sides.
#pragma once

#include "actors/dispatcher.hpp"
#include "actors/outbox_relay.hpp"
#include "actors/sync_jobs.hpp"
#include "adapters/pg/outbox_queue.hpp"
#include "tests/integration/provider_fixture.hpp"

#include <map>
#include <thread>

namespace ledgerd::test {

/// The provider field that carries a record's external reference (the
/// local id) for `entity` ("customer", "invoice").
inline const char* external_ref_field(const std::string& provider,
                                      const std::string& entity) {
  if (provider == "fortnox")
    return entity == "invoice" ? "ExternalInvoiceReference1"
                               : "ExternalReference";
  return entity == "invoice" ? "ElectronicReference" : "Note";
}

struct sync_fixture : provider_fixture {
  std::shared_ptr<pg::job_store> jobs;
  std::shared_ptr<sync_env> env = std::make_shared<sync_env>();
  caf::actor dispatcher_hdl;

  explicit sync_fixture(fixture_options opts = {})
    : provider_fixture(opts) {
    jobs = std::make_shared<pg::job_store>(pool, std::chrono::seconds{10});
    env->db = pool;
    env->cfg = cfg;
    env->dir = dir;
    env->jobs = jobs;
    env->call_timeout = std::chrono::seconds{60};
    auto registry = std::make_shared<job_registry>();
    add_sync_jobs(*registry, env);
    dispatcher_options d;
    d.owner = "test";
    d.concurrency = 8;
    d.poll_interval = std::chrono::milliseconds{50};
    auto runner = std::make_shared<job_runner_options>();
    runner->backoff.base = std::chrono::milliseconds{20};
    runner->backoff.cap = std::chrono::milliseconds{200};
    d.runner = std::move(runner);
    dispatcher_hdl = caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(
      dispatcher, jobs, std::shared_ptr<const job_registry>{registry}, d));
  }

  ~sync_fixture() {
    caf::anon_send_exit(dispatcher_hdl, caf::exit_reason::user_shutdown);
    self->wait_for(dispatcher_hdl);
  }

  int64_t enqueue(const std::string& tenant, const std::string& provider,
                  const std::string& kind, nlohmann::json payload,
                  const std::string& dedup = {}) {
    job_spec spec;
    spec.tenant = tenant;
    spec.provider = provider;
    spec.kind = kind;
    spec.payload = payload.dump();
    spec.priority = 3;
    spec.dedup_key = dedup;
    return jobs->enqueue(spec, std::chrono::system_clock::now()).id;
  }

  void pull(const std::string& tenant, const std::string& provider,
            const std::string& entity) {
    enqueue(tenant, provider, "pull", {{"entity", entity}},
            pull_key(tenant, provider, entity));
  }

  /// Relays local changes into push jobs and waits until no job is pending
  /// or running and the outbox is empty.
  void settle(std::chrono::seconds limit = std::chrono::seconds{120}) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    int quiet = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      relay_outbox_once(*env, 500);
      auto counts = jobs->count_by_state({});
      auto outbox = [&] {
        auto conn = pool->acquire(std::chrono::seconds{10});
        return pg::count_outbox_pending(*conn);
      }();
      if (counts["pending"] + counts["processing"] + outbox == 0) {
        if (++quiet == 3)
          return;
      } else {
        quiet = 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    FAIL("the sync did not settle: " << jobs_summary());
  }

  std::string jobs_summary() {
    std::string out;
    pg::job_filter f;
    f.limit = 20;
    for (const auto& j : jobs->list(f))
      out += "\n  #" + std::to_string(j.id) + " " + j.kind + " " + j.state + " "
             + j.last_error + " " + j.progress;
    return out;
  }

  int64_t count(const std::string& state) {
    return jobs->count_by_state({})[state];
  }

  /// SQL helper: first column of the first row.
  std::string sql(const std::string& text) {
    return db.query_value(text);
  }

  /// The sync invariant (SYNC-PROPERTIES.md §5) for `entity` of (tenant,
  /// provider): every local record (not deleted) is linked exactly once, to
  /// a remote record that carries its id as external reference, and no
  /// remote record carries a local id that another remote record carries
  /// too. Returns the number of local records checked.
  size_t check_exactly_linked(const std::string& provider,
                              const std::string& tenant,
                              const std::string& entity) {
    auto table = entity == "invoice" ? "ledger.invoices" : "ledger.customers";
    auto ref_field = external_ref_field(provider, entity);
    std::map<std::string, std::string> ref_of_remote;
    std::map<std::string, int> carriers;
    auto records = remote(provider, tenant, entity + "s");
    // Visma keeps draft invoices apart; ledgerd links them as "draft:<Id>".
    if (provider == "visma" && entity == "invoice")
      for (auto d : remote(provider, tenant, "drafts")) {
        d["id"] = "draft:" + d.at("id").get<std::string>();
        records.push_back(std::move(d));
      }
    for (const auto& r : records) {
      auto ref = r.at("data").value(ref_field, nlohmann::json{});
      auto id = r.at("id").get<std::string>();
      ref_of_remote[id] = ref.is_string() ? ref.get<std::string>() : "";
      if (ref.is_string() && !ref.get<std::string>().empty())
        ++carriers[ref.get<std::string>()];
    }
    auto conn = pool->acquire(std::chrono::seconds{10});
    auto locals = conn->exec("test.locals",
                             std::string{"SELECT id::text FROM "} + table
                               + " WHERE tenant = $1 AND deleted_at IS NULL",
                             tenant);
    for (int row = 0; row < locals.rows(); ++row) {
      auto local = locals.get<std::string>(row, 0);
      INFO(entity << " " << local);
      auto links = conn->exec("test.links_of",
                              "SELECT coalesce(remote_id, ''), status FROM"
                              " ledgerd.links WHERE tenant = $1 AND"
                              " provider = $2 AND entity = $3 AND"
                              " local_id = $4",
                              tenant, provider, entity, local);
      REQUIRE(links.rows() == 1);
      CHECK(links.get<std::string>(0, 1) == "linked");
      auto remote_id = links.get<std::string>(0, 0);
      INFO("linked to " << remote_id);
      REQUIRE(ref_of_remote.contains(remote_id));
      CHECK(ref_of_remote[remote_id] == local);
      CHECK(carriers[local] == 1);
    }
    return static_cast<size_t>(locals.rows());
  }

  /// One remote invoice as the simulator has it (a Visma draft by its
  /// "draft:" remote id).
  nlohmann::json remote_invoice(const std::string& provider,
                                const std::string& tenant,
                                const std::string& remote_id) {
    auto draft = remote_id.starts_with("draft:");
    auto got = admin("GET", "/sim/tenants/" + provider + "/" + tenant
                              + (draft ? "/drafts/" + remote_id.substr(6)
                                       : "/invoices/" + remote_id));
    return got.is_array() ? got.at(0).at("data") : got.at("data");
  }

  /// Remote records of a simulator tenant (admin API).
  nlohmann::json remote(const std::string& provider, const std::string& tenant,
                        const std::string& entity) {
    return admin("GET",
                 "/sim/tenants/" + provider + "/" + tenant + "/" + entity);
  }
};

inline std::string local_id_of(sync_fixture& f, const std::string& entity,
                               const std::string& remote_id) {
  return f.sql("SELECT local_id FROM ledgerd.links WHERE entity = '" + entity
               + "' AND remote_id = '" + remote_id + "'");
}

/// Inserts a local customer as the company's app would (captured).
inline std::string insert_customer(sync_fixture& f, const std::string& tenant,
                                   const std::string& name,
                                   const std::string& email) {
  return f.sql("INSERT INTO ledger.customers (tenant, name, email, city) "
               "VALUES ('"
               + tenant + "', '" + name + "', '" + email
               + "', 'Uppsala') RETURNING id");
}

inline std::string insert_invoice(sync_fixture& f, const std::string& tenant,
                                  const std::string& customer_id) {
  auto id = f.sql("INSERT INTO ledger.invoices (tenant, customer_id, "
                  "invoice_date, due_date, total, vat) VALUES ('"
                  + tenant + "', '" + customer_id
                  + "', '2026-11-01', '2026-12-01', 12500, 2500) "
                    "RETURNING id");
  f.sql("INSERT INTO ledger.invoice_rows (invoice_id, line_no, description, "
        "quantity, unit_price, vat_percent) VALUES ('"
        + id + "', 1, 'Consulting', 2, 5000, 25)");
  return id;
}

} // namespace ledgerd::test
