// Tests of ledgerd.conflicts access (adapters/pg/conflict_table.hpp): one
// open conflict per field, idempotent resolution, links.held and pending
// resolutions (SYNC-PROPERTIES.md §5 prop 19).
#include "adapters/pg/conflict_table.hpp"
#include "tests/syncdb/syncdb_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

using namespace ledgerd;
using namespace std::chrono_literals;
using pg::json;
using test::customers_fx;

namespace {

const std::string local_a = "00000000-0000-0000-0000-00000000000a";

bool held(test::syncdb_fixture& f) {
  auto link = pg::find_link_by_local(f.conn, customers_fx, local_a);
  REQUIRE(link);
  return link->held;
}

int64_t open_name(pg::connection& conn, const json& local = "Acme",
                  const json& remote = "Acme AB") {
  return pg::open_conflict(conn, customers_fx, local_a, "C1", "name",
                           json("Old"), local, remote);
}

} // namespace

TEST_CASE("conflicts: one open conflict per field and it holds the link") {
  test::syncdb_fixture f;
  f.link(customers_fx, local_a, "C1");
  CHECK_FALSE(held(f));

  auto name = open_name(f.conn);
  CHECK(held(f));
  auto again = open_name(f.conn, "Acme 2", "Acme AB 2");
  CHECK(again == name);
  auto email = pg::open_conflict(f.conn, customers_fx, local_a, "", "email",
                                 std::nullopt, nullptr, "a@acme.se");
  CHECK(email != name);

  auto open = pg::open_conflicts_for(f.conn, customers_fx, local_a);
  REQUIRE(open.size() == 2);
  CHECK(open[0].id == name);
  CHECK(open[0].field == "name");
  CHECK(open[0].local_value == "Acme 2");
  CHECK(open[0].remote_value == "Acme AB 2");
  REQUIRE(open[0].base_value);
  CHECK(*open[0].base_value == "Old");
  CHECK(open[0].remote_id == "C1");
  CHECK(open[0].status == "open");
  CHECK(open[0].resolution.empty());
  CHECK_FALSE(open[0].resolved_at);
  CHECK(open[1].field == "email");
  CHECK_FALSE(open[1].base_value); // no base: SQL NULL, not JSON null
  CHECK(open[1].local_value.is_null());
  CHECK(open[1].remote_id.empty());
  CHECK(f.count("SELECT count(*) FROM ledgerd.conflicts"
                " WHERE base_value IS NULL AND local_value = 'null'::jsonb")
        == 1);

  pg::open_conflict(f.conn, {"other", "fortnox", "customer"}, local_a, "C1",
                    "name", json("x"), "y", "z");
  CHECK(pg::count_open_conflicts(f.conn, "acme") == 2);
  CHECK(pg::count_open_conflicts(f.conn, "other") == 1);
  CHECK(pg::count_open_conflicts(f.conn, "") == 3);
  CHECK(pg::count_open_conflicts(f.conn, "none") == 0);

  // A record without a link can have conflicts too; a link created later
  // starts held.
  const std::string local_b = "00000000-0000-0000-0000-00000000000b";
  pg::open_conflict(f.conn, customers_fx, local_b, "", "_deleted", json(false),
                    true, false);
  f.link(customers_fx, local_b, "C2");
  CHECK(pg::find_link_by_local(f.conn, customers_fx, local_b)->held);
}

TEST_CASE(
  "conflicts: resolving is idempotent and a different re-resolve throws") {
  test::syncdb_fixture f;
  f.link(customers_fx, local_a, "C1");
  auto id = open_name(f.conn);

  CHECK(pg::resolve_conflict(f.conn, id, "local", nullptr, "eva"));
  auto c = pg::find_conflict(f.conn, id);
  REQUIRE(c);
  CHECK(c->status == "resolved");
  CHECK(c->resolution == "local");
  CHECK(c->resolved_value == "Acme"); // the chosen side's value
  CHECK(c->resolved_by == "eva");
  REQUIRE(c->resolved_at);
  auto resolved_at = f.value("SELECT resolved_at::text FROM ledgerd.conflicts");

  // The same request again: nothing changes.
  CHECK_FALSE(pg::resolve_conflict(f.conn, id, "local", nullptr, "bo"));
  CHECK(pg::find_conflict(f.conn, id)->resolved_by == "eva");
  CHECK(f.value("SELECT resolved_at::text FROM ledgerd.conflicts")
        == resolved_at);

  // A different resolution is refused.
  try {
    pg::resolve_conflict(f.conn, id, "remote", nullptr, "bo");
    FAIL("re-resolved a resolved conflict differently");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string{e.what()}
          == "conflict " + std::to_string(id) + " is already resolved");
  }
  CHECK(pg::find_conflict(f.conn, id)->resolution == "local");

  // Custom: the same value is a repeat, another value a conflicting request.
  auto email = pg::open_conflict(f.conn, customers_fx, local_a, "C1", "email",
                                 nullptr, "a@x.se", "b@x.se");
  CHECK(pg::resolve_conflict(f.conn, email, "custom", "c@x.se", "eva"));
  CHECK(pg::find_conflict(f.conn, email)->resolved_value == "c@x.se");
  CHECK_FALSE(pg::resolve_conflict(f.conn, email, "custom", "c@x.se", "eva"));
  CHECK_THROWS_AS(
    pg::resolve_conflict(f.conn, email, "custom", "d@x.se", "eva"),
    std::invalid_argument);

  CHECK_THROWS_AS(pg::resolve_conflict(f.conn, id + 100, "local", nullptr, ""),
                  std::invalid_argument);
  auto phone = pg::open_conflict(f.conn, customers_fx, local_a, "C1", "phone",
                                 nullptr, "1", "2");
  CHECK_THROWS_AS(pg::resolve_conflict(f.conn, phone, "both", nullptr, ""),
                  std::invalid_argument);
  CHECK(pg::find_conflict(f.conn, phone)->status == "open");

  // After resolution a new conflict on the same field can open.
  auto next = open_name(f.conn);
  CHECK(next != id);
}

TEST_CASE("conflicts: held is cleared with the last open conflict") {
  test::syncdb_fixture f;
  f.link(customers_fx, local_a, "C1");
  auto name = open_name(f.conn);
  auto email = pg::open_conflict(f.conn, customers_fx, local_a, "C1", "email",
                                 nullptr, "a", "b");
  CHECK(held(f));
  pg::resolve_conflict(f.conn, name, "remote", nullptr, "eva");
  CHECK(held(f));
  pg::resolve_conflict(f.conn, email, "local", nullptr, "eva");
  CHECK_FALSE(held(f));
  // save_link does not clear or set it.
  pg::open_conflict(f.conn, customers_fx, local_a, "C1", "city", nullptr, "a",
                    "b");
  f.link(customers_fx, local_a, "C1");
  CHECK(held(f));
}

TEST_CASE("conflicts: concurrent resolutions of one record release the link") {
  test::syncdb_fixture f;
  f.link(customers_fx, local_a, "C1");
  auto name = open_name(f.conn);
  auto email = pg::open_conflict(f.conn, customers_fx, local_a, "C1", "email",
                                 nullptr, "a", "b");
  pg::connection c1{f.db.conninfo()};
  pg::connection c2{f.db.conninfo()};

  // c1 resolves one field and has not committed when c2 resolves the other:
  // c2 must wait for c1 (link lock), else neither sees the record free.
  pg::transaction t1{c1};
  CHECK(pg::resolve_conflict(c1, name, "local", nullptr, "eva"));
  auto c2_pid = c2.backend_pid();
  auto second = std::async(std::launch::async, [&] {
    return pg::resolve_conflict(c2, email, "local", nullptr, "bo");
  });
  // Wait until c2 blocks on a lock (bounded), then commit c1.
  bool waiting = false;
  for (int i = 0; i < 500 && !waiting; ++i) {
    waiting = f.value("SELECT wait_event_type FROM pg_stat_activity"
                      " WHERE pid = "
                      + std::to_string(c2_pid))
              == "Lock";
    if (!waiting)
      std::this_thread::sleep_for(10ms);
  }
  CHECK(waiting);
  t1.commit();
  CHECK(second.get());
  CHECK(pg::count_open_conflicts(f.conn, "acme") == 0);
  CHECK_FALSE(held(f));
}

TEST_CASE("conflicts: pending resolutions until applied") {
  test::syncdb_fixture f;
  f.link(customers_fx, local_a, "C1");
  auto name = open_name(f.conn);
  auto email = pg::open_conflict(f.conn, customers_fx, local_a, "C1", "email",
                                 nullptr, "a@x.se", "b@x.se");
  auto phone = pg::open_conflict(f.conn, customers_fx, local_a, "C1", "phone",
                                 nullptr, "1", nullptr);
  CHECK(pg::pending_resolutions(f.conn, customers_fx, local_a).empty());

  pg::resolve_conflict(f.conn, name, "remote", nullptr, "eva");
  pg::resolve_conflict(f.conn, email, "custom", "c@x.se", "eva");
  using map = std::map<std::string, json>;
  CHECK(pg::pending_resolutions(f.conn, customers_fx, local_a)
        == map{{"name", "Acme AB"}, {"email", "c@x.se"}});
  CHECK(pg::pending_resolutions(f.conn, {"acme", "visma", "customer"}, local_a)
          .empty());

  pg::mark_resolutions_applied(f.conn, customers_fx, local_a);
  CHECK(pg::pending_resolutions(f.conn, customers_fx, local_a).empty());
  CHECK(pg::find_conflict(f.conn, name)->applied_at);
  CHECK_FALSE(pg::find_conflict(f.conn, phone)->applied_at);

  pg::resolve_conflict(f.conn, phone, "remote", nullptr, "eva");
  CHECK(pg::pending_resolutions(f.conn, customers_fx, local_a)
        == map{{"phone", nullptr}});
}

TEST_CASE("conflicts: list with filters and keyset paging") {
  test::syncdb_fixture f;
  std::vector<int64_t> ids;
  for (auto field : {"a", "b", "c", "d"})
    ids.push_back(pg::open_conflict(f.conn, customers_fx, local_a, "C1", field,
                                    nullptr, 1, 2));
  pg::open_conflict(f.conn, {"other", "fortnox", "customer"}, local_a, "C1",
                    "a", nullptr, 1, 2);
  pg::resolve_conflict(f.conn, ids[1], "local", nullptr, "eva");

  pg::conflict_filter filter;
  filter.tenant = "acme";
  filter.limit = 2;
  auto page = pg::list_conflicts(f.conn, filter);
  REQUIRE(page.size() == 2);
  CHECK(page[0].id == ids[0]);
  CHECK(page[1].id == ids[1]);
  filter.after_id = page[1].id;
  page = pg::list_conflicts(f.conn, filter);
  REQUIRE(page.size() == 2);
  CHECK(page[0].id == ids[2]);
  CHECK(page[1].id == ids[3]);

  filter = {};
  filter.tenant = "acme";
  filter.status = "open";
  CHECK(pg::list_conflicts(f.conn, filter).size() == 3);
  filter.status = "resolved";
  auto resolved = pg::list_conflicts(f.conn, filter);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].id == ids[1]);
  CHECK(pg::list_conflicts(f.conn, {}).size() == 5);

  CHECK_FALSE(pg::find_conflict(f.conn, 999999));
  pg::transaction tx{f.conn};
  auto locked = pg::find_conflict(f.conn, ids[0], true);
  REQUIRE(locked);
  CHECK(locked->tenant == "acme");
  CHECK(locked->entity == "customer");
  CHECK(locked->provider == "fortnox");
  CHECK(locked->local_id == local_a);
}
