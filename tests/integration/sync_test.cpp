// The sync core end to end against the simulator and a private PostgreSQL:
// pulls, pushes, merges, conflicts, deletes, unknown-outcome creates and
// API changes, for both providers (SYNC-PROPERTIES.md §2.7 and §5).
#include "actors/conflict_resolution.hpp"
#include "adapters/pg/cursor_table.hpp"
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

using namespace ledgerd;
using namespace ledgerd::test;
using nlohmann::json;

namespace {

/// Jobs of `kind` ever run (live and archived).
std::string jobs_of_kind(const std::string& kind) {
  return "SELECT count(*) FROM (SELECT kind FROM ledgerd.jobs UNION ALL "
         "SELECT kind FROM ledgerd.jobs_done) j WHERE kind = '"
         + kind + "'";
}

/// Three Fortnox customers pulled; the remote and local id of one.
std::pair<std::string, std::string> pulled_fortnox_customer(sync_fixture& f) {
  f.seed("fortnox", "acme", 3, 0);
  f.pull("acme", "fortnox", "customer");
  f.settle();
  auto id = f.remote("fortnox", "acme", "customers")
              .at(1)
              .at("id")
              .get<std::string>();
  return {id, local_id_of(f, "customer", id)};
}

/// A person at the provider who acts (`method` on the simulator's `path`,
/// with `body`) as soon as the next request is served, while its answer is
/// still on the way: every answer comes 1.5 s after the request was served.
/// So a push's read is served, then the person acts, then the push writes.
class person_between_read_and_write {
public:
  person_between_read_and_write(sync_fixture& f, std::string method,
                                std::string path, std::string body = {})
    : f_{f} {
    f.admin("POST", "/sim/faults",
            {{"latency_ms", {{"min", 1500}, {"max", 1500}}}});
    auto before = served();
    thread_ = std::thread{[this, before, method = std::move(method),
                           path = std::move(path), body = std::move(body)] {
      auto deadline
        = std::chrono::steady_clock::now() + std::chrono::seconds{30};
      while (served() <= before && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
      http::client_request req;
      req.method = method;
      req.url = f_.sim_url() + path;
      req.body = body;
      if (!body.empty())
        req.headers.emplace_back("Content-Type", "application/json");
      auto status = f_.client->send_sync(req).status;
      acted_ = status >= 200 && status < 300;
    }};
  }

  /// Waits for the person; true when the act succeeded. The answers are on
  /// time again.
  bool acted() {
    thread_.join();
    f_.admin("POST", "/sim/faults", json::object());
    return acted_;
  }

private:
  /// Requests the simulator served (no Catch2 macros: another thread).
  int64_t served() {
    http::client_request req;
    req.method = "GET";
    req.url = f_.sim_url() + "/sim/stats";
    auto res = f_.client->send_sync(req);
    return res.status == 200
             ? json::parse(res.body).value("requests_total", int64_t{-1})
             : int64_t{-1};
  }

  sync_fixture& f_;
  std::atomic<bool> acted_{false};
  std::thread thread_;
};

} // namespace

TEST_CASE_METHOD(sync_fixture,
                 "a Fortnox pull brings every record in once and echoes "
                 "nothing back",
                 "[sync]") {
  seed("fortnox", "acme", 12, 20);
  // Invoices first: their customers are pulled on the way.
  pull("acme", "fortnox", "invoice");
  settle();
  pull("acme", "fortnox", "customer");
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.customers WHERE tenant = 'acme'")
        == "12");
  CHECK(sql("SELECT count(*) FROM ledger.invoices WHERE tenant = 'acme'")
        == "20");
  CHECK(sql("SELECT count(*) FROM ledgerd.links WHERE tenant = 'acme' AND "
            "status = 'linked'")
        == "32");
  for (const auto& r : remote("fortnox", "acme", "customers")) {
    auto id = r.at("id").get<std::string>();
    CHECK(sql("SELECT name FROM ledger.customers WHERE id::text = '"
              + local_id_of(*this, "customer", id) + "'")
          == r.at("data").at("Name").get<std::string>());
  }
  // Applying remote state captured nothing; pulling again changes nothing.
  CHECK(sql("SELECT count(*) FROM ledgerd.outbox") == "0");
  auto before = sql("SELECT max(updated_at)::text FROM ledger.customers");
  pull("acme", "fortnox", "customer");
  pull("acme", "fortnox", "invoice");
  settle();
  CHECK(sql(jobs_of_kind("push")) == "0");
  CHECK(sql("SELECT max(updated_at)::text FROM ledger.customers") == before);
  CHECK(sql("SELECT count(*) FROM ledgerd.outbox") == "0");
}

TEST_CASE_METHOD(sync_fixture,
                 "a Visma pull brings every record in and advances the cursor",
                 "[sync]") {
  seed("visma", "nordvik", 8, 15);
  pull("nordvik", "visma", "customer");
  settle();
  pull("nordvik", "visma", "invoice");
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.customers WHERE tenant = 'nordvik'")
        == "8");
  CHECK(sql("SELECT count(*) FROM ledger.invoices WHERE tenant = 'nordvik'")
        == "15");
  CHECK(sql("SELECT count(*) FROM ledgerd.cursors WHERE tenant = 'nordvik' "
            "AND watermark IS NOT NULL")
        == "2");
  CHECK(sql("SELECT count(*) FROM ledgerd.outbox") == "0");
}

TEST_CASE_METHOD(sync_fixture,
                 "a Visma invoice pull lists the customers it lacks instead of "
                 "fetching them one by one",
                 "[sync]") {
  // Against an independent implementation, a Visma invoice pull fetched
  // 183 customers one by one although Visma's customer list carries whole
  // records.
  seed("visma", "nordvik", 60, 300);
  std::set<std::string> named;
  for (const auto& inv : remote("visma", "nordvik", "invoices"))
    named.insert(inv.at("data").at("CustomerId").get<std::string>());
  REQUIRE(named.size() >= 40);
  auto before = admin("GET", "/sim/stats").value("requests_total", int64_t{0});
  pull("nordvik", "visma", "invoice");
  settle();
  auto requests
    = admin("GET", "/sim/stats").value("requests_total", int64_t{0}) - before;
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.invoices WHERE tenant = 'nordvik'")
        == "300");
  CHECK(sql("SELECT count(*) FROM ledger.customers WHERE tenant = 'nordvik'")
        == std::to_string(named.size()));
  auto pages
    = static_cast<int64_t>((300 + sim_profile().visma_max_pagesize() - 1)
                           / sim_profile().visma_max_pagesize());
  INFO("requests " << requests << ", invoice pages " << pages);
  if (!sim_profile().visma_summary_list_items()) {
    // The invoice pages, one customer page per invoice page at most, and a
    // few customers fetched one by one (named by a later page only).
    CHECK(requests < 2 * pages + 20);
  } else {
    // Summaries: each invoice and customer fetched once, and at most one
    // customer page per invoice page to learn that lists do not help.
    auto records = static_cast<int64_t>(300 + named.size());
    CHECK(requests <= 2 * pages + records);
  }
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma list items that are summaries are fetched in full, "
                 "not read as fields cleared",
                 "[sync]") {
  // Whether Visma's lists carry whole records is unknown [U]: a summary
  // without e-mail, telephone or rows, read as whole, would clear those
  // fields here and, with last_write_wins, there.
  admin("POST", "/sim/quirks", {{"visma.list_items", "summary"}});
  seed("visma", "nordvik", 30, 60);
  pull("nordvik", "visma", "customer");
  pull("nordvik", "visma", "invoice");
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledger.customers WHERE tenant = 'nordvik' "
            "AND email IS NOT NULL AND phone IS NOT NULL")
        == "30");
  CHECK(sql("SELECT count(*) FROM ledger.invoices WHERE tenant = 'nordvik'")
        == "60");
  CHECK(sql("SELECT count(DISTINCT r.invoice_id) FROM ledger.invoice_rows r "
            "JOIN ledger.invoices i ON i.id = r.invoice_id WHERE i.tenant = "
            "'nordvik'")
        == "60");
  CHECK(sql("SELECT count(*) FROM ledgerd.cursors WHERE tenant = 'nordvik' "
            "AND paused_reason IS NOT NULL")
        == "0");
  // Nothing to push back: what was read is what Visma has.
  CHECK(sql("SELECT count(*) FROM ledgerd.outbox WHERE processed_at IS NULL")
        == "0");
}

TEST_CASE_METHOD(sync_fixture,
                 "a pull whose fetch is refused for its token tries again, "
                 "the record is not failed for good",
                 "[sync]") {
  // Found by scripts/soak: tokens revoked again right after a refresh, and
  // event pulls failed for good on "provider 401" as if the record were
  // bad.
  seed("fortnox", "acme", 5, 0);
  pull("acme", "fortnox", "customer");
  settle();
  REQUIRE(sql("SELECT count(*) FROM ledger.customers") == "5");
  auto id
    = remote("fortnox", "acme", "customers").at(2).at("id").get<std::string>();
  admin("PUT", "/sim/tenants/fortnox/acme/customers/" + id,
        {{"Phone1", "08-777 77 77"}});
  // The fetch, and the one after its token refresh, are refused.
  admin("POST", "/sim/faults",
        {{"error_burst", {{"status", 401}, {"count", 2}, {"method", "GET"}}}});
  enqueue("acme", "fortnox", "pull",
          {{"entity", "customer"}, {"remote_ids", {id}}});
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT phone FROM ledger.customers c JOIN ledgerd.links l ON "
            "l.local_id = c.id::text WHERE l.remote_id = '"
            + id + "'")
        == "08-777 77 77");
}

TEST_CASE_METHOD(sync_fixture,
                 "a job whose provider connection stops mid-call fails at "
                 "once instead of waiting out the call timeout",
                 "[sync]") {
  // The provider actor drops the calls it holds when it stops, and CAF
  // 0.17 sends no error for an undelivered promise.
  seed("fortnox", "acme", 40, 0);
  admin("POST", "/sim/faults", {{"timeout", {{"count", 1000}}}});
  pull("acme", "fortnox", "customer");
  REQUIRE(actor_system_fixture::eventually([&] {
    return sql("SELECT count(*) FROM ledgerd.jobs WHERE state = "
               "'processing'")
             == "1"
           && admin("GET", "/sim/stats").value("requests_total", 0) >= 1;
  }));
  auto stopped = std::chrono::steady_clock::now();
  caf::anon_send_exit(providers.at(provider_child_name("acme", "fortnox")),
                      caf::exit_reason::kill);
  // The call timeout here is 60 s.
  CHECK(actor_system_fixture::eventually(
    [&] {
      return sql("SELECT count(*) FROM ledgerd.jobs WHERE last_error LIKE "
                 "'provider connection stopped during the run%'")
             == "1";
    },
    std::chrono::seconds{10}));
  CHECK(std::chrono::steady_clock::now() - stopped < std::chrono::seconds{10});
}

TEST_CASE_METHOD(sync_fixture,
                 "a customer an invoice pull cannot apply gets a customer pull "
                 "of its own",
                 "[sync]") {
  // It used to get a pull of an invoice with the customer's id: the wrong
  // record read again, the customer never.
  seed("visma", "nordvik", 10, 30);
  auto invoices = remote("visma", "nordvik", "invoices");
  auto bad = invoices.at(0).at("data").at("CustomerId").get<std::string>();
  admin("PUT", "/sim/tenants/visma/nordvik/customers/" + bad,
        {{"Name", "Trasig AB"}});
  // The company's schema refuses that customer (a rule of its own).
  sql("ALTER TABLE ledger.customers ADD CONSTRAINT no_broken_names"
      " CHECK (name <> 'Trasig AB')");
  pull("nordvik", "visma", "invoice");
  auto pulls_of = [&](const std::string& entity) {
    auto where = " WHERE kind = 'pull' AND payload->>'entity' = '" + entity
                 + "' AND payload->'remote_ids'->>0 = '" + bad + "'";
    return std::stoi(sql("SELECT (SELECT count(*) FROM ledgerd.jobs" + where
                         + ") + (SELECT count(*) FROM ledgerd.jobs_done" + where
                         + ")"));
  };
  bool found = false;
  for (int i = 0; i < 600 && !found; ++i) {
    relay_outbox_once(*env, 500);
    found = pulls_of("customer") > 0;
    if (!found)
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  INFO(jobs_summary());
  CHECK(found);
  CHECK(pulls_of("invoice") == 0);
  // The other customers and their invoices came in.
  CHECK(sql("SELECT count(*) FROM ledger.customers WHERE tenant = 'nordvik'")
        != "0");
}

TEST_CASE_METHOD(sync_fixture,
                 "a remote change reaches the local row on the next pull",
                 "[sync]") {
  seed("fortnox", "acme", 3, 0);
  pull("acme", "fortnox", "customer");
  settle();
  auto first = remote("fortnox", "acme", "customers").at(0);
  auto id = first.at("id").get<std::string>();
  admin("PUT", "/sim/tenants/fortnox/acme/customers/" + id,
        {{"Email", "changed@example.se"}});
  pull("acme", "fortnox", "customer");
  settle();
  CHECK(sql("SELECT email FROM ledger.customers WHERE id::text = '"
            + local_id_of(*this, "customer", id) + "'")
        == "changed@example.se");
  CHECK(sql("SELECT count(*) FROM ledgerd.outbox") == "0");
}

TEST_CASE_METHOD(sync_fixture,
                 "local creates reach Fortnox once with the numbers it assigns "
                 "coming back",
                 "[sync]") {
  seed("fortnox", "acme", 0, 0);
  auto customer = insert_customer(*this, "acme", "Ny Kund AB", "ny@kund.se");
  auto invoice = insert_invoice(*this, "acme", customer);
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  auto customers = remote("fortnox", "acme", "customers");
  REQUIRE(customers.size() == 1);
  CHECK(customers.at(0).at("data").at("Name") == "Ny Kund AB");
  auto invoices = remote("fortnox", "acme", "invoices");
  REQUIRE(invoices.size() == 1);
  CHECK(invoices.at(0).at("data").at("CustomerNumber")
        == customers.at(0).at("id"));
  // The provider's numbers came back without echoing as local changes.
  CHECK(sql("SELECT customer_number FROM ledger.customers WHERE id = '"
            + customer + "'")
        == customers.at(0).at("id").get<std::string>());
  CHECK(sql("SELECT invoice_number FROM ledger.invoices WHERE id = '" + invoice
            + "'")
        == invoices.at(0).at("id").get<std::string>());
  CHECK(sql("SELECT count(*) FROM ledgerd.links WHERE status = 'linked'")
        == "2");
  // Quiet afterwards: a pull finds both sides equal.
  pull("acme", "fortnox", "customer");
  pull("acme", "fortnox", "invoice");
  settle();
  CHECK(sql("SELECT count(*) FROM ledgerd.outbox WHERE processed_at IS NULL")
        == "0");
  CHECK(remote("fortnox", "acme", "customers").size() == 1);
}

TEST_CASE_METHOD(sync_fixture,
                 "a local create reaches Visma once with its customer first",
                 "[sync]") {
  seed("visma", "nordvik", 0, 0);
  auto customer = insert_customer(*this, "nordvik", "Fjord AS", "a@fjord.no");
  insert_invoice(*this, "nordvik", customer);
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  REQUIRE(remote("visma", "nordvik", "customers").size() == 1);
  // A local draft is a customer invoice draft at Visma (still editable).
  REQUIRE(remote("visma", "nordvik", "drafts").size() == 1);
  CHECK(remote("visma", "nordvik", "invoices").size() == 0);
  CHECK(sql("SELECT count(*) FROM ledgerd.links WHERE tenant = 'nordvik' AND "
            "status = 'linked'")
        == "2");
}

TEST_CASE_METHOD(sync_fixture,
                 "a create whose answer is lost yields exactly one remote "
                 "record",
                 "[sync]") {
  seed("fortnox", "acme", 0, 0);
  admin("POST", "/sim/faults",
        {{"drop_response_after_create", {{"count", 1}}}});
  auto customer = insert_customer(*this, "acme", "Osäker AB", "o@saker.se");
  settle();
  INFO(jobs_summary());
  auto customers = remote("fortnox", "acme", "customers");
  REQUIRE(customers.size() == 1);
  CHECK(customers.at(0).at("data").at("ExternalReference") == customer);
  CHECK(
    sql("SELECT status FROM ledgerd.links WHERE local_id = '" + customer + "'")
    == "linked");
}

TEST_CASE_METHOD(sync_fixture,
                 "a local edit is pushed with the remote's other fields kept",
                 "[sync]") {
  seed("fortnox", "acme", 2, 0);
  pull("acme", "fortnox", "customer");
  settle();
  auto first = remote("fortnox", "acme", "customers").at(0);
  auto id = first.at("id").get<std::string>();
  auto local = local_id_of(*this, "customer", id);
  sql("UPDATE ledger.customers SET email = 'pushed@example.se' WHERE id = '"
      + local + "'");
  settle();
  INFO(jobs_summary());
  auto after = admin("GET", "/sim/tenants/fortnox/acme/customers/" + id);
  auto data = after.is_array() ? after.at(0).at("data") : after.at("data");
  CHECK(data.at("Email") == "pushed@example.se");
  // Fields ledgerd does not map survive the update (the mapped ones are
  // written from the canonical record: the local id goes into
  // ExternalReference, an absent value is sent as "").
  const std::set<std::string> mapped{"Active",
                                     "Address1",
                                     "Address2",
                                     "City",
                                     "CountryCode",
                                     "Currency",
                                     "CustomerNumber",
                                     "Email",
                                     "ExternalReference",
                                     "Name",
                                     "OrganisationNumber",
                                     "Phone1",
                                     "VATNumber",
                                     "ZipCode",
                                     "@url"};
  size_t unmapped = 0;
  for (const auto& [key, value] : first.at("data").items()) {
    INFO(key);
    if (mapped.contains(key))
      continue;
    ++unmapped;
    CHECK(data.value(key, json{}) == value);
  }
  CHECK(unmapped > 5);
  CHECK(data.at("Name") == first.at("data").at("Name"));
}

TEST_CASE_METHOD(sync_fixture,
                 "a read that answers late does not write over a later read "
                 "of the same record",
                 "[sync]") {
  // Found by scripts/soak under load: a first full pull read a customer,
  // a person renamed it, an event's pull read and applied the new name,
  // then the full pull applied its older read over it; the next push took
  // that old name to the provider, and the rename was lost on both sides.
  seed("fortnox", "acme", 12, 0);
  pull("acme", "fortnox", "customer");
  settle();
  auto id
    = remote("fortnox", "acme", "customers").at(5).at("id").get<std::string>();
  auto local = local_id_of(*this, "customer", id);
  auto served = [&] {
    return admin("GET", "/sim/stats").value("requests_total", int64_t{0});
  };
  admin("PATCH", "/sim/tenants/fortnox/acme/customers/" + id,
        {{"Name", "Bageriet Först"}});
  admin(
    "POST", "/sim/faults",
    {{"slow_answer",
      {{"path", "/fortnox/3/customers/" + id}, {"ms", 4000}, {"count", 1}}}});
  auto before = served();
  enqueue("acme", "fortnox", "pull",
          {{"entity", "customer"}, {"remote_ids", {id}}});
  // Its read is served (and answers in 4 s); then the person acts again
  // and a second pull reads the newer name at once.
  REQUIRE(actor_system_fixture::eventually([&] {
    return served() > before;
  }));
  admin("PATCH", "/sim/tenants/fortnox/acme/customers/" + id,
        {{"Name", "Bageriet Sist"}});
  enqueue("acme", "fortnox", "pull",
          {{"entity", "customer"}, {"remote_ids", {id}}});
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(
    sql("SELECT name FROM ledger.customers WHERE id::text = '" + local + "'")
    == "Bageriet Sist");
  // A local edit now pushes onto the newest remote state.
  sql("UPDATE ledger.customers SET phone = '08-555 55 55' WHERE id::text = '"
      + local + "'");
  settle();
  auto after = admin("GET", "/sim/tenants/fortnox/acme/customers/" + id);
  CHECK(after.at("data").at("Name") == "Bageriet Sist");
  CHECK(after.at("data").at("Phone1") == "08-555 55 55");
}

TEST_CASE_METHOD(sync_fixture,
                 "a Fortnox delta pull fetches again only what changed since "
                 "ledgerd read it, however much the overlap lists again",
                 "[sync]") {
  // Against an independent implementation, polls every 5 s fetched every
  // record of the 2-minute overlap again in detail, poll after poll.
  seed("fortnox", "acme", 30, 0);
  auto served = [&] {
    return admin("GET", "/sim/stats").value("requests_total", int64_t{0});
  };
  auto vat_of = [&](const std::string& local) {
    return sql("SELECT coalesce(vat_number, '') FROM ledger.customers WHERE "
               "id = '"
               + local + "'");
  };
  // The seeded records are older than the next scan's start by more than
  // the margin, so only later changes are listed as such.
  std::this_thread::sleep_for(std::chrono::seconds{7});
  pull("acme", "fortnox", "customer");
  settle();
  auto customers = remote("fortnox", "acme", "customers");
  REQUIRE(customers.size() == 30);
  // A field the list items lack: only the detail shows it changed.
  auto id = customers.at(4).at("id").get<std::string>();
  auto local = local_id_of(*this, "customer", id);
  admin("PATCH", "/sim/tenants/fortnox/acme/customers/" + id,
        {{"VATNumber", "SE556677889901"}});
  auto before = served();
  pull("acme", "fortnox", "customer");
  settle();
  auto edit_requests = served() - before;
  CHECK(vat_of(local) == "SE556677889901");
  // Nothing changed since: the next poll reads lists only.
  before = served();
  pull("acme", "fortnox", "customer");
  settle();
  auto quiet_requests = served() - before;
  // A second edit: found again although the record was skipped before.
  admin("PATCH", "/sim/tenants/fortnox/acme/customers/" + id,
        {{"VATNumber", "SE556677889902"}});
  pull("acme", "fortnox", "customer");
  settle();
  CHECK(vat_of(local) == "SE556677889902");
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  // All 30 are in the 2-minute overlap. With lastmodified read to the
  // minute (a quirk), the list of changes names more and more is fetched;
  // what changed is applied either way.
  INFO("edit poll " << edit_requests << ", quiet poll " << quiet_requests);
  if (sim_profile().fortnox_lastmodified_seconds()) {
    // The overlap list, the list of changes, one detail.
    CHECK(edit_requests == 3);
    // The overlap list, a list of the changes since the edited record's
    // read (it names it: the edit came within the margin before that read)
    // and its detail; the other 29 are not even listed.
    CHECK(quiet_requests == 3);
  } else {
    CHECK(edit_requests <= 32);
  }
}

namespace {

fixture_options slow_fortnox() {
  fixture_options opts;
  opts.fortnox_requests = 2; // per 500 ms: 40 details take 10 s
  return opts;
}

struct slow_fortnox_fixture : sync_fixture {
  slow_fortnox_fixture()
    : sync_fixture(slow_fortnox()) {}
};

} // namespace

TEST_CASE_METHOD(slow_fortnox_fixture,
                 "a record read late in a long Fortnox scan is not fetched "
                 "again because it changed shortly before that scan began",
                 "[sync]") {
  // Each read counts from its own answer's Date, not from the scan's start:
  // a scan of 40 details spreads its reads over 10 s, and only those read
  // within the margin (5 s) of their last change need the next poll's
  // detail.
  seed("fortnox", "acme", 40, 0);
  auto served = [&] {
    return admin("GET", "/sim/stats").value("requests_total", int64_t{0});
  };
  std::this_thread::sleep_for(std::chrono::seconds{7});
  pull("acme", "fortnox", "customer");
  settle();
  auto customers = remote("fortnox", "acme", "customers");
  REQUIRE(customers.size() == 40);
  for (size_t i = 0; i < customers.size(); ++i)
    admin("PATCH",
          "/sim/tenants/fortnox/acme/customers/"
            + customers.at(i).at("id").get<std::string>(),
          {{"VATNumber", "SE5566778899" + std::to_string(10 + i)}});
  pull("acme", "fortnox", "customer");
  settle();
  CHECK(sql("SELECT count(*) FROM ledger.customers WHERE vat_number LIKE "
            "'SE5566778899%'")
        == "40");
  INFO("reads " << sql("SELECT min(read_after)::text || ' .. ' || "
                        "max(read_after)::text FROM ledgerd.links WHERE "
                        "entity = 'customer'"));
  auto before = served();
  pull("acme", "fortnox", "customer");
  settle();
  auto first_quiet = served() - before;
  before = served();
  pull("acme", "fortnox", "customer");
  settle();
  auto second_quiet = served() - before;
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  INFO("first quiet poll " << first_quiet << ", second " << second_quiet);
  if (sim_profile().fortnox_lastmodified_seconds()) {
    // Up to 5 lists, and the details of those read within 6 s of their
    // edit (some 24 of 40; counted from the scan's start, all 40).
    CHECK(first_quiet <= 5 + 30);
    // Lists only: every record was read long after its last change.
    CHECK(second_quiet <= 5);
  }
}

TEST_CASE_METHOD(sync_fixture,
                 "a Fortnox field edited there while a push is between its "
                 "read and its write is not written back with its old value",
                 "[sync]") {
  auto [id, local] = pulled_fortnox_customer(*this);
  auto path = "/sim/tenants/fortnox/acme/customers/" + id;
  // The push's read is served, then a person edits WWW (a field ledgerd
  // does not sync, so no pull could bring it back), then the write comes.
  person_between_read_and_write person{
    *this, "PATCH", path, R"({"WWW":"https://edited.example.se"})"};
  sql("UPDATE ledger.customers SET email = 'pushed@example.se' WHERE id = '"
      + local + "'");
  settle();
  REQUIRE(person.acted());
  INFO(jobs_summary());
  auto after = admin("GET", path);
  auto data = after.is_array() ? after.at(0).at("data") : after.at("data");
  CHECK(data.at("Email") == "pushed@example.se");
  CHECK(data.at("WWW") == "https://edited.example.se");
}

TEST_CASE_METHOD(sync_fixture,
                 "a record deleted there while a push is between its read "
                 "and its write is a delete-against-edit conflict, not a "
                 "failed job",
                 "[sync]") {
  // Found by scripts/soak: the update answered 404 and the push failed for
  // good, with the local edit neither written nor held for a decision.
  auto [id, local] = pulled_fortnox_customer(*this);
  // The push's read is served, then a person deletes the customer, then
  // the write comes.
  person_between_read_and_write person{
    *this, "DELETE", "/sim/tenants/fortnox/acme/customers/" + id};
  sql("UPDATE ledger.customers SET email = 'pushed@example.se' WHERE id = '"
      + local + "'");
  settle();
  REQUIRE(person.acted());
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledgerd.conflicts WHERE local_id = '" + local
            + "' AND field = '_deleted' AND status = 'open'")
        == "1");
  CHECK(sql("SELECT (deleted_at IS NULL)::text FROM ledger.customers WHERE "
            "id = '"
            + local + "'")
        == "true");
}

namespace {

fixture_options with_rules(const std::string& fields) {
  fixture_options opts;
  opts.acme_toml = "[tenants.sync.conflicts]\ndefault = \"last_write_wins\"\n"
                   "tie_winner = \"remote\"\nfields = { "
                   + fields + " }\n";
  return opts;
}

/// A fixture whose acme rules come from `fields`, with one pulled customer.
struct rules_fixture : sync_fixture {
  std::string remote_id;
  std::string local_id;

  explicit rules_fixture(const std::string& fields, int customers = 1)
    : sync_fixture(with_rules(fields)) {
    seed("fortnox", "acme", customers, 0);
    pull("acme", "fortnox", "customer");
    settle();
    remote_id = remote("fortnox", "acme", "customers").at(0).at("id");
    local_id = local_id_of(*this, "customer", remote_id);
  }

  json remote_data(const std::string& id) {
    auto r = admin("GET", "/sim/tenants/fortnox/acme/customers/" + id);
    return r.is_array() ? r.at(0).at("data") : r.at("data");
  }

  std::string local(const std::string& column, const std::string& id) {
    return sql("SELECT coalesce(" + column
               + ", '') FROM ledger.customers WHERE id = '" + id + "'");
  }
};

} // namespace

TEST_CASE("both sides edit the same fields: each field's rule decides",
          "[sync]") {
  rules_fixture f{"\"customer.phone\" = \"local_wins\", "
                  "\"customer.city\" = \"remote_wins\""};
  f.sql("UPDATE ledger.customers SET phone = 'L-phone', city = 'L-city', "
        "name = 'L-name', email = 'l@example.se' WHERE id = '"
        + f.local_id + "'");
  f.admin("PUT", "/sim/tenants/fortnox/acme/customers/" + f.remote_id,
          {{"Phone1", "R-phone"}, {"City", "R-city"}, {"Name", "R-name"}});
  f.settle();
  INFO(f.jobs_summary());
  auto data = f.remote_data(f.remote_id);
  // local_wins, remote_wins, and last_write_wins without provider times
  // (Fortnox): the configured tie side, remote.
  CHECK(data.at("Phone1") == "L-phone");
  CHECK(f.local("phone", f.local_id) == "L-phone");
  CHECK(data.at("City") == "R-city");
  CHECK(f.local("city", f.local_id) == "R-city");
  CHECK(data.at("Name") == "R-name");
  CHECK(f.local("name", f.local_id) == "R-name");
  // A field changed on one side only is simply taken.
  CHECK(data.at("Email") == "l@example.se");
  CHECK(f.sql("SELECT count(*) FROM ledgerd.conflicts") == "0");
}

TEST_CASE("a manual conflict holds its record until resolved while others "
          "sync",
          "[sync]") {
  rules_fixture f{"\"customer.email\" = \"manual\"", 2};
  auto other_remote = f.remote("fortnox", "acme", "customers").at(1).at("id");
  auto other_local = local_id_of(f, "customer", other_remote);
  f.sql("UPDATE ledger.customers SET email = 'local@example.se', "
        "city = 'Held-city' WHERE id = '"
        + f.local_id + "'");
  f.admin("PUT", "/sim/tenants/fortnox/acme/customers/" + f.remote_id,
          {{"Email", "remote@example.se"}});
  f.sql("UPDATE ledger.customers SET city = 'Free-city' WHERE id = '"
        + other_local + "'");
  f.settle();
  INFO(f.jobs_summary());
  REQUIRE(f.sql("SELECT count(*) FROM ledgerd.conflicts WHERE status = "
                "'open'")
          == "1");
  CHECK(f.sql("SELECT field || ' ' || (local_value #>> '{}') || ' ' || "
              "(remote_value #>> '{}') FROM ledgerd.conflicts")
        == "email local@example.se remote@example.se");
  // The record waits: neither its conflicting nor its other field moved.
  CHECK(f.remote_data(f.remote_id).at("Email") == "remote@example.se");
  CHECK(f.remote_data(f.remote_id).at("City") != "Held-city");
  // The other record synced.
  CHECK(f.remote_data(other_remote).at("City") == "Free-city");
  // Resolving converges both sides; resolving again changes nothing.
  auto id = std::stoll(f.sql("SELECT id FROM ledgerd.conflicts"));
  auto first = resolve_conflict(*f.env, id, "local", nullptr, "test");
  CHECK(first.resolved_now);
  auto again = resolve_conflict(*f.env, id, "local", nullptr, "test");
  CHECK_FALSE(again.resolved_now);
  CHECK_THROWS_AS(resolve_conflict(*f.env, id, "remote", nullptr, "test"),
                  std::invalid_argument);
  f.settle();
  INFO(f.jobs_summary());
  auto data = f.remote_data(f.remote_id);
  CHECK(data.at("Email") == "local@example.se");
  CHECK(data.at("City") == "Held-city");
  CHECK(f.local("email", f.local_id) == "local@example.se");
  CHECK(f.sql("SELECT held FROM ledgerd.links WHERE local_id = '" + f.local_id
              + "'")
        == "f");
  CHECK(f.sql("SELECT count(*) FROM ledgerd.conflicts WHERE status = 'open'")
        == "0");
}

TEST_CASE("a custom resolution writes the chosen value to both sides",
          "[sync]") {
  rules_fixture f{"\"customer.email\" = \"manual\""};
  f.sql("UPDATE ledger.customers SET email = 'a@example.se' WHERE id = '"
        + f.local_id + "'");
  f.admin("PUT", "/sim/tenants/fortnox/acme/customers/" + f.remote_id,
          {{"Email", "b@example.se"}});
  f.settle();
  auto id = std::stoll(f.sql("SELECT id FROM ledgerd.conflicts"));
  resolve_conflict(*f.env, id, "custom", "c@example.se", "test");
  f.settle();
  INFO(f.jobs_summary());
  CHECK(f.remote_data(f.remote_id).at("Email") == "c@example.se");
  CHECK(f.local("email", f.local_id) == "c@example.se");
}

TEST_CASE_METHOD(sync_fixture,
                 "a customer deleted at the provider while a local invoice "
                 "names it is a conflict, and the invoice waits for it",
                 "[sync]") {
  // Found by scripts/soak: the local customer was soft-deleted, its new
  // invoice orphaned, and the invoice's push failed for good on the dead
  // CustomerId.
  seed("visma", "nordvik", 3, 0);
  pull("nordvik", "visma", "customer");
  settle();
  auto remote_id
    = remote("visma", "nordvik", "customers").at(0).at("id").get<std::string>();
  auto local = local_id_of(*this, "customer", remote_id);
  admin("DELETE", "/sim/tenants/visma/nordvik/customers/" + remote_id);
  // The company's app bills the customer before ledgerd has seen the
  // delete (the outbox is relayed only after the reconciliation).
  auto invoice = insert_invoice(*this, "nordvik", local);
  enqueue("nordvik", "visma", "reconcile", {{"entity", "customer"}});
  auto conflicts = [&] {
    return sql("SELECT count(*) FROM ledgerd.conflicts WHERE local_id = '"
               + local + "' AND field = '_deleted' AND status = 'open'");
  };
  REQUIRE(actor_system_fixture::eventually(
    [&] {
      return conflicts() == "1";
    },
    std::chrono::seconds{60}));
  relay_outbox_once(*env, 500);
  REQUIRE(actor_system_fixture::eventually(
    [&] {
      return sql("SELECT count(*) FROM ledgerd.jobs WHERE kind = 'push' AND "
                 "state = 'pending' AND last_error LIKE '%held for review%'")
             == "1";
    },
    std::chrono::seconds{60}));
  INFO(jobs_summary());
  CHECK(sql("SELECT (deleted_at IS NULL)::text FROM ledger.customers WHERE "
            "id = '"
            + local + "'")
        == "true");
  CHECK(
    sql("SELECT count(*) FROM ledgerd.links WHERE local_id = '" + invoice + "'")
    == "0");
  CHECK(count("failed") == 0);
  CHECK(remote("visma", "nordvik", "drafts").empty());
  CHECK(remote("visma", "nordvik", "invoices").empty());
}

TEST_CASE_METHOD(sync_fixture,
                 "an invoice refused because its customer is gone at the "
                 "provider holds the customer for review instead of failing",
                 "[sync]") {
  // The other order of the case above (also found by scripts/soak): the
  // invoice's push reaches the provider before ledgerd has seen the
  // customer's delete, and the provider refuses it.
  seed("visma", "nordvik", 3, 0);
  pull("nordvik", "visma", "customer");
  settle();
  auto remote_id
    = remote("visma", "nordvik", "customers").at(0).at("id").get<std::string>();
  auto local = local_id_of(*this, "customer", remote_id);
  admin("DELETE", "/sim/tenants/visma/nordvik/customers/" + remote_id);
  auto invoice = insert_invoice(*this, "nordvik", local);
  relay_outbox_once(*env, 500);
  REQUIRE(actor_system_fixture::eventually(
    [&] {
      return sql("SELECT count(*) FROM ledgerd.jobs WHERE kind = 'push' AND "
                 "state = 'pending' AND last_error LIKE '%held for review%'")
             == "1";
    },
    std::chrono::seconds{60}));
  INFO(jobs_summary());
  CHECK(sql("SELECT count(*) FROM ledgerd.conflicts WHERE local_id = '" + local
            + "' AND field = '_deleted' AND status = 'open'")
        == "1");
  CHECK(sql("SELECT (deleted_at IS NULL)::text FROM ledger.customers WHERE "
            "id = '"
            + local + "'")
        == "true");
  CHECK(count("failed") == 0);
  CHECK(remote("visma", "nordvik", "drafts").empty());
}

TEST_CASE_METHOD(sync_fixture,
                 "deletes propagate both ways and delete against edit is a "
                 "conflict",
                 "[sync]") {
  seed("fortnox", "acme", 4, 2);
  pull("acme", "fortnox", "customer");
  pull("acme", "fortnox", "invoice");
  settle();
  auto customers = remote("fortnox", "acme", "customers");
  // A customer no invoice uses, deleted at the provider: reconciliation
  // finds it gone and the local row is soft-deleted.
  std::set<std::string> used;
  for (const auto& inv : remote("fortnox", "acme", "invoices"))
    used.insert(inv.at("data").at("CustomerNumber").get<std::string>());
  std::vector<std::string> unused;
  for (const auto& c : customers)
    if (!used.contains(c.at("id").get<std::string>()))
      unused.push_back(c.at("id"));
  REQUIRE(unused.size() >= 2);
  // The node's customer-link cache knows both (an invoice pull would have
  // put them there); a tombstone must take them out.
  env->customer_links->remember(
    "acme", "fortnox",
    {{unused[0], local_id_of(*this, "customer", unused[0])},
     {unused[1], local_id_of(*this, "customer", unused[1])}});
  admin("DELETE", "/sim/tenants/fortnox/acme/customers/" + unused[0]);
  enqueue("acme", "fortnox", "reconcile", {{"entity", "customer"}});
  settle();
  INFO(jobs_summary());
  auto gone = local_id_of(*this, "customer", unused[0]);
  CHECK(sql("SELECT deleted_at IS NOT NULL FROM ledger.customers WHERE id = '"
            + gone + "'")
        == "t");
  CHECK(sql("SELECT status FROM ledgerd.links WHERE local_id = '" + gone + "'")
        == "tombstoned");
  CHECK(env->customer_links->known("acme", "fortnox", {unused[0]}).empty());
  CHECK(sql("SELECT count(*) FROM ledgerd.outbox") == "0");
  // A local soft delete removes the customer at the provider.
  auto local = local_id_of(*this, "customer", unused[1]);
  sql("UPDATE ledger.customers SET deleted_at = now() WHERE id = '" + local
      + "'");
  settle();
  CHECK(remote("fortnox", "acme", "customers").size() == customers.size() - 2);
  CHECK(env->customer_links->known("acme", "fortnox", {unused[1]}).empty());
  // A local invoice delete cancels it at Fortnox (no hard delete there).
  auto inv_remote = remote("fortnox", "acme", "invoices").at(0).at("id");
  auto inv_local = local_id_of(*this, "invoice", inv_remote);
  sql("UPDATE ledger.invoices SET deleted_at = now() WHERE id = '" + inv_local
      + "'");
  settle();
  auto inv = admin("GET", "/sim/tenants/fortnox/acme/invoices/"
                            + inv_remote.get<std::string>());
  auto inv_data = inv.is_array() ? inv.at(0).at("data") : inv.at("data");
  CHECK(inv_data.at("Cancelled") == true);
  // Deleted here, edited there: a conflict on _deleted, nothing resurrected
  // or deleted silently.
  auto other = remote("fortnox", "acme", "invoices").at(1).at("id");
  auto other_local = local_id_of(*this, "invoice", other);
  admin("PUT", "/sim/tenants/fortnox/acme/invoices/" + other.get<std::string>(),
        {{"YourReference", "edited remotely"}});
  sql("UPDATE ledger.invoices SET deleted_at = now() WHERE id = '" + other_local
      + "'");
  settle();
  CHECK(sql("SELECT field FROM ledgerd.conflicts WHERE local_id = '"
            + other_local + "'")
        == "_deleted");
  auto still = admin("GET", "/sim/tenants/fortnox/acme/invoices/"
                              + other.get<std::string>());
  auto still_data
    = still.is_array() ? still.at(0).at("data") : still.at("data");
  CHECK(still_data.at("Cancelled") == false);
}

TEST_CASE_METHOD(sync_fixture,
                 "a renamed provider field pauses the manual sync's pull, "
                 "writes no nulls, and the batch completes once resumed",
                 "[sync][drift]") {
  seed("fortnox", "acme", 5, 0);
  admin("POST", "/sim/faults",
        {{"rename_field",
          {{"provider", "fortnox"}, {"from", "Name"}, {"to", "FullName"}}}});
  auto batch = jobs->create_batch("acme", "manual_sync",
                                  std::chrono::system_clock::now());
  job_spec spec;
  spec.tenant = "acme";
  spec.provider = "fortnox";
  spec.kind = "pull";
  spec.payload = R"({"entity": "customer"})";
  spec.batch_id = batch;
  jobs->enqueue(spec, std::chrono::system_clock::now());
  auto paused = [&] {
    return sql("SELECT coalesce(max(paused_reason), '') FROM ledgerd.cursors "
               "WHERE tenant = 'acme' AND entity = 'customer'");
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  while (paused().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  INFO(jobs_summary());
  // The provider field is named; no record failed on its own, none written.
  CHECK(paused().find("Customer.Name missing") != std::string::npos);
  CHECK(sql("SELECT count(*) FROM ledger.customers") == "0");
  CHECK(count("failed") == 0);
  auto status = jobs->batch(batch);
  REQUIRE(status);
  CHECK(status->state == "running");
  // Once the API is back to normal, resuming completes the batch.
  admin("POST", "/sim/faults", json::object());
  {
    auto conn = pool->acquire(std::chrono::seconds{5});
    CHECK(pg::resume_pulls(*conn, {"acme", "fortnox", "customer"}).resumed);
  }
  settle();
  CHECK(sql("SELECT count(*) FROM ledger.customers WHERE name <> ''") == "5");
  CHECK(jobs->batch(batch)->state == "completed");
  CHECK(count("failed") == 0);
}

TEST_CASE_METHOD(sync_fixture,
                 "an edit of an invoice the provider has booked shows on the "
                 "record as remote_read_only, without retries",
                 "[sync]") {
  seed("fortnox", "acme", 2, 1);
  pull("acme", "fortnox", "invoice");
  settle();
  auto id = remote("fortnox", "acme", "invoices").at(0).at("id");
  admin("PUT", "/sim/tenants/fortnox/acme/invoices/" + id.get<std::string>(),
        {{"Booked", true}});
  pull("acme", "fortnox", "invoice");
  settle();
  auto local = local_id_of(*this, "invoice", id);
  CHECK(sql("SELECT status FROM ledger.invoices WHERE id = '" + local + "'")
        == "booked");
  sql("UPDATE ledger.invoices SET your_reference = 'too late' WHERE id = '"
      + local + "'");
  settle();
  INFO(jobs_summary());
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT read_only_reason FROM ledgerd.links WHERE local_id = '"
            + local + "'")
        == "Fakturan är bokförd och kan inte ändras.");
  // One push, one refused PUT: nothing retried, nothing taken silently.
  CHECK(sql("SELECT string_agg(attempt::text, ',') FROM ledgerd.jobs_done "
            "WHERE kind = 'push'")
        == "1");
  CHECK(
    sql("SELECT your_reference FROM ledger.invoices WHERE id = '" + local + "'")
    == "too late");
  // A pull does not push the refused change again.
  pull("acme", "fortnox", "invoice");
  settle();
  CHECK(sql("SELECT read_only_reason IS NOT NULL FROM ledgerd.links WHERE "
            "local_id = '"
            + local + "'")
        == "t");
  CHECK(sql("SELECT count(*) FROM ledgerd.jobs_done WHERE kind = 'push'")
        == "1");
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma change times decide last_write_wins and deletes flow "
                 "both ways",
                 "[sync]") {
  seed("visma", "nordvik", 4, 0);
  pull("nordvik", "visma", "customer");
  settle();
  auto customers = remote("visma", "nordvik", "customers");
  auto id_of = [&](size_t i) {
    return customers.at(i).at("id").get<std::string>();
  };
  auto path = [&](size_t i) {
    return "/sim/tenants/visma/nordvik/customers/" + id_of(i);
  };
  auto email = [&](size_t i) {
    auto r = admin("GET", path(i));
    auto data = r.is_array() ? r.at(0).at("data") : r.at("data");
    return data.value("EmailAddress", "");
  };
  auto local_email = [&](size_t i) {
    return sql("SELECT email FROM ledger.customers WHERE id = '"
               + local_id_of(*this, "customer", id_of(i)) + "'");
  };
  // Record 0: the local edit is older, the remote one wins. Record 1: the
  // other way round. The edits are further apart than the skew margin.
  sql("UPDATE ledger.customers SET email = 'old-local@example.se' WHERE id = '"
      + local_id_of(*this, "customer", id_of(0)) + "'");
  admin("PUT", path(1), {{"EmailAddress", "old-remote@example.se"}});
  std::this_thread::sleep_for(std::chrono::milliseconds{3100});
  admin("PUT", path(0), {{"EmailAddress", "new-remote@example.se"}});
  sql("UPDATE ledger.customers SET email = 'new-local@example.se' WHERE id = '"
      + local_id_of(*this, "customer", id_of(1)) + "'");
  settle();
  INFO(jobs_summary());
  CHECK(email(0) == "new-remote@example.se");
  CHECK(local_email(0) == "new-remote@example.se");
  CHECK(email(1) == "new-local@example.se");
  CHECK(local_email(1) == "new-local@example.se");
  // A customer deleted at Visma is found by reconciliation.
  admin("DELETE", path(2));
  enqueue("nordvik", "visma", "reconcile", {{"entity", "customer"}});
  settle();
  CHECK(sql("SELECT deleted_at IS NOT NULL FROM ledger.customers WHERE id = '"
            + local_id_of(*this, "customer", id_of(2)) + "'")
        == "t");
  // A local delete reaches Visma.
  sql("UPDATE ledger.customers SET deleted_at = now() WHERE id = '"
      + local_id_of(*this, "customer", id_of(3)) + "'");
  settle();
  CHECK(remote("visma", "nordvik", "customers").size() == 2);
  CHECK(count("failed") == 0);
}

TEST_CASE_METHOD(sync_fixture,
                 "a Visma create whose answer is lost yields exactly one "
                 "remote record",
                 "[sync]") {
  seed("visma", "nordvik", 0, 0);
  admin("POST", "/sim/faults",
        {{"drop_response_after_create", {{"count", 1}}}});
  auto customer = insert_customer(*this, "nordvik", "Tvil AS", "t@tvil.no");
  settle();
  INFO(jobs_summary());
  auto customers = remote("visma", "nordvik", "customers");
  REQUIRE(customers.size() == 1);
  CHECK(customers.at(0).at("data").at("Note") == customer);
  CHECK(
    sql("SELECT status FROM ledgerd.links WHERE local_id = '" + customer + "'")
    == "linked");
  CHECK(count("failed") == 0);
}
