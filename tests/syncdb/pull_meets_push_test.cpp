// A pull and a push meeting on one record they both link (actors/
// record_sync's apply_remote against a real database, two sessions).
#include "actors/record_sync.hpp"
#include "tests/syncdb/syncdb_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <thread>

using namespace ledgerd;
using namespace ledgerd::test;
using nlohmann::json;

namespace {

/// The provider's customer as a pull reads it: it carries our reference.
provider_record remote_customer(const std::string& remote_id,
                                const std::string& local_id) {
  provider_record rec;
  rec.remote_id = remote_id;
  rec.version = "v1";
  rec.canonical = json{{"name", "Möte AB"},
                       {"email", "mote@example.se"},
                       {"currency", "SEK"},
                       {"active", true},
                       {"customer_number", remote_id},
                       {"external_ref", local_id}}
                    .dump();
  return rec;
}

/// Waits until a session of this test's database waits for a lock (at
/// most 10 s; other tests share the cluster).
bool someone_waits_for_a_lock(const syncdb_fixture& f) {
  for (int i = 0; i < 1000; ++i) {
    if (f.count("SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()")
        > 0)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return false;
}

} // namespace

TEST_CASE("a pull that meets a push linking the same record merges into "
          "the push's link") {
  // Found by scripts/soak: the pull found no link by the remote id, the
  // push committed its link while the pull waited for that row, and the
  // pull created a second local record for the remote one (a unique
  // violation, and the pull failed for good).
  syncdb_fixture f;
  for (int i = 0; i < 50; ++i) // others linked already
    f.link(customers_fx, f.app_customer("acme", "Kund " + std::to_string(i)),
           std::to_string(i + 1));
  auto local = f.app_customer("acme", "Möte AB");
  pg::mark_in_doubt(f.conn, customers_fx, local,
                    json{{"name", "Möte AB"}, {"external_ref", local}});

  // The push: its answer came, it links the record (not committed yet).
  pg::connection push{f.db.conninfo()};
  pg::transaction push_tx{push};
  pg::link_row linked;
  linked.local_id = local;
  linked.remote_id = "54";
  linked.base = json{{"name", "Möte AB"}, {"external_ref", local}};
  linked.status = "linked";
  pg::save_link(push, customers_fx, linked);

  // The pull of the same record, from the provider's event.
  std::optional<applied_record> applied;
  std::exception_ptr failure;
  std::thread pull{[&] {
    try {
      pg::connection conn{f.db.conninfo()};
      pg::transaction tx{conn};
      record_context ctx{customers_fx, {}, {}};
      applied = apply_remote(conn, ctx, remote_customer("54", local));
      tx.commit();
    } catch (...) {
      failure = std::current_exception();
    }
  }};
  bool waited = someone_waits_for_a_lock(f);
  push_tx.commit();
  pull.join();
  REQUIRE(waited);
  if (failure)
    std::rethrow_exception(failure);
  REQUIRE(applied);
  CHECK(applied->local_id == local);
  CHECK(applied->outcome != apply_outcome::created);
  CHECK(f.count("SELECT count(*) FROM ledgerd.links WHERE remote_id = '54'")
        == 1);
  CHECK(f.count("SELECT count(*) FROM ledger.customers") == 51);
}
