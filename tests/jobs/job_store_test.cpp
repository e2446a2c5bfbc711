// Tests of the PostgreSQL job store (adapters/pg/job_store.hpp) against a
// real database: enqueue and dedup, claims (priority, due time, fairness,
// per-tenant limits), leases, retries, events, batches, operations and
// retention. Time is injected: `now` is a fixed instant moved by hand.
#include "adapters/pg/job_store.hpp"
#include "state/job_state.hpp"
#include "tests/support/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace ledgerd;
using namespace std::chrono_literals;
using pg::wall_time;

namespace {

/// 2024-01-01T00:00:00Z.
const wall_time t0
  = wall_time{std::chrono::sys_days{std::chrono::year{2024} / 1 / 1}};

caf::timestamp to_caf(wall_time t) {
  return caf::timestamp{
    std::chrono::duration_cast<caf::timespan>(t.time_since_epoch())};
}

/// A fresh, migrated database and a job store on it.
struct store_fixture {
  test::test_database db;
  std::shared_ptr<pg::pool> pool;
  pg::job_store store;

  explicit store_fixture(size_t connections = 4)
    : pool(test::migrated_pool(db, connections))
    , store(pool, 10s) {}

  int64_t count(const std::string& sql) const {
    return std::stoll(db.query_value(sql));
  }
};

job_spec spec(const std::string& tenant, const std::string& key = "",
              int16_t priority = 1) {
  job_spec s;
  s.tenant = tenant;
  s.provider = "fortnox";
  s.kind = "pull.invoices";
  s.payload = R"({"entity":"invoice"})";
  s.priority = priority;
  s.dedup_key = key;
  return s;
}

pg::claim_request claim_req(const std::string& owner, wall_time now,
                            size_t limit = 100, size_t per_tenant = 100) {
  pg::claim_request r;
  r.owner = owner;
  r.limit = limit;
  r.per_tenant_limit = per_tenant;
  r.lease = 30s;
  r.now = now;
  return r;
}

job_outcome outcome(const job& j, const std::string& next,
                    const std::string& error = "",
                    wall_time run_at = wall_time{}) {
  job_outcome o;
  o.id = j.id;
  o.lease_owner = j.lease_owner;
  o.attempt = j.attempt;
  o.next_state = next;
  o.error = error;
  if (run_at != wall_time{})
    o.run_at = to_caf(run_at);
  return o;
}

/// Builds a job_filter (GCC warns about designated initializers that leave
/// members out).
struct filter {
  pg::job_filter f;

  filter& tenant(std::string x) {
    f.tenant = std::move(x);
    return *this;
  }

  filter& state(std::string x) {
    f.state = std::move(x);
    return *this;
  }

  filter& priority(int16_t x) {
    f.priority = x;
    return *this;
  }

  filter& batch(int64_t x) {
    f.batch_id = x;
    return *this;
  }

  filter& limit(size_t x) {
    f.limit = x;
    return *this;
  }

  operator const pg::job_filter&() const {
    return f;
  }
};

std::vector<int64_t> ids_of(const std::vector<job>& jobs) {
  std::vector<int64_t> out;
  for (const auto& j : jobs)
    out.push_back(j.id);
  return out;
}

std::vector<job_spec> many(const std::string& tenant, int n,
                           int16_t priority = 1) {
  std::vector<job_spec> out(static_cast<size_t>(n), spec(tenant, "", priority));
  return out;
}

} // namespace

// -- enqueue
// --------------------------------------------------------------------

TEST_CASE("enqueue creates a pending job and a dedup key returns it again") {
  store_fixture f;
  auto s = spec("acme", "acme:fortnox:pull:invoice");
  s.max_attempts = 3;
  auto first = f.store.enqueue(s, t0);
  CHECK(first.created);
  CHECK(first.id > 0);
  auto row = f.store.find(first.id);
  REQUIRE(row);
  CHECK(row->state == "pending");
  CHECK(row->tenant == "acme");
  CHECK(row->provider == "fortnox");
  CHECK(row->kind == "pull.invoices");
  CHECK(row->payload == R"({"entity": "invoice"})");
  CHECK(row->priority == 1);
  CHECK(row->attempt == 0);
  CHECK(row->max_attempts == 3);
  CHECK(row->dedup_key == "acme:fortnox:pull:invoice");
  CHECK(row->run_at == t0); // run_at epoch = now
  CHECK_FALSE(row->batch_id);
  CHECK_FALSE(row->finished_at);

  auto again = f.store.enqueue(s, t0 + 1s);
  CHECK_FALSE(again.created);
  CHECK(again.id == first.id);
  // Still deduplicated while the job is processing.
  auto claimed = f.store.claim(claim_req("n1", t0 + 2s));
  REQUIRE(claimed.size() == 1);
  auto during = f.store.enqueue(s, t0 + 3s);
  CHECK_FALSE(during.created);
  CHECK(during.id == first.id);
  // Once it completed the key is free again.
  CHECK(f.store.finish({outcome(claimed[0], "completed")}, t0 + 4s).empty());
  auto after = f.store.enqueue(s, t0 + 5s);
  CHECK(after.created);
  CHECK(after.id != first.id);
  // Jobs without a key are never deduplicated.
  auto a = f.store.enqueue(spec("acme"), t0);
  auto b = f.store.enqueue(spec("acme"), t0);
  CHECK(a.created);
  CHECK(b.created);
  CHECK(a.id != b.id);
}

TEST_CASE("concurrent enqueuers of one dedup key create exactly one job") {
  store_fixture f{8};
  constexpr int threads = 8;
  constexpr int rounds = 25;
  std::latch start{threads};
  std::vector<std::vector<enqueued>> results(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < rounds; ++i)
        results[t].push_back(
          f.store.enqueue(spec("acme", "acme:fortnox:pull:customer"), t0));
    });
  for (auto& w : workers)
    w.join();
  std::set<int64_t> ids;
  int created = 0;
  for (const auto& rs : results)
    for (const auto& r : rs) {
      ids.insert(r.id);
      created += r.created ? 1 : 0;
    }
  CHECK(ids.size() == 1);
  CHECK(created == 1);
  CHECK(f.count("SELECT count(*) FROM ledgerd.jobs") == 1);
  CHECK(f.count("SELECT count(*) FROM ledgerd.job_events") == 1);
}

TEST_CASE("a manual request raises the priority of the pending job") {
  store_fixture f;
  auto poll = f.store.enqueue(spec("acme", "acme:fortnox:pull:invoice", 1), t0);
  auto manual
    = f.store.enqueue(spec("acme", "acme:fortnox:pull:invoice", 3), t0 + 1s);
  CHECK_FALSE(manual.created);
  CHECK(manual.id == poll.id);
  CHECK(f.store.find(poll.id)->priority == 3);
  // A lower priority never lowers it.
  f.store.enqueue(spec("acme", "acme:fortnox:pull:invoice", 0), t0 + 2s);
  CHECK(f.store.find(poll.id)->priority == 3);
  CHECK(f.count("SELECT count(*) FROM ledgerd.jobs") == 1);
  // The raised job now outranks an older event job of the same tenant.
  auto event = f.store.enqueue(spec("acme", "other", 2), t0 - 1h);
  auto claimed = f.store.claim(claim_req("n1", t0 + 3s, 1));
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == poll.id);
  CHECK(claimed[0].priority == 3);
  CHECK(event.created);
}

TEST_CASE("enqueue_batch inserts thousands of specs in one call with dedup") {
  store_fixture f;
  auto batch = f.store.create_batch("acme", "full_sync", t0);
  // A live job that some specs collide with.
  auto existing = f.store.enqueue(spec("acme", "key-7", 0), t0);
  std::vector<job_spec> specs;
  for (int i = 0; i < 5000; ++i) {
    auto s = spec("acme");
    s.batch_id = batch;
    s.payload = "{\"i\":" + std::to_string(i) + "}";
    // Every 10th spec carries a key; keys repeat every 50 specs.
    if (i % 10 == 0)
      s.dedup_key = "key-" + std::to_string((i / 10) % 50);
    // Quoting and escaping of array elements.
    if (i == 1)
      s.tenant = "we\"ird, {tenant} \\ NULL";
    if (i == 2)
      s.payload = R"({"s":"a \"quoted\", {braced} \\ value"})";
    if (i == 20) // second spec with key-2: the group takes priority 3
      s.priority = 3;
    specs.push_back(s);
  }
  auto res = f.store.enqueue_batch(specs, t0);
  REQUIRE(res.size() == specs.size());
  std::map<std::string, int64_t> id_of_key;
  std::set<int64_t> ids;
  int created = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    INFO(i);
    CHECK(res[i].id > 0);
    ids.insert(res[i].id);
    created += res[i].created ? 1 : 0;
    const auto& key = specs[i].dedup_key;
    if (key.empty()) {
      CHECK(res[i].created);
      continue;
    }
    auto [it, first] = id_of_key.emplace(key, res[i].id);
    CHECK(it->second == res[i].id);
    if (key == "key-7")
      CHECK(res[i].id == existing.id);
    CHECK(res[i].created == (first && key != "key-7"));
  }
  // 4500 keyless + 49 new keys (key-7 existed).
  CHECK(created == 4549);
  CHECK(ids.size() == 4550);
  CHECK(f.count("SELECT count(*) FROM ledgerd.jobs") == 4550);
  CHECK(f.count("SELECT count(*) FROM ledgerd.job_events") == 4550);
  CHECK(f.store.batch(batch)->total == 4549);
  // Each created job holds its own spec's payload.
  CHECK(f.store.find(res[1234].id)->payload == "{\"i\": 1234}");
  CHECK(f.store.find(res[1].id)->tenant == "we\"ird, {tenant} \\ NULL");
  CHECK(f.store.find(res[2].id)->payload
        == R"({"s": "a \"quoted\", {braced} \\ value"})");
  CHECK(f.store.find(id_of_key["key-2"])->priority == 3);
  CHECK(f.store.find(existing.id)->priority == 1); // raised from 0
  // The first spec of a key defines the job.
  CHECK(f.store.find(id_of_key["key-3"])->payload == "{\"i\": 30}");
}

TEST_CASE("an invalid spec fails the whole batch") {
  store_fixture f;
  std::vector<job_spec> specs{spec("acme"), spec("acme")};
  specs[1].payload = "{not json";
  CHECK_THROWS_AS(f.store.enqueue_batch(specs, t0), pg::error);
  specs[1].payload = "{}";
  specs[1].priority = 9;
  CHECK_THROWS_AS(f.store.enqueue_batch(specs, t0), pg::error);
  CHECK(f.count("SELECT count(*) FROM ledgerd.jobs") == 0);
  CHECK(f.store.enqueue_batch({}, t0).empty());
}

// -- claim
// ----------------------------------------------------------------------

TEST_CASE("claims take the highest priority first, then the oldest run_at") {
  store_fixture f;
  auto at = [](job_spec s, wall_time t) {
    s.run_at = to_caf(t);
    return s;
  };
  // Overdue by less than the aging step (see the next test).
  auto backfill = f.store.enqueue(at(spec("acme", "", 0), t0 - 29s), t0).id;
  auto poll_new = f.store.enqueue(at(spec("acme", "", 1), t0 - 10s), t0).id;
  auto poll_old = f.store.enqueue(at(spec("acme", "", 1), t0 - 20s), t0).id;
  auto manual = f.store.enqueue(at(spec("acme", "", 3), t0 - 1s), t0).id;
  auto event = f.store.enqueue(at(spec("acme", "", 2), t0 - 1s), t0).id;
  auto first = f.store.claim(claim_req("n1", t0, 2));
  CHECK(ids_of(first) == std::vector<int64_t>{manual, event});
  auto rest = f.store.claim(claim_req("n1", t0, 10));
  CHECK(ids_of(rest) == std::vector<int64_t>{poll_old, poll_new, backfill});
  for (const auto& j : rest) {
    CHECK(j.attempt == 1);
    CHECK(j.lease_owner == "n1");
    CHECK(j.lease_until == to_caf(t0 + 30s));
    CHECK(j.tenant == "acme");
    CHECK(j.kind == "pull.invoices");
    CHECK(j.payload == R"({"entity": "invoice"})");
  }
  CHECK(f.store.claim(claim_req("n1", t0, 10)).empty());
  CHECK(f.store.count_by_state({})["processing"] == 5);
}

TEST_CASE("an automatic job overdue long enough is claimed before newer "
          "event jobs, never before a manual one") {
  // Found by scripts/soak: a tenant whose budget events and pushes kept
  // busy never ran its delta pull (33 minutes pending): its cursors stood
  // still and every change only a poll finds was missed.
  store_fixture f;
  auto at = [](job_spec s, wall_time t) {
    s.run_at = to_caf(t);
    return s;
  };
  std::vector<int64_t> events;
  for (int i = 0; i < 5; ++i)
    events.push_back(
      f.store.enqueue(at(spec("acme", "", 2), t0 - std::chrono::seconds{i}), t0)
        .id);
  // One level per 30 s overdue: a poll at 31 s, a reconciliation at 61 s.
  auto poll = f.store.enqueue(at(spec("acme", "", 1), t0 - 31s), t0).id;
  auto reconcile = f.store.enqueue(at(spec("acme", "", 0), t0 - 61s), t0).id;
  auto young = f.store.enqueue(at(spec("acme", "", 0), t0 - 59s), t0).id;
  auto manual = f.store.enqueue(at(spec("acme", "", 3), t0), t0).id;
  auto first = f.store.claim(claim_req("n1", t0, 3));
  CHECK(ids_of(first) == std::vector<int64_t>{manual, reconcile, poll});
  auto rest = f.store.claim(claim_req("n1", t0, 10));
  std::vector<int64_t> expected{events.rbegin(), events.rend()};
  expected.push_back(young);
  CHECK(ids_of(rest) == expected);
}

TEST_CASE("jobs are not claimed before their run_at") {
  store_fixture f;
  auto s = spec("acme", "", 3);
  s.run_at = to_caf(t0 + 10min);
  auto later = f.store.enqueue(s, t0).id;
  auto now = f.store.enqueue(spec("acme", "", 0), t0).id;
  auto claimed = f.store.claim(claim_req("n1", t0));
  CHECK(ids_of(claimed) == std::vector<int64_t>{now});
  CHECK(f.store.claim(claim_req("n1", t0 + 10min - 1ms)).empty());
  CHECK(ids_of(f.store.claim(claim_req("n1", t0 + 10min)))
        == std::vector<int64_t>{later});
}

TEST_CASE("a tenant with a huge backlog does not delay another tenant") {
  store_fixture f;
  auto backlog = many("big", 10000, 3); // even at a higher priority
  f.store.enqueue_batch(backlog, t0 - 1h);
  auto small = f.store.enqueue(spec("small", "", 0), t0).id;
  auto claimed = f.store.claim(claim_req("n1", t0, 10, 100));
  REQUIRE(claimed.size() == 10);
  auto ids = ids_of(claimed);
  CHECK(std::count(ids.begin(), ids.end(), small) == 1);
  // Round-robin across three tenants before anyone gets a second job.
  f.store.enqueue_batch(many("c", 5), t0);
  auto round = f.store.claim(claim_req("n1", t0, 3, 100));
  std::set<std::string> tenants;
  for (const auto& j : round)
    tenants.insert(j.tenant);
  CHECK(tenants == std::set<std::string>{"big", "c"});
  CHECK(round.size() == 3);
}

TEST_CASE("the per-tenant limit counts jobs that are already processing") {
  store_fixture f;
  f.store.enqueue_batch(many("acme", 10), t0);
  f.store.enqueue_batch(many("other", 2), t0);
  auto first = f.store.claim(claim_req("n1", t0, 2, 3));
  REQUIRE(first.size() == 2);
  // acme has 1 or 2 running now (round-robin gave each tenant one).
  auto second = f.store.claim(claim_req("n2", t0, 100, 3));
  auto count = [](const std::vector<job>& js, const std::string& t) {
    return std::count_if(js.begin(), js.end(), [&](const job& j) {
      return j.tenant == t;
    });
  };
  CHECK(count(first, "acme") + count(second, "acme") == 3);
  CHECK(count(first, "other") + count(second, "other") == 2);
  CHECK(f.store.claim(claim_req("n3", t0, 100, 3)).empty());
  // A finished job frees its tenant's slot.
  auto acme = std::find_if(second.begin(), second.end(), [](const job& j) {
    return j.tenant == "acme";
  });
  REQUIRE(acme != second.end());
  CHECK(f.store.finish({outcome(*acme, "completed")}, t0 + 1s).empty());
  auto third = f.store.claim(claim_req("n3", t0 + 1s, 100, 3));
  REQUIRE(third.size() == 1);
  CHECK(third[0].tenant == "acme");
}

TEST_CASE("concurrent claimers never hand out a job twice nor exceed the "
          "per-tenant limit") {
  store_fixture f{4};
  for (auto tenant : {"a", "b", "c", "d"})
    f.store.enqueue_batch(many(tenant, 50), t0);
  std::latch start{4};
  std::vector<std::vector<job>> got(4);
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < 10; ++i) {
        auto js = f.store.claim(claim_req("n" + std::to_string(t), t0, 7, 5));
        got[t].insert(got[t].end(), js.begin(), js.end());
      }
    });
  for (auto& w : workers)
    w.join();
  std::set<int64_t> ids;
  size_t total = 0;
  for (const auto& js : got) {
    total += js.size();
    for (const auto& j : js)
      ids.insert(j.id);
  }
  CHECK(ids.size() == total);
  CHECK(total == 20); // 4 tenants x 5
  CHECK(f.count("SELECT max(n) FROM (SELECT count(*) AS n FROM ledgerd.jobs "
                "WHERE state = 'processing' GROUP BY tenant) s")
        == 5);
}

// -- leases
// -----------------------------------------------------------------------

TEST_CASE("an expired lease is reaped and a late finish cannot overwrite the "
          "new run") {
  store_fixture f;
  auto id = f.store.enqueue(spec("acme"), t0).id;
  auto a = f.store.claim(claim_req("node-a", t0));
  REQUIRE(a.size() == 1);
  CHECK(a[0].attempt == 1);
  // Before expiry nothing is reaped and node B finds nothing.
  CHECK(f.store.reap_expired(t0 + 30s) == 0);
  CHECK(f.store.claim(claim_req("node-b", t0 + 30s)).empty());
  // Node A hangs past its lease.
  CHECK(f.store.reap_expired(t0 + 31s) == 1);
  auto row = f.store.find(id);
  CHECK(row->state == "pending");
  CHECK(row->attempt == 1); // the fencing token only grows
  // The lost try is forgiven.
  CHECK(row->max_attempts == spec("acme").max_attempts + 1);
  CHECK(row->last_error == "lease expired");
  auto b = f.store.claim(claim_req("node-b", t0 + 32s));
  REQUIRE(b.size() == 1);
  CHECK(b[0].id == id);
  CHECK(b[0].attempt == 2);
  CHECK(b[0].lease_owner == "node-b");
  // A's late outcome is rejected and names the job.
  CHECK(f.store.finish({outcome(a[0], "completed")}, t0 + 33s)
        == std::vector<int64_t>{id});
  CHECK(f.store.find(id)->state == "processing");
  // B's applies.
  CHECK(f.store.finish({outcome(b[0], "completed")}, t0 + 34s).empty());
  row = f.store.find(id);
  CHECK(row->state == "completed");
  CHECK(row->attempt == 2);
  CHECK(row->finished_at == t0 + 34s);
  // Finishing twice is rejected too.
  CHECK(f.store.finish({outcome(b[0], "completed")}, t0 + 35s)
        == std::vector<int64_t>{id});
}

TEST_CASE("a lost lease is forgiven a few times, then reaping the last "
          "attempt fails the job") {
  store_fixture f;
  auto s = spec("acme");
  s.max_attempts = 1;
  auto batch = f.store.create_batch("acme", "bulk_push", t0);
  s.batch_id = batch;
  auto id = f.store.enqueue(s, t0).id;
  auto now = t0;
  // Each kill of its node costs the job nothing, up to the bound.
  for (int i = 0; i < state::max_forgiven_lease_losses; ++i) {
    auto got = f.store.claim(claim_req("n1", now));
    REQUIRE(got.size() == 1);
    CHECK(got[0].attempt == i + 1);
    now += 1h;
    CHECK(f.store.reap_expired(now) == 1);
    auto row = f.store.find(id);
    CHECK(row->state == "pending");
    CHECK(row->attempt == i + 1);
    CHECK(row->max_attempts == i + 2);
  }
  CHECK(f.count("SELECT lease_losses FROM ledgerd.jobs WHERE id = "
                + std::to_string(id))
        == state::max_forgiven_lease_losses);
  // The next loss spends the last try.
  REQUIRE(f.store.claim(claim_req("n1", now)).size() == 1);
  now += 1h;
  CHECK(f.store.reap_expired(now) == 1);
  auto row = f.store.find(id);
  CHECK(row->state == "failed");
  CHECK(row->finished_at == now);
  auto b = f.store.batch(batch);
  CHECK(b->failed == 1);
  CHECK(b->state == "failed");
  CHECK(f.store.claim(claim_req("n1", now + 1h)).empty());
  // A manual retry starts over with the tries the job was enqueued with.
  CHECK(f.store.retry(id, now + 1h) == pg::retry_result::retried);
  row = f.store.find(id);
  CHECK(row->attempt == 0);
  CHECK(row->max_attempts == 1);
  CHECK(f.count("SELECT lease_losses FROM ledgerd.jobs WHERE id = "
                + std::to_string(id))
        == 0);
}

TEST_CASE("a job that saves progress between lost leases keeps its tries") {
  // Found by scripts/soak 30: Fortnox pulls that applied page after page
  // while their node was killed every 45 s failed for good with "lease
  // expired". A job that moves forward is not the one killing its node.
  store_fixture f;
  auto s = spec("acme");
  s.max_attempts = 1;
  auto id = f.store.enqueue(s, t0).id;
  auto now = t0;
  int losses = 3 * state::max_forgiven_lease_losses;
  for (int i = 0; i < losses; ++i) {
    auto got = f.store.claim(claim_req("n1", now));
    REQUIRE(got.size() == 1);
    REQUIRE(f.store.save_progress(id, "n1", got[0].attempt,
                                  "{\"page\":" + std::to_string(i) + "}", now));
    now += 1h;
    CHECK(f.store.reap_expired(now) == 1);
    REQUIRE(f.store.find(id)->state == "pending");
  }
  CHECK(f.store.find(id)->max_attempts == 1 + losses);
  // Without progress the bound holds again: the loss after the last
  // progress and 4 more are forgiven, the next spends the last try.
  int more = 0;
  while (f.store.find(id)->state == "pending" && more < 20) {
    REQUIRE(f.store.claim(claim_req("n1", now)).size() == 1);
    now += 1h;
    CHECK(f.store.reap_expired(now) == 1);
    ++more;
  }
  CHECK(more == state::max_forgiven_lease_losses);
  CHECK(f.store.find(id)->state == "failed");
  // A manual retry takes every forgiven loss back.
  CHECK(f.store.retry(id, now + 1h) == pg::retry_result::retried);
  CHECK(f.store.find(id)->max_attempts == 1);
}

TEST_CASE("renew extends a lease only for its owner") {
  store_fixture f;
  f.store.enqueue_batch(many("acme", 2), t0);
  auto mine = f.store.claim(claim_req("n1", t0, 1));
  auto theirs = f.store.claim(claim_req("n2", t0, 1));
  REQUIRE(mine.size() == 1);
  REQUIRE(theirs.size() == 1);
  auto held
    = f.store.renew({mine[0].id, theirs[0].id, 999999}, "n1", 60s, t0 + 20s);
  CHECK(held == std::vector<int64_t>{mine[0].id});
  // Mine now runs until t0 + 80s, theirs still until t0 + 30s.
  CHECK(f.store.reap_expired(t0 + 31s) == 1);
  CHECK(f.store.find(theirs[0].id)->state == "pending");
  CHECK(f.store.find(mine[0].id)->state == "processing");
  // An expired lease cannot be renewed, even before it was reaped.
  CHECK(f.store.renew({mine[0].id}, "n1", 60s, t0 + 81s).empty());
  CHECK(f.store.reap_expired(t0 + 81s) == 1);
  // Progress is fenced by the lease as well.
  auto again = f.store.claim(claim_req("n3", t0 + 90s, 10));
  REQUIRE(again.size() == 2);
  CHECK(f.store.save_progress(again[0].id, "n3", again[0].attempt,
                              R"({"page":3})", t0 + 91s));
  CHECK_FALSE(f.store.save_progress(again[0].id, "n1", again[0].attempt,
                                    R"({"page":4})", t0 + 91s));
  CHECK_FALSE(f.store.save_progress(again[0].id, "n3", again[0].attempt - 1,
                                    R"({"page":4})", t0 + 91s));
  CHECK(f.store.find(again[0].id)->progress == R"({"page": 3})");
}

// -- retries and events
// -----------------------------------------------------------

TEST_CASE("a failing job is retried at its run_at until its attempts run out") {
  store_fixture f;
  auto s = spec("acme");
  s.max_attempts = 3;
  auto id = f.store.enqueue(s, t0).id;
  auto now = t0;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    INFO(attempt);
    auto js = f.store.claim(claim_req("n1", now));
    REQUIRE(js.size() == 1);
    CHECK(js[0].attempt == attempt);
    auto retry_at = now + 5min;
    CHECK(
      f.store
        .finish({outcome(js[0], "pending",
                         "HTTP 503: try " + std::to_string(attempt), retry_at)},
                now + 1s)
        .empty());
    auto row = f.store.find(id);
    if (attempt < 3) {
      CHECK(row->state == "pending");
      CHECK(row->run_at == retry_at);
      CHECK_FALSE(row->finished_at);
      // Not claimable before run_at, claimable at it.
      CHECK(f.store.claim(claim_req("n1", retry_at - 1ms)).empty());
      now = retry_at;
    } else {
      // The last attempt's failure is final even though a retry was asked.
      CHECK(row->state == "failed");
      CHECK(row->finished_at == now + 1s);
    }
    CHECK(row->last_error == "HTTP 503: try " + std::to_string(attempt));
  }
  CHECK(f.store.claim(claim_req("n1", now + 1h)).empty());
  // A permanent failure ends at once.
  auto other = f.store.enqueue(spec("acme"), now).id;
  auto js = f.store.claim(claim_req("n1", now));
  REQUIRE(js.size() == 1);
  CHECK(
    f.store.finish({outcome(js[0], "failed", "validation: bad")}, now).empty());
  CHECK(f.store.find(other)->state == "failed");
  CHECK(f.store.find(other)->attempt == 1);
  CHECK_THROWS_AS(f.store.finish({outcome(js[0], "bogus")}, now),
                  std::invalid_argument);
}

TEST_CASE("every transition writes a job_events row") {
  store_fixture f;
  auto s = spec("acme");
  s.max_attempts = 2;
  auto id = f.store.enqueue(s, t0).id;
  auto a = f.store.claim(claim_req("n1", t0 + 1s));
  f.store.finish({outcome(a[0], "pending", "timeout: slow")}, t0 + 2s);
  auto b = f.store.claim(claim_req("n1", t0 + 3s));
  f.store.reap_expired(t0 + 1h);
  auto cancelled = f.store.enqueue(spec("acme"), t0).id;
  f.store.cancel(cancelled, t0 + 5s);
  auto done = f.store.enqueue(spec("acme"), t0 + 6s).id;
  auto c = f.store.claim(claim_req("n1", t0 + 7s));
  REQUIRE(c.size() == 1);
  REQUIRE(c[0].id == done);
  f.store.finish({outcome(c[0], "completed")}, t0 + 8s);

  auto ev = f.store.events(id);
  REQUIRE(ev.size() == 5);
  auto check = [](const pg::job_event_row& e, const std::string& from,
                  const std::string& to, int attempt, const std::string& error,
                  wall_time at) {
    CHECK(e.from_state == from);
    CHECK(e.to_state == to);
    CHECK(e.attempt == attempt);
    CHECK(e.error == error);
    CHECK(e.at == at);
  };
  check(ev[0], "", "pending", 0, "", t0);
  check(ev[1], "pending", "processing", 1, "", t0 + 1s);
  check(ev[2], "processing", "pending", 1, "timeout: slow", t0 + 2s);
  check(ev[3], "pending", "processing", 2, "", t0 + 3s);
  // The last try's lost lease is forgiven (state::on_lease_expired).
  check(ev[4], "processing", "pending", 2, "lease expired", t0 + 1h);

  auto cev = f.store.events(cancelled);
  REQUIRE(cev.size() == 2);
  check(cev[1], "pending", "failed", 0, "cancelled", t0 + 5s);

  // The completed job moved to the archive; its events stayed.
  CHECK(f.count("SELECT count(*) FROM ledgerd.jobs WHERE id = "
                + std::to_string(done))
        == 0);
  CHECK(f.count("SELECT count(*) FROM ledgerd.jobs_done WHERE id = "
                + std::to_string(done))
        == 1);
  auto dev = f.store.events(done);
  REQUIRE(dev.size() == 3);
  check(dev[2], "processing", "completed", 1, "", t0 + 8s);
  // Deleting a job from the queue by hand still deletes its events.
  f.db.exec("DELETE FROM ledgerd.jobs WHERE id = " + std::to_string(id));
  CHECK(f.store.events(id).empty());
  CHECK(f.store.events(done).size() == 3);
}

// -- batches
// ----------------------------------------------------------------------

TEST_CASE("batch counts stay exact under concurrent finishers") {
  store_fixture f{4};
  auto batch = f.store.create_batch("acme", "full_sync", t0);
  auto other = f.store.create_batch("acme", "bulk_push", t0);
  std::vector<job_spec> specs;
  for (int i = 0; i < 2000; ++i) {
    auto s = spec("acme");
    s.max_attempts = 1;
    // Jobs of two batches interleaved, so that every finish touches both.
    s.batch_id = i % 2 == 0 ? batch : other;
    specs.push_back(s);
  }
  f.store.enqueue_batch(specs, t0);
  CHECK(f.store.batch(batch)->total == 1000);
  CHECK(f.store.batch(other)->total == 1000);
  auto jobs = f.store.claim(claim_req("n1", t0, 2000, 2000));
  REQUIRE(jobs.size() == 2000);
  // Shuffle deterministically so that the threads' chunks interleave batches.
  std::vector<job> order = jobs;
  std::mt19937 rng{42};
  std::shuffle(order.begin(), order.end(), rng);
  // Every 7th job fails (7 is odd: both batches get failures).
  auto fails = [](const job& j) {
    return j.id % 7 == 0;
  };
  std::latch start{4};
  std::vector<std::thread> workers;
  std::atomic<size_t> rejected{0};
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (size_t i = static_cast<size_t>(t) * 500; i < (t + 1) * 500u;
           i += 20) {
        std::vector<job_outcome> outs;
        for (size_t k = i; k < i + 20; ++k)
          outs.push_back(outcome(order[k],
                                 fails(order[k]) ? "failed" : "completed",
                                 fails(order[k]) ? "boom" : ""));
        rejected += f.store.finish(outs, t0 + 1s).size();
      }
    });
  for (auto& w : workers)
    w.join();
  CHECK(rejected == 0);
  int64_t failed_a = 0;
  int64_t failed_b = 0;
  for (const auto& j : jobs)
    if (fails(j))
      ++(j.batch_id == batch ? failed_a : failed_b);
  CHECK(failed_a > 0);
  CHECK(failed_b > 0);
  for (auto [id, failed] :
       {std::pair{batch, failed_a}, std::pair{other, failed_b}}) {
    auto b = f.store.batch(id);
    REQUIRE(b);
    CHECK(b->total == 1000);
    CHECK(b->failed == failed);
    CHECK(b->completed == 1000 - failed);
    CHECK(b->state == "partial");
    CHECK(b->finished_at == t0 + 1s);
  }
  CHECK(f.count("SELECT count(*) FROM ledgerd.jobs_done")
        == 2000 - failed_a - failed_b);
  CHECK(f.count("SELECT count(*) FROM ledgerd.job_events") == 6000);
}

TEST_CASE("a batch finishes as completed, failed or partial") {
  store_fixture f;
  auto run = [&](std::vector<std::string> nexts) {
    auto batch = f.store.create_batch("acme", "sync", t0);
    std::vector<job_spec> specs;
    for (size_t i = 0; i < nexts.size(); ++i) {
      auto s = spec("b" + std::to_string(batch));
      s.batch_id = batch;
      s.max_attempts = 1;
      specs.push_back(s);
    }
    f.store.enqueue_batch(specs, t0);
    auto js = f.store.claim(claim_req("n1", t0, 100));
    REQUIRE(js.size() == nexts.size());
    std::vector<job_outcome> outs;
    for (size_t i = 0; i < js.size(); ++i)
      outs.push_back(outcome(js[i], nexts[i], nexts[i] == "failed" ? "x" : ""));
    // The batch is running until its last job ends.
    f.store.finish({outs.begin(), outs.end() - 1}, t0 + 1s);
    auto mid = f.store.batch(batch);
    CHECK(mid->state == "running");
    CHECK_FALSE(mid->finished_at);
    f.store.finish({outs.back()}, t0 + 2s);
    auto end = f.store.batch(batch);
    CHECK(end->finished_at == t0 + 2s);
    return end->state;
  };
  CHECK(run({"completed", "completed"}) == "completed");
  CHECK(run({"failed", "failed"}) == "failed");
  CHECK(run({"completed", "failed"}) == "partial");
  CHECK_FALSE(f.store.batch(424242));
}

TEST_CASE("retry_failed re-enqueues only the failed jobs of that batch") {
  store_fixture f;
  auto batch = f.store.create_batch("acme", "bulk_push", t0);
  auto other = f.store.create_batch("acme", "bulk_push", t0);
  std::vector<job_spec> specs;
  for (int i = 0; i < 6; ++i) {
    auto s = spec("acme");
    s.max_attempts = 1;
    s.batch_id = i < 4 ? batch : other;
    specs.push_back(s);
  }
  auto ids = f.store.enqueue_batch(specs, t0);
  auto js = f.store.claim(claim_req("n1", t0, 100));
  REQUIRE(js.size() == 6);
  std::vector<job_outcome> outs;
  std::set<int64_t> failed_in_batch;
  for (const auto& j : js) {
    // In `batch`: 2 fail, 2 complete. In `other`: both fail.
    bool fail = j.batch_id == other || j.id == ids[0].id || j.id == ids[1].id;
    if (fail && j.batch_id == batch)
      failed_in_batch.insert(j.id);
    outs.push_back(outcome(j, fail ? "failed" : "completed", fail ? "e" : ""));
  }
  f.store.finish(outs, t0 + 1s);
  CHECK(f.store.batch(batch)->state == "partial");
  CHECK(f.store.retry_failed(batch, t0 + 1h) == 2);
  auto b = f.store.batch(batch);
  CHECK(b->failed == 0);
  CHECK(b->completed == 2);
  CHECK(b->state == "running");
  CHECK_FALSE(b->finished_at);
  CHECK(f.store.batch(other)->failed == 2);
  CHECK(f.store.count_by_state(filter().batch(other))["failed"] == 2);
  auto again = f.store.claim(claim_req("n1", t0 + 1h, 100));
  std::set<int64_t> again_ids;
  for (const auto& j : again) {
    again_ids.insert(j.id);
    CHECK(j.attempt == 1); // new attempts
  }
  CHECK(again_ids == failed_in_batch);
  outs.clear();
  for (const auto& j : again)
    outs.push_back(outcome(j, "completed"));
  f.store.finish(outs, t0 + 2h);
  b = f.store.batch(batch);
  CHECK(b->completed == 4);
  CHECK(b->state == "completed");
  CHECK(f.store.retry_failed(batch, t0 + 3h) == 0);
  // The failed -> pending step is logged.
  auto ev = f.store.events(*failed_in_batch.begin());
  REQUIRE(ev.size() == 6);
  CHECK(ev[3].from_state == "failed");
  CHECK(ev[3].to_state == "pending");
}

TEST_CASE("retry_failed leaves a failed job whose key is live again") {
  store_fixture f;
  auto batch = f.store.create_batch("acme", "bulk_push", t0);
  auto s = spec("acme", "acme:fortnox:push:invoice:1");
  s.batch_id = batch;
  s.max_attempts = 1;
  auto id = f.store.enqueue(s, t0).id;
  auto js = f.store.claim(claim_req("n1", t0));
  f.store.finish({outcome(js[0], "failed", "x")}, t0);
  auto live = f.store.enqueue(spec("acme", "acme:fortnox:push:invoice:1"), t0);
  CHECK(live.created);
  CHECK(f.store.retry_failed(batch, t0) == 0);
  CHECK(f.store.find(id)->state == "failed");
}

TEST_CASE("retry moves one failed job back to pending with fresh attempts") {
  store_fixture f;
  auto batch = f.store.create_batch("acme", "bulk_push", t0);
  auto s = spec("acme", "acme:fortnox:push:customer:1");
  s.batch_id = batch;
  s.max_attempts = 2;
  auto id = f.store.enqueue(s, t0).id;
  auto sibling = spec("acme");
  sibling.batch_id = batch;
  sibling.max_attempts = 1;
  auto other = f.store.enqueue(sibling, t0).id;
  auto js = f.store.claim(claim_req("n1", t0));
  REQUIRE(js.size() == 2);
  f.store.finish(
    {outcome(js[0], "failed", "boom"), outcome(js[1], "failed", "boom")},
    t0 + 1s);
  REQUIRE(f.store.batch(batch)->state == "failed");
  CHECK(f.store.retry(id, t0 + 1h) == pg::retry_result::retried);
  auto row = f.store.find(id);
  CHECK(row->state == "pending");
  CHECK(row->attempt == 0);
  CHECK(row->run_at == t0 + 1h);
  CHECK_FALSE(row->finished_at);
  CHECK(row->last_error == "boom");
  // Only that job: its sibling in the batch stays failed.
  CHECK(f.store.find(other)->state == "failed");
  auto b = f.store.batch(batch);
  CHECK(b->failed == 1);
  CHECK(b->state == "running");
  auto ev = f.store.events(id);
  REQUIRE(ev.size() == 4);
  CHECK(ev[3].from_state == "failed");
  CHECK(ev[3].to_state == "pending");
  // Pending, processing and completed jobs are not failed.
  CHECK(f.store.retry(id, t0 + 1h) == pg::retry_result::not_failed);
  auto again = f.store.claim(claim_req("n1", t0 + 1h));
  REQUIRE(again.size() == 1);
  CHECK(again[0].attempt == 1);
  CHECK(f.store.retry(id, t0 + 1h) == pg::retry_result::not_failed);
  f.store.finish({outcome(again[0], "completed")}, t0 + 2h);
  CHECK(f.store.retry(id, t0 + 3h) == pg::retry_result::not_failed);
  CHECK(f.store.find(id)->state == "completed");
  CHECK(f.store.retry(987654, t0) == pg::retry_result::not_found);
}

TEST_CASE("retry leaves a failed job whose key is live again") {
  store_fixture f;
  auto s = spec("acme", "acme:fortnox:push:invoice:1");
  s.max_attempts = 1;
  auto id = f.store.enqueue(s, t0).id;
  auto js = f.store.claim(claim_req("n1", t0));
  f.store.finish({outcome(js[0], "failed", "x")}, t0);
  auto live = f.store.enqueue(spec("acme", "acme:fortnox:push:invoice:1"), t0);
  REQUIRE(live.created);
  CHECK(f.store.retry(id, t0) == pg::retry_result::key_live);
  CHECK(f.store.find(id)->state == "failed");
}

TEST_CASE("list pages by id and filters by kind") {
  store_fixture f;
  auto a = f.store.enqueue(spec("acme"), t0).id;
  auto other = spec("acme");
  other.kind = "push";
  auto b = f.store.enqueue(other, t0).id;
  auto c = f.store.enqueue(spec("acme"), t0).id;
  auto ids = [](const std::vector<pg::job_row>& rows) {
    std::vector<int64_t> out;
    for (const auto& r : rows)
      out.push_back(r.id);
    return out;
  };
  pg::job_filter page;
  page.before_id = c;
  CHECK(ids(f.store.list(page)) == std::vector<int64_t>{b, a});
  pg::job_filter kind;
  kind.kind = "push";
  CHECK(ids(f.store.list(kind)) == std::vector<int64_t>{b});
  kind.kind = "pull.invoices";
  kind.before_id = c;
  CHECK(ids(f.store.list(kind)) == std::vector<int64_t>{a});
}

// -- operations
// -------------------------------------------------------------------

TEST_CASE("cancel fails a pending job but not a processing one") {
  store_fixture f;
  auto batch = f.store.create_batch("acme", "bulk", t0);
  auto s = spec("acme", "k1");
  s.batch_id = batch;
  auto pending = f.store.enqueue(s, t0).id;
  auto running = f.store.enqueue(spec("acme"), t0 - 1h).id;
  auto js = f.store.claim(claim_req("n1", t0, 1));
  REQUIRE(js.size() == 1);
  REQUIRE(js[0].id == running);
  CHECK_FALSE(f.store.cancel(running, t0));
  CHECK(f.store.find(running)->state == "processing");
  CHECK(f.store.cancel(pending, t0 + 1s));
  auto row = f.store.find(pending);
  CHECK(row->state == "failed");
  CHECK(row->last_error == "cancelled");
  CHECK(row->finished_at == t0 + 1s);
  CHECK_FALSE(f.store.cancel(pending, t0 + 2s));
  CHECK_FALSE(f.store.cancel(987654, t0));
  auto b = f.store.batch(batch);
  CHECK(b->failed == 1);
  CHECK(b->state == "failed");
  // The key is free again.
  CHECK(f.store.enqueue(spec("acme", "k1"), t0).created);
}

TEST_CASE("list and count filter by state, tenant and priority") {
  store_fixture f;
  f.store.enqueue_batch(many("a", 3, 1), t0);
  f.store.enqueue_batch(many("a", 2, 3), t0);
  f.store.enqueue_batch(many("b", 4, 0), t0);
  auto js = f.store.claim(claim_req("n1", t0, 3, 100)); // a3, a3, b0?
  REQUIRE(js.size() == 3);
  f.store.finish({outcome(js[0], "completed"), outcome(js[1], "failed", "x")},
                 t0 + 1s);
  auto all = f.store.count_by_state({});
  CHECK(all.size() == 4);
  CHECK(all["pending"] == 6);
  CHECK(all["processing"] == 1);
  CHECK(all["completed"] == 1);
  CHECK(all["failed"] == 1);
  auto a = f.store.count_by_state(filter().tenant("a"));
  auto b = f.store.count_by_state(filter().tenant("b"));
  CHECK(a["pending"] + a["processing"] + a["completed"] + a["failed"] == 5);
  CHECK(b["pending"] + b["processing"] + b["completed"] + b["failed"] == 4);
  CHECK(f.store.count_by_state(filter().state("completed"))["completed"] == 1);
  CHECK(f.store.count_by_state(filter().state("completed"))["pending"] == 0);
  auto prio3 = f.store.count_by_state(filter().priority(3));
  CHECK(prio3["pending"] + prio3["processing"] + prio3["completed"]
          + prio3["failed"]
        == 2);

  auto listed = f.store.list({});
  CHECK(listed.size() == 9);
  CHECK(std::is_sorted(listed.begin(), listed.end(),
                       [](const auto& x, const auto& y) {
                         return x.id > y.id;
                       }));
  auto done = f.store.list(filter().state("completed"));
  REQUIRE(done.size() == 1);
  CHECK(done[0].id == js[0].id);
  CHECK(done[0].state == "completed");
  CHECK(done[0].finished_at == t0 + 1s);
  auto failed = f.store.list(filter().state("failed"));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].last_error == "x");
  auto b_pending = f.store.list(filter().tenant("b").state("pending"));
  for (const auto& r : b_pending) {
    CHECK(r.tenant == "b");
    CHECK(r.state == "pending");
  }
  CHECK(f.store.list(filter().tenant("a").priority(1)).size() == 3);
  CHECK(f.store.list(filter().limit(2)).size() == 2);
  CHECK(f.store.list(filter().state("bogus")).empty());
  CHECK_FALSE(f.store.find(123456));
}

TEST_CASE("prune removes old completed jobs in chunks and keeps failed ones "
          "longer") {
  store_fixture f;
  auto finish_all = [&](wall_time at, const std::string& next) {
    auto js = f.store.claim(claim_req("n1", at, 1000, 1000));
    std::vector<job_outcome> outs;
    for (const auto& j : js)
      outs.push_back(outcome(j, next, next == "failed" ? "x" : ""));
    f.store.finish(outs, at);
  };
  auto max1 = [](std::vector<job_spec> specs) {
    for (auto& s : specs)
      s.max_attempts = 1;
    return specs;
  };
  // 25 completed 10 days ago, 5 completed 1 hour ago, 4 failed 10 days ago,
  // 3 failed 40 days ago, 2 pending.
  auto now = t0 + std::chrono::days{60};
  f.store.enqueue_batch(many("a", 3), now - std::chrono::days{40});
  finish_all(now - std::chrono::days{40}, "failed");
  f.store.enqueue_batch(max1(many("a", 4)), now - std::chrono::days{10});
  finish_all(now - std::chrono::days{10}, "failed");
  f.store.enqueue_batch(many("a", 25), now - std::chrono::days{10});
  finish_all(now - std::chrono::days{10}, "completed");
  f.store.enqueue_batch(many("a", 5), now - 1h);
  finish_all(now - 1h, "completed");
  f.store.enqueue_batch(many("a", 2), now);
  auto events_before = f.count("SELECT count(*) FROM ledgerd.job_events");
  CHECK(events_before == 3 * 3 + 4 * 3 + 25 * 3 + 5 * 3 + 2);

  auto report
    = f.store.prune(now, std::chrono::days{7}, std::chrono::days{30}, 10);
  CHECK(report.completed == 25);
  CHECK(report.failed == 3);
  auto c = f.store.count_by_state({});
  CHECK(c["completed"] == 5);
  CHECK(c["failed"] == 4);
  CHECK(c["pending"] == 2);
  // Their events went with them.
  CHECK(f.count("SELECT count(*) FROM ledgerd.job_events")
        == events_before - 25 * 3 - 3 * 3);
  CHECK(f.count("SELECT count(*) FROM ledgerd.job_events e WHERE NOT EXISTS "
                "(SELECT 1 FROM ledgerd.jobs j WHERE j.id = e.job_id) AND NOT "
                "EXISTS (SELECT 1 FROM ledgerd.jobs_done d WHERE d.id = "
                "e.job_id)")
        == 0);
  // Nothing left to prune.
  report = f.store.prune(now, std::chrono::days{7}, std::chrono::days{30}, 10);
  CHECK(report.completed == 0);
  CHECK(report.failed == 0);
  // A shorter failed retention takes the rest of the failed ones.
  report = f.store.prune(now, std::chrono::days{7}, std::chrono::days{1}, 3);
  CHECK(report.failed == 4);
}

TEST_CASE("prune deletes the oldest first, chunk by chunk, up to the cutoff") {
  store_fixture f;
  f.store.enqueue_batch(many("a", 23), t0);
  auto js = f.store.claim(claim_req("n1", t0, 100, 100));
  std::vector<job_outcome> outs;
  for (const auto& j : js)
    outs.push_back(outcome(j, "completed"));
  f.store.finish(outs, t0);
  // Spread the finish times: job k of 23 finished k minutes before t0.
  f.db.exec("UPDATE ledgerd.jobs_done d SET finished_at = finished_at - "
            "k.n * interval '1 minute' FROM (SELECT id, row_number() OVER "
            "(ORDER BY id) AS n FROM ledgerd.jobs_done) k WHERE k.id = d.id");
  // Older than 10 minutes and 30 seconds: jobs 11..23 (13 of them), deleted
  // in chunks of 5, 5 and 3.
  auto report = f.store.prune(t0, 10min + 30s, 1ms, 5);
  CHECK(report.completed == 13);
  CHECK(f.count("SELECT count(*) FROM ledgerd.jobs_done") == 10);
  CHECK(f.count("SELECT count(*) FROM ledgerd.jobs_done WHERE finished_at < "
                "'2024-01-01T00:00:00Z'::timestamptz - interval '10 minutes'")
        == 0);
  CHECK(f.count("SELECT count(*) FROM ledgerd.job_events") == 10 * 3);
  // A chunk size that divides the count exactly ends too.
  report = f.store.prune(t0, 5min + 30s, 1ms, 5);
  CHECK(report.completed == 5);
  CHECK(f.count("SELECT count(*) FROM ledgerd.jobs_done") == 5);
}
