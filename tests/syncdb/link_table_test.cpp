// Tests of ledgerd.links access (adapters/pg/link_table.hpp) and migration
// 0005's in_doubt status against a real database.
#include "adapters/pg/link_table.hpp"
#include "tests/syncdb/syncdb_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace ledgerd;
using pg::json;
using test::customers_fx;

namespace {

const std::string local_a = "00000000-0000-0000-0000-00000000000a";
const std::string local_b = "00000000-0000-0000-0000-00000000000b";
const std::string local_c = "00000000-0000-0000-0000-00000000000c";

pg::link_row linked(const std::string& local_id, const std::string& remote_id) {
  pg::link_row row;
  row.local_id = local_id;
  row.remote_id = remote_id;
  row.base = json{{"name", "Acme AB"}, {"remote_id", remote_id}};
  row.remote_version = "rv1";
  row.local_version = "lv1";
  return row;
}

} // namespace

TEST_CASE("links: save and find round trip by local and remote id") {
  test::syncdb_fixture f;
  CHECK_FALSE(pg::find_link_by_local(f.conn, customers_fx, local_a));
  pg::save_link(f.conn, customers_fx, linked(local_a, "R1"));

  auto by_local = pg::find_link_by_local(f.conn, customers_fx, local_a);
  REQUIRE(by_local);
  CHECK(by_local->local_id == local_a);
  CHECK(by_local->remote_id == "R1");
  REQUIRE(by_local->base);
  CHECK(*by_local->base == json{{"name", "Acme AB"}, {"remote_id", "R1"}});
  CHECK(by_local->remote_version == "rv1");
  CHECK(by_local->local_version == "lv1");
  CHECK(by_local->status == "linked");
  CHECK_FALSE(by_local->held);
  CHECK(f.value("SELECT base_hash FROM ledgerd.links")
        == pg::base_hash(*by_local->base));
  CHECK(pg::base_hash(json{{"a", 1}})
        == "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");

  auto by_remote = pg::find_link_by_remote(f.conn, customers_fx, "R1", true);
  REQUIRE(by_remote);
  CHECK(by_remote->local_id == local_a);

  // Scoped by tenant, provider and entity.
  CHECK_FALSE(
    pg::find_link_by_remote(f.conn, {"other", "fortnox", "customer"}, "R1"));
  CHECK_FALSE(
    pg::find_link_by_remote(f.conn, {"acme", "visma", "customer"}, "R1"));
  CHECK_FALSE(
    pg::find_link_by_remote(f.conn, {"acme", "fortnox", "invoice"}, "R1"));

  // Update in place: new base and versions, tombstoned.
  auto row = *by_local;
  row.base = json{{"name", "Acme Sverige AB"}};
  row.remote_version = "rv2";
  row.local_version = "";
  row.status = "tombstoned";
  pg::save_link(f.conn, customers_fx, row);
  auto again = pg::find_link_by_local(f.conn, customers_fx, local_a);
  REQUIRE(again);
  CHECK(*again->base == json{{"name", "Acme Sverige AB"}});
  CHECK(again->remote_version == "rv2");
  CHECK(again->local_version.empty());
  CHECK(again->status == "tombstoned");
  CHECK(f.value("SELECT base_hash FROM ledgerd.links")
        == pg::base_hash(json{{"name", "Acme Sverige AB"}}));
  CHECK(f.count("SELECT count(*) FROM ledgerd.links"
                " WHERE local_version IS NULL")
        == 1);
  CHECK(f.count("SELECT count(*) FROM ledgerd.links") == 1);

  pg::delete_link(f.conn, customers_fx, local_a);
  CHECK_FALSE(pg::find_link_by_local(f.conn, customers_fx, local_a));
}

TEST_CASE("links: an in_doubt link has no remote id and becomes linked") {
  test::syncdb_fixture f;
  const json sent{{"name", "Acme AB"}, {"external_ref", local_a}};
  pg::mark_in_doubt(f.conn, customers_fx, local_a, sent);
  auto row = pg::find_link_by_local(f.conn, customers_fx, local_a);
  REQUIRE(row);
  CHECK(row->status == "in_doubt");
  CHECK(row->remote_id.empty());
  // What was sent is kept: an adopted record merges against it.
  REQUIRE(row->base);
  CHECK(*row->base == sent);
  CHECK(row->created_at.size() == 20); // 2026-12-03T05:35:02Z
  CHECK(row->created_at.back() == 'Z');
  CHECK(f.count("SELECT count(*) FROM ledgerd.links WHERE remote_id IS NULL"
                " AND status = 'in_doubt'")
        == 1);
  CHECK_FALSE(pg::find_link_by_remote(f.conn, customers_fx, ""));

  // Marking again (a create sent again) keeps one row, and its first
  // time, with what was sent last.
  const json resent{{"name", "Acme AB (new)"}, {"external_ref", local_a}};
  pg::mark_in_doubt(f.conn, customers_fx, local_a, resent);
  CHECK(f.count("SELECT count(*) FROM ledgerd.links") == 1);
  auto again = pg::find_link_by_local(f.conn, customers_fx, local_a);
  CHECK(*again->base == resent);
  CHECK(again->created_at == row->created_at);
  CHECK(again->updated_at >= row->updated_at);

  // The lookup by external reference found it: linked.
  pg::save_link(f.conn, customers_fx, linked(local_a, "R7"));
  auto now_linked = pg::find_link_by_remote(f.conn, customers_fx, "R7");
  REQUIRE(now_linked);
  CHECK(now_linked->local_id == local_a);
  CHECK(now_linked->status == "linked");

  // An existing link is never turned back to in_doubt, nor its base
  // overwritten.
  pg::mark_in_doubt(f.conn, customers_fx, local_a, resent);
  auto kept = pg::find_link_by_local(f.conn, customers_fx, local_a);
  CHECK(kept->status == "linked");
  CHECK(kept->base == linked(local_a, "R7").base);

  // remote_id is empty exactly for in_doubt, in C++ and in the schema.
  auto bad = linked(local_b, "R8");
  bad.status = "in_doubt";
  CHECK_THROWS_AS(pg::save_link(f.conn, customers_fx, bad),
                  std::invalid_argument);
  bad = linked(local_b, "");
  CHECK_THROWS_AS(pg::save_link(f.conn, customers_fx, bad),
                  std::invalid_argument);
  CHECK_THROWS_WITH(f.db.exec("INSERT INTO ledgerd.links (tenant, provider,"
                              " entity, local_id, remote_id, status) VALUES"
                              " ('acme', 'fortnox', 'customer', 'x', 'R9',"
                              " 'in_doubt')"),
                    Catch::Contains("links_remote_id_iff_not_in_doubt"));
  CHECK_THROWS_WITH(f.db.exec("INSERT INTO ledgerd.links (tenant, provider,"
                              " entity, local_id, remote_id, status) VALUES"
                              " ('acme', 'fortnox', 'customer', 'x', NULL,"
                              " 'linked')"),
                    Catch::Contains("links_remote_id_iff_not_in_doubt"));
  CHECK_THROWS_WITH(f.db.exec("INSERT INTO ledgerd.links (tenant, provider,"
                              " entity, local_id, remote_id, status) VALUES"
                              " ('acme', 'fortnox', 'customer', 'x', 'R9',"
                              " 'pending')"),
                    Catch::Contains("links_status_check"));
}

TEST_CASE("links: a remote id is linked to one local record only") {
  test::syncdb_fixture f;
  pg::save_link(f.conn, customers_fx, linked(local_a, "R1"));
  try {
    pg::save_link(f.conn, customers_fx, linked(local_b, "R1"));
    FAIL("a second link of R1 was accepted");
  } catch (const pg::error& e) {
    CHECK(e.sqlstate() == "23505");
  }
  // Several in_doubt links coexist (no remote id yet).
  pg::mark_in_doubt(f.conn, customers_fx, local_b, json::object());
  pg::mark_in_doubt(f.conn, customers_fx, local_c, json::object());
  CHECK(f.count("SELECT count(*) FROM ledgerd.links WHERE status = 'in_doubt'")
        == 2);
  // The same remote id under another provider is another pair.
  pg::save_link(f.conn, {"acme", "visma", "customer"}, linked(local_b, "R1"));
  CHECK(f.count("SELECT count(*) FROM ledgerd.links WHERE remote_id = 'R1'")
        == 2);
}

TEST_CASE("links: remote id maps for reconciliation and bulk lookup") {
  test::syncdb_fixture f;
  pg::save_link(f.conn, customers_fx, linked(local_a, "R1"));
  auto tomb = linked(local_b, "R2");
  tomb.status = "tombstoned";
  pg::save_link(f.conn, customers_fx, tomb);
  pg::mark_in_doubt(f.conn, customers_fx, local_c, json::object());
  pg::save_link(f.conn, {"acme", "visma", "customer"}, linked(local_c, "R3"));
  pg::save_link(f.conn, {"other", "fortnox", "customer"},
                linked(local_c, "R4"));
  pg::save_link(f.conn, {"acme", "fortnox", "invoice"}, linked(local_c, "R5"));

  using map = std::map<std::string, std::string>;
  CHECK(pg::linked_remote_ids(f.conn, customers_fx) == map{{"R1", local_a}});
  CHECK(pg::local_ids_for_remote(f.conn, customers_fx,
                                 {"R1", "R2", "R3", "R4", "R5", "nope"})
        == map{{"R1", local_a}, {"R2", local_b}});
  CHECK(pg::local_ids_for_remote(f.conn, customers_fx, {}).empty());
  // Remote ids are data, not SQL or array syntax.
  CHECK(pg::local_ids_for_remote(f.conn, customers_fx, {"\"}'", "a,b", "{R1}"})
          .empty());
}
