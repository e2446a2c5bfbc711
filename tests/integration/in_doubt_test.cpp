// Writes whose answer was lost (SYNC-PROPERTIES.md §5), for both providers,
// in a world of realistic size that moves meanwhile: 1,000 records already
// at the provider, people creating records in its UI right after ours,
// references that a substring search confuses with ours, connections reset
// before the provider stored anything, and a search that lags the store.
// After every run: each local record linked exactly once to the remote
// record carrying its reference, nothing duplicated, no job failed.
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace ledgerd;
using namespace ledgerd::test;
using nlohmann::json;

namespace {

struct world_of {
  std::string provider;
  std::string tenant;
};

const world_of fortnox_world{"fortnox", "acme"};
const world_of visma_world{"visma", "nordvik"};

std::vector<std::string> insert_customers(sync_fixture& f, const world_of& w,
                                          int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i)
    ids.push_back(insert_customer(f, w.tenant,
                                  "Osäker Kund " + std::to_string(i),
                                  "k" + std::to_string(i) + "@example.se"));
  return ids;
}

void faults(sync_fixture& f, json spec) {
  f.admin("POST", "/sim/faults", spec);
}

/// Older records at the provider whose reference contains the local ids
/// (a person copied them): listed before ours, found by substring searches.
void copy_references(sync_fixture& f, const world_of& w,
                     const std::string& entity,
                     const std::vector<std::string>& local_ids) {
  auto older = f.remote(w.provider, w.tenant, entity + "s");
  for (size_t i = 0; i < local_ids.size(); ++i)
    f.admin(
      "PUT",
      "/sim/tenants/" + w.provider + "/" + w.tenant + "/" + entity + "s/"
        + older.at(i * 7).at("id").get<std::string>(),
      {{external_ref_field(w.provider, entity), "Kopia av " + local_ids[i]}});
}

/// Creates whose answers are dropped after the provider stored them, each
/// followed by two records a person creates in the UI (one carrying a copy
/// of our reference with a suffix), under searches that match substrings;
/// customers, then invoices.
void lost_answers_after_store(sync_fixture& f, const world_of& w) {
  f.seed(w.provider, w.tenant, 1000, 1000);
  faults(
    f, {{"drop_response_after_create", {{"count", 3}, {"foreign_creates", 2}}},
        {"loose_search", true}});
  auto customers = insert_customers(f, w, 12);
  copy_references(f, w, "customer", customers);
  f.settle();
  INFO(f.jobs_summary());
  CHECK(f.check_exactly_linked(w.provider, w.tenant, "customer") == 12);
  // Six foreign customers exist and none is linked.
  CHECK(f.remote(w.provider, w.tenant, "customers").size() == 1000 + 12 + 6);
  CHECK(f.sql("SELECT count(*) FROM ledgerd.links WHERE entity = 'customer'")
        == "12");

  faults(
    f, {{"drop_response_after_create", {{"count", 2}, {"foreign_creates", 2}}},
        {"loose_search", true}});
  std::vector<std::string> invoices;
  for (int i = 0; i < 6; ++i)
    invoices.push_back(
      insert_invoice(f, w.tenant, customers[static_cast<size_t>(i)]));
  copy_references(f, w, "invoice", invoices);
  f.settle();
  CHECK(f.check_exactly_linked(w.provider, w.tenant, "invoice") == 6);
  // Visma keeps local drafts (and the foreign creates among them) as
  // customer invoice drafts.
  auto drafts = w.provider == "visma"
                  ? f.remote(w.provider, w.tenant, "drafts").size()
                  : 0;
  CHECK(f.remote(w.provider, w.tenant, "invoices").size() + drafts
        == 1000 + 6 + 4);
  CHECK(f.count("failed") == 0);
}

/// Connections reset before the provider stored the create: nothing to
/// find, so the create is sent again, once it is old enough for a search
/// to be believed.
void resets_before_store(sync_fixture& f, const world_of& w) {
  f.seed(w.provider, w.tenant, 1000, 0);
  faults(f, {{"reset", {{"count", 3}, {"method", "POST"}}}});
  insert_customers(f, w, 5);
  f.settle();
  INFO(f.jobs_summary());
  CHECK(f.check_exactly_linked(w.provider, w.tenant, "customer") == 5);
  CHECK(f.remote(w.provider, w.tenant, "customers").size() == 1000 + 5);
  CHECK(f.count("failed") == 0);
}

/// The provider's search does not see a record for a while after storing
/// it: a lookup right after the lost answer finds nothing, and must not be
/// believed until the write is in_doubt_settle old.
void search_lags_the_store(sync_fixture& f, const world_of& w) {
  f.seed(w.provider, w.tenant, 200, 0);
  faults(f, {{"drop_response_after_create", {{"count", 2}}},
             {"search_lag_ms", 2500}});
  insert_customers(f, w, 4);
  f.settle();
  INFO(f.jobs_summary());
  CHECK(f.check_exactly_linked(w.provider, w.tenant, "customer") == 4);
  CHECK(f.remote(w.provider, w.tenant, "customers").size() == 200 + 4);
  CHECK(f.count("failed") == 0);
}

/// A customer whose create was answered 503 (the provider may have stored
/// it) takes in_doubt_settle (20 s here) to be resolved; its invoice waits
/// that long without using up its 8 attempts.
void invoice_waits_for_its_customer(sync_fixture& f, const world_of& w) {
  f.seed(w.provider, w.tenant, 10, 0);
  faults(
    f, {{"error_burst", {{"count", 1}, {"status", 503}, {"method", "POST"}}}});
  auto customer = insert_customers(f, w, 1).front();
  auto invoice = insert_invoice(f, w.tenant, customer);
  f.settle(std::chrono::seconds{120});
  INFO(f.jobs_summary());
  CHECK(f.count("failed") == 0);
  CHECK(f.check_exactly_linked(w.provider, w.tenant, "customer") == 1);
  CHECK(f.check_exactly_linked(w.provider, w.tenant, "invoice") == 1);
  // It did wait: more tries than attempts, none counted against it.
  CHECK(std::stoi(f.sql("SELECT count(*) FROM ledgerd.job_events e JOIN ("
                        "SELECT id, payload FROM ledgerd.jobs UNION ALL "
                        "SELECT id, payload FROM ledgerd.jobs_done) j ON "
                        "j.id = e.job_id WHERE j.payload->>'local_id' = '"
                        + invoice + "' AND e.to_state = 'processing'"))
        > 8);
}

/// Updates and deletes whose answers were lost: the retry finds the write
/// applied and neither repeats nor loses it.
void lost_update_and_delete_answers(sync_fixture& f, const world_of& w) {
  f.seed(w.provider, w.tenant, 6, 0);
  f.pull(w.tenant, w.provider, "customer");
  f.settle();
  auto remote = f.remote(w.provider, w.tenant, "customers");
  auto edited = local_id_of(f, "customer", remote.at(0).at("id"));
  auto deleted = local_id_of(f, "customer", remote.at(1).at("id"));
  // A provider call goes once per grant (the HTTP client does not resend
  // it on a fresh connection, see client_request::retry_stale): each lost
  // answer is seen by its job. The update's retry reads the record back;
  // the delete's second try finds the record gone (404), its success.
  auto lose_next_write_answers = [&](int n) {
    faults(f, {{"drop_response_after_write", {{"count", n}}}});
  };
  auto all_lost = [&] {
    return !f.admin("GET", "/sim/faults").contains("drop_response_after_write");
  };
  lose_next_write_answers(1);
  f.sql("UPDATE ledger.customers SET email = 'ny@adress.se' WHERE id = '"
        + edited + "'");
  f.settle();
  CHECK(all_lost());
  lose_next_write_answers(1);
  f.sql("UPDATE ledger.customers SET deleted_at = now() WHERE id = '" + deleted
        + "'");
  f.settle();
  CHECK(all_lost());
  INFO(f.jobs_summary());
  // Each job failed once (its answer lost); the update's then read the
  // record back and found its write done: nothing sent again.
  CHECK(f.sql("SELECT count(*) FROM ledgerd.job_events WHERE to_state = "
              "'pending' AND from_state = 'processing'")
        == "2");
  CHECK(f.count("failed") == 0);
  auto after = f.remote(w.provider, w.tenant, "customers");
  CHECK(after.size() == 5);
  auto email_field = w.provider == "fortnox" ? "Email" : "EmailAddress";
  for (const auto& r : after)
    if (r.at("id") == remote.at(0).at("id"))
      CHECK(r.at("data").at(email_field) == "ny@adress.se");
  CHECK(f.sql("SELECT base->>'email' FROM ledgerd.links WHERE local_id = '"
              + edited + "'")
        == "ny@adress.se");
  CHECK(
    f.sql("SELECT status FROM ledgerd.links WHERE local_id = '" + deleted + "'")
    == "tombstoned");
  CHECK(f.sql("SELECT count(*) FROM ledgerd.conflicts") == "0");
}

fixture_options settle_after(int seconds) {
  fixture_options o;
  auto toml = "[tenants.sync]\nin_doubt_settle = \"" + std::to_string(seconds)
              + "s\"\n";
  o.acme_toml = toml;
  o.nordvik_toml = toml;
  return o;
}

/// An invoice create whose answer is lost while its customer is put on
/// hold (a conflict opened meanwhile): the retry finds the created invoice
/// and links it without waiting for a person to decide the customer.
void lost_invoice_create_while_customer_held(sync_fixture& f,
                                             const world_of& w) {
  f.seed(w.provider, w.tenant, 50, 50);
  auto customer = insert_customers(f, w, 1).front();
  f.settle();
  REQUIRE(f.check_exactly_linked(w.provider, w.tenant, "customer") == 1);
  // Slow answers, so the hold lands while the create is on its way.
  faults(f, {{"drop_response_after_create", {{"count", 1}}},
             {"latency_ms", {{"min", 1500}, {"max", 1500}}}});
  auto invoice = insert_invoice(f, w.tenant, customer);
  auto link_status = [&] {
    return f.sql("SELECT coalesce(max(status), '') FROM ledgerd.links WHERE "
                 "entity = 'invoice' AND local_id = '"
                 + invoice + "'");
  };
  REQUIRE(actor_system_fixture::eventually([&] {
    relay_outbox_once(*f.env, 500);
    return link_status() == "in_doubt";
  }));
  f.sql("UPDATE ledgerd.links SET held = true WHERE entity = 'customer' AND "
        "local_id = '"
        + customer + "'");
  // Without the fix the retry waits for the customer (60 s per try) and the
  // created invoice stays unlinked.
  CHECK(actor_system_fixture::eventually(
    [&] {
      return link_status() == "linked";
    },
    std::chrono::seconds{30}));
  faults(f, json::object());
  auto invoices = f.remote(w.provider, w.tenant, "invoices");
  if (w.provider == "visma")
    for (auto& d : f.remote(w.provider, w.tenant, "drafts"))
      invoices.push_back(d);
  auto carrying
    = std::count_if(invoices.begin(), invoices.end(), [&](const json& r) {
        return r.at("data").value(external_ref_field(w.provider, "invoice"),
                                  json{})
               == invoice;
      });
  CHECK(carrying == 1);
  CHECK(f.count("failed") == 0);
}

} // namespace

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox: lost create answers among 1,000 records and "
                 "foreign creates link each record to its own",
                 "[sync][in_doubt]") {
  lost_answers_after_store(*this, fortnox_world);
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma: lost create answers among 1,000 records and foreign "
                 "creates link each record to its own",
                 "[sync][in_doubt]") {
  lost_answers_after_store(*this, visma_world);
}

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox: creates reset before the provider stored them are "
                 "sent again, once",
                 "[sync][in_doubt]") {
  resets_before_store(*this, fortnox_world);
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma: creates reset before the provider stored them are "
                 "sent again, once",
                 "[sync][in_doubt]") {
  resets_before_store(*this, visma_world);
}

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox: a lookup that lags the store is not believed "
                 "before the write settled",
                 "[sync][in_doubt]") {
  search_lags_the_store(*this, fortnox_world);
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma: a lookup that lags the store is not believed before "
                 "the write settled",
                 "[sync][in_doubt]") {
  search_lags_the_store(*this, visma_world);
}

TEST_CASE("Fortnox: an invoice waits for its customer without using up its "
          "attempts",
          "[sync][in_doubt]") {
  sync_fixture f{settle_after(20)};
  invoice_waits_for_its_customer(f, fortnox_world);
}

TEST_CASE("Visma: an invoice waits for its customer without using up its "
          "attempts",
          "[sync][in_doubt]") {
  sync_fixture f{settle_after(20)};
  invoice_waits_for_its_customer(f, visma_world);
}

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox: lost update and delete answers neither repeat nor "
                 "lose the write",
                 "[sync][in_doubt]") {
  lost_update_and_delete_answers(*this, fortnox_world);
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma: lost update and delete answers neither repeat nor "
                 "lose the write",
                 "[sync][in_doubt]") {
  lost_update_and_delete_answers(*this, visma_world);
}

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox: a lost customer create among many changed linked "
                 "customers fetches none of them",
                 "[sync][in_doubt]") {
  // Fortnox cannot search customers by reference: the lookup lists every
  // customer changed since the write. Found by scripts/soak: fetching each
  // one's detail took a busy tenant's whole budget.
  seed("fortnox", "acme", 300, 0);
  pull("acme", "fortnox", "customer");
  settle();
  auto linked = [this] {
    return sql("SELECT count(*) FROM ledgerd.links WHERE tenant = 'acme' AND "
               "entity = 'customer' AND status = 'linked'");
  };
  REQUIRE(linked() == "300");
  auto listed = remote("fortnox", "acme", "customers");
  for (size_t i = 0; i < 150; ++i)
    admin("PUT",
          "/sim/tenants/fortnox/acme/customers/"
            + listed.at(i * 2).at("id").get<std::string>(),
          {{"Phone1", "08-" + std::to_string(100000 + i)}});
  faults(*this, {{"drop_response_after_create", {{"count", 1}}}});
  auto before = admin("GET", "/sim/stats").value("requests_total", int64_t{0});
  auto ours = insert_customers(*this, fortnox_world, 1).front();
  settle();
  auto requests
    = admin("GET", "/sim/stats").value("requests_total", int64_t{0}) - before;
  INFO(jobs_summary());
  CHECK(linked() == "301");
  auto all = remote("fortnox", "acme", "customers");
  CHECK(all.size() == 301);
  auto carrying = std::count_if(all.begin(), all.end(), [&](const json& r) {
    return r.at("data").value("ExternalReference", json{}) == ours;
  });
  CHECK(carrying == 1);
  CHECK(sql("SELECT count(*) FROM ledgerd.links l JOIN ledgerd.links m ON "
            "m.remote_id = l.remote_id AND m.entity = l.entity WHERE "
            "l.local_id = '"
            + ours + "' AND l.status = 'linked'")
        == "1");
  CHECK(count("failed") == 0);
  // The create, a lookup or two of one page each, the new customer's
  // detail; the 150 changed linked customers are not fetched.
  INFO("requests " << requests);
  CHECK(requests < 20);
}

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox: a lost invoice create is linked while its customer "
                 "is held for review",
                 "[sync][in_doubt]") {
  lost_invoice_create_while_customer_held(*this, fortnox_world);
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma: a lost invoice create is linked while its customer is "
                 "held for review",
                 "[sync][in_doubt]") {
  lost_invoice_create_while_customer_held(*this, visma_world);
}
