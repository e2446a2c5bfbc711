// The dispatcher and job actors against a real PostgreSQL: jobs go through
// claim, job actor and batched completion, retries, wake-ups, drain and
// recovery of a crashed node's work.
#include "actors/dispatcher.hpp"
#include "adapters/pg/migrations.hpp"
#include "tests/support/actor_system_fixture.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/quiet_log.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace ledgerd;

namespace {

struct fixture : test::actor_system_fixture {
  test::quiet_log quiet;

  fixture() {
    pg::connection conn{db.conninfo()};
    pg::migrate(conn);
    pg::pool_options popts;
    popts.conninfo = db.conninfo();
    popts.max_size = 4;
    pool = std::make_shared<pg::pool>(popts);
    store = std::make_shared<pg::job_store>(pool, 5s);
    registry->add("noop",
                  [](caf::event_based_actor*, const job&, job_done done) {
                    done(job_result::success());
                  });
    registry->add(
      "flaky", [](caf::event_based_actor*, const job&, job_done done) {
        done(job_result::failure(state::job_error::network("reset")));
      });
    registry->add(
      "slow", [](caf::event_based_actor* self, const job&, job_done done) {
        self->delayed_send(self, 300ms, std::string{"done"});
        self->become(caf::keep_behavior, [done](const std::string&) {
          done(job_result::success());
        });
      });
    registry->add("hang", [](caf::event_based_actor*, const job&, job_done) {});
    // Saves progress, fails its first attempt, and on the second attempt
    // completes with what the first one saved.
    registry->add(
      "resume", [](caf::event_based_actor*, const job& j, job_done done) {
        if (j.attempt == 1) {
          done.progress(R"({"page":7})");
          done(job_result::failure(state::job_error::network("cut")));
        } else {
          done(job_result::success(R"({"resumed_from":)" + j.progress + "}"));
        }
      });
    opts.owner = "test-node";
    opts.concurrency = 16;
    opts.poll_interval = 50ms;
    opts.reap_interval = 50ms;
    auto runner = std::make_shared<job_runner_options>();
    runner->backoff.base = 10ms;
    runner->backoff.cap = 20ms;
    opts.runner = runner;
  }

  ~fixture() {
    for (auto& d : started)
      self->send_exit(d, caf::exit_reason::user_shutdown);
    for (auto& d : started)
      self->wait_for(d);
  }

  dispatcher_actor start() {
    auto d = sys.spawn<caf::detached>(
      dispatcher, store, std::shared_ptr<const job_registry>{registry}, opts);
    started.push_back(d);
    return d;
  }

  job_spec spec(std::string kind, int32_t max_attempts = 3) {
    job_spec s;
    s.tenant = "acme";
    s.provider = "fortnox";
    s.kind = std::move(kind);
    s.max_attempts = max_attempts;
    return s;
  }

  int64_t count(const std::string& state) {
    return store->count_by_state({})[state];
  }

  test::test_database db;
  std::shared_ptr<pg::pool> pool;
  std::shared_ptr<pg::job_store> store;
  std::shared_ptr<job_registry> registry = std::make_shared<job_registry>();
  dispatcher_options opts;
  std::vector<dispatcher_actor> started;
};

} // namespace

TEST_CASE_METHOD(fixture, "jobs run through claim, job actors and batched "
                          "completion") {
  std::vector<job_spec> specs(300, spec("noop"));
  store->enqueue_batch(specs, std::chrono::system_clock::now());
  auto d = start();
  CHECK(eventually([&] {
    return count("completed") == 300;
  }));
  CHECK(count("pending") == 0);
  CHECK(count("processing") == 0);
  // Every job went pending -> processing -> completed, with events.
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.job_events"
                       " WHERE to_state = 'completed'")
        == "300");
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.job_events"
                       " WHERE from_state = 'pending'"
                       " AND to_state = 'processing'")
        == "300");
  self->request(d, 5s, health_atom_v)
    .receive(
      [](const dispatcher_status& st) {
        CHECK(st.claimed == 300);
        CHECK(st.completed == 300);
        CHECK(st.running == 0);
      },
      [](caf::error& err) {
        FAIL(to_string(err));
      });
}

TEST_CASE_METHOD(fixture, "a failing job is retried with backoff until it "
                          "fails") {
  auto id
    = store->enqueue(spec("flaky", 3), std::chrono::system_clock::now()).id;
  start();
  REQUIRE(eventually([&] {
    return count("failed") == 1;
  }));
  auto rows = store->list({});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == id);
  CHECK(rows[0].attempt == 3);
  CHECK(rows[0].last_error == "network: reset");
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.job_events"
                       " WHERE from_state = 'processing'"
                       " AND to_state = 'pending'")
        == "2");
}

TEST_CASE_METHOD(fixture, "an unknown kind fails at once") {
  store->enqueue(spec("no-such-kind", 5), std::chrono::system_clock::now());
  start();
  REQUIRE(eventually([&] {
    return count("failed") == 1;
  }));
  auto rows = store->list({});
  CHECK(rows[0].attempt == 1);
  CHECK(rows[0].last_error == "unknown job kind 'no-such-kind'");
}

TEST_CASE_METHOD(fixture, "NOTIFY wakes the dispatcher before its poll") {
  opts.poll_interval = std::chrono::hours{1};
  opts.listen_conninfo = db.conninfo();
  start();
  // The first claim round at start found nothing; give the listener its
  // session, then enqueue: only the notification can start this job.
  std::this_thread::sleep_for(300ms);
  store->enqueue(spec("noop"), std::chrono::system_clock::now());
  CHECK(eventually(
    [&] {
      return count("completed") == 1;
    },
    20s));
}

TEST_CASE_METHOD(fixture, "drain waits for running jobs and their outcomes") {
  store->enqueue(spec("slow"), std::chrono::system_clock::now());
  auto d = start();
  REQUIRE(eventually([&] {
    return count("processing") == 1;
  }));
  bool in_time = false;
  self->request(d, 10s, drain_atom_v)
    .receive(
      [&](bool x) {
        in_time = x;
      },
      [](caf::error& err) {
        FAIL(to_string(err));
      });
  CHECK(in_time);
  // The outcome was written before the drain answered.
  CHECK(count("completed") == 1);
  // A drained dispatcher claims nothing new.
  store->enqueue(spec("noop"), std::chrono::system_clock::now());
  std::this_thread::sleep_for(300ms);
  CHECK(count("pending") == 1);
}

TEST_CASE_METHOD(fixture, "a crashed node's jobs are reaped and run again") {
  auto now = std::chrono::system_clock::now();
  store->enqueue(spec("noop"), now);
  // A node claims the job with a short lease and dies without a word.
  auto claimed = store->claim({"dead-node", 10, 4, 100ms, now});
  REQUIRE(claimed.size() == 1);
  std::this_thread::sleep_for(150ms);
  start();
  REQUIRE(eventually([&] {
    return count("completed") == 1;
  }));
  CHECK(db.query_value("SELECT attempt FROM ledgerd.jobs_done") == "2");
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.job_events"
                       " WHERE from_state = 'processing'"
                       " AND to_state = 'pending'")
        == "1");
}

TEST_CASE_METHOD(fixture, "retention prunes old completed jobs periodically") {
  auto long_ago
    = std::chrono::system_clock::now() - std::chrono::hours{24 * 10};
  store->enqueue(spec("noop"), long_ago);
  auto claimed = store->claim({"old-node", 10, 4, 60s, long_ago});
  REQUIRE(claimed.size() == 1);
  job_outcome done;
  done.id = claimed[0].id;
  done.lease_owner = "old-node";
  done.attempt = claimed[0].attempt;
  done.next_state = "completed";
  REQUIRE(store->finish({done}, long_ago).empty());
  store->enqueue(spec("noop"), std::chrono::system_clock::now());
  opts.prune_interval = 50ms;
  opts.retain_completed = std::chrono::hours{24 * 7};
  start();
  // The recent job completes and stays; the ten-day-old one is pruned.
  auto old_id = std::to_string(done.id);
  CHECK(eventually([&] {
    return db.query_value("SELECT count(*) FROM ledgerd.jobs_done WHERE id = "
                          + old_id)
             == "0"
           && count("completed") == 1;
  }));
  CHECK(db.query_value("SELECT count(*) FROM ledgerd.job_events WHERE job_id = "
                       + std::to_string(done.id))
        == "0");
}

TEST_CASE_METHOD(fixture, "a run past its deadline is timed out and retried") {
  store->enqueue(spec("hang", 2), std::chrono::system_clock::now());
  opts.job_timeout = 100ms;
  start();
  REQUIRE(eventually([&] {
    return count("failed") == 1;
  }));
  auto rows = store->list({});
  CHECK(rows[0].attempt == 2);
  CHECK(rows[0].last_error.find("timeout") == 0);
}

TEST_CASE_METHOD(fixture, "saved progress reaches the next attempt") {
  auto id
    = store->enqueue(spec("resume", 3), std::chrono::system_clock::now()).id;
  start();
  REQUIRE(eventually([&] {
    return count("completed") == 1;
  }));
  CHECK(db.query_value("SELECT progress::text FROM ledgerd.jobs_done"
                       " WHERE id = "
                       + std::to_string(id))
        == R"({"resumed_from": {"page": 7}})");
}

TEST_CASE_METHOD(fixture,
                 "a schema newer than this node stops claims until it is "
                 "known again") {
  auto newer = pg::known_schema_version() + 1;
  db.query_value("INSERT INTO ledgerd.schema_migrations (version, name, "
                 "checksum) VALUES ("
                 + std::to_string(newer)
                 + ", 'from_a_newer_node', 'x') "
                   "RETURNING version");
  {
    pg::connection conn{db.conninfo()};
    CHECK(pg::schema_mismatch(conn).find("newer than this node")
          != std::string::npos);
  }
  std::vector<job_spec> specs(5, spec("noop"));
  store->enqueue_batch(specs, std::chrono::system_clock::now());
  start();
  std::this_thread::sleep_for(500ms); // ten polls
  CHECK(count("pending") == 5);
  CHECK(count("completed") == 0);
  db.query_value("DELETE FROM ledgerd.schema_migrations WHERE version = "
                 + std::to_string(newer) + " RETURNING version");
  CHECK(eventually([&] {
    return count("completed") == 5;
  }));
}
