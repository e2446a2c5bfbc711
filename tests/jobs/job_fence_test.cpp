// Lease fencing of a job's writes (adapters/pg/job_fence.hpp) against a
// real database: the holder's check passes while it holds the lease, fails
// once the job was reaped or claimed again, and a write transaction that
// checked keeps the reaper out until it commits.
#include "adapters/pg/job_fence.hpp"
#include "adapters/pg/job_store.hpp"
#include "tests/support/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

using namespace ledgerd;
using namespace std::chrono_literals;

namespace {

const pg::wall_time t0 = pg::wall_time{} + 1'000'000h;

job_spec a_job() {
  job_spec s;
  s.tenant = "acme";
  s.provider = "fortnox";
  s.kind = "push";
  s.payload = R"({"entity":"customer","local_id":"x"})";
  return s;
}

pg::claim_request claim_by(const std::string& owner, pg::wall_time now) {
  pg::claim_request r;
  r.owner = owner;
  r.limit = 100;
  r.per_tenant_limit = 100;
  r.lease = 30s;
  r.now = now;
  return r;
}

} // namespace

TEST_CASE("a job's writes are fenced by its lease") {
  test::test_database db;
  auto pool = test::migrated_pool(db, 4);
  pg::job_store store{pool, 10s};
  // Other jobs around it, realistic: the check must pick this one.
  for (int i = 0; i < 50; ++i)
    store.enqueue(a_job(), t0);
  auto a = store.claim(claim_by("node-a", t0));
  REQUIRE(a.size() == 50);
  const auto& mine = a.front();
  pg::connection conn{db.conninfo()};
  CHECK(pg::holds_lease(conn, mine.id, "node-a", mine.attempt));
  CHECK_FALSE(pg::holds_lease(conn, mine.id, "node-b", mine.attempt));
  CHECK_FALSE(pg::holds_lease(conn, mine.id, "node-a", mine.attempt + 1));
  CHECK_NOTHROW(pg::fence_lease(conn, mine.id, "node-a", mine.attempt));

  // Node A stalls past its lease; the reaper takes the jobs back and node B
  // claims them: node A's next write is refused.
  CHECK(store.reap_expired(t0 + 31s) == 50);
  CHECK_FALSE(pg::holds_lease(conn, mine.id, "node-a", mine.attempt));
  auto b = store.claim(claim_by("node-b", t0 + 32s));
  REQUIRE(b.size() == 50);
  CHECK_THROWS_AS(pg::fence_lease(conn, mine.id, "node-a", mine.attempt),
                  pg::lease_lost);
  CHECK_THROWS_WITH(pg::fence_lease(conn, mine.id, "node-a", mine.attempt),
                    Catch::Contains("lost its lease"));
  auto now_b = std::find_if(b.begin(), b.end(), [&](const job& j) {
    return j.id == mine.id;
  });
  REQUIRE(now_b != b.end());
  CHECK(pg::holds_lease(conn, mine.id, "node-b", now_b->attempt));

  // A write that checked its lease holds it until it commits: the reaper
  // passes it over (the others it takes), and takes it on its next round.
  {
    pg::transaction tx{conn};
    pg::fence_lease(conn, mine.id, "node-b", now_b->attempt);
    CHECK(store.reap_expired(t0 + 90s) == 49);
    CHECK(pg::holds_lease(conn, mine.id, "node-b", now_b->attempt));
    tx.commit();
  }
  CHECK(store.reap_expired(t0 + 91s) == 1);
  CHECK_FALSE(pg::holds_lease(conn, mine.id, "node-b", now_b->attempt));
}
