// Tests of the event stream actor (actors/event_stream.hpp) against the fake
// Topics server, a fake token service, a test sink and a real PostgreSQL
// (ledgerd.stream_offsets). Real threads: waits are bounded polls on
// outcomes, never on durations.
#include "actors/event_stream.hpp"
#include "adapters/pg/migrations.hpp"
#include "tests/events/fake_topics_server.hpp"
#include "tests/support/actor_system_fixture.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/quiet_log.hpp"

#include <catch2/catch.hpp>

#include <mutex>
#include <set>

using namespace ledgerd;
using namespace std::chrono_literals;

namespace {

// -- test sink ----------------------------------------------------------------

/// What the sink saw; shared with the test thread.
struct sink_record {
  std::mutex mtx;
  /// Every event received, answered or not.
  std::vector<provider_event> received;
  /// Events answered true.
  std::vector<provider_event> accepted;
  /// Offsets whose answer waits for a release.
  std::set<std::string> hold;
  /// Offsets answered false the first time.
  std::set<std::string> refuse_once;

  std::vector<std::string> offsets(bool only_accepted) {
    std::lock_guard g{mtx};
    std::vector<std::string> out;
    for (const auto& ev : only_accepted ? accepted : received)
      out.push_back(ev.topic + "/" + ev.offset);
    return out;
  }

  size_t count(bool only_accepted) {
    std::lock_guard g{mtx};
    return only_accepted ? accepted.size() : received.size();
  }
};

/// The sink plus a release of held answers (ok_atom, offset).
using test_sink_actor
  = event_sink_actor::extend<caf::reacts_to<caf::ok_atom, std::string>>;

struct sink_state {
  std::shared_ptr<sink_record> rec;
  std::map<std::string,
           std::pair<provider_event, caf::typed_response_promise<bool>>>
    held;
};

test_sink_actor::behavior_type
test_sink(test_sink_actor::stateful_pointer<sink_state> self,
          std::shared_ptr<sink_record> rec) {
  self->state.rec = std::move(rec);
  return {
    [self](provider_event& ev) -> caf::result<bool> {
      auto& r = *self->state.rec;
      std::lock_guard g{r.mtx};
      r.received.push_back(ev);
      if (r.refuse_once.erase(ev.offset) > 0)
        return false;
      if (r.hold.count(ev.offset) > 0) {
        auto p = self->make_response_promise<bool>();
        self->state.held[ev.offset] = {ev, p};
        return p;
      }
      r.accepted.push_back(ev);
      return true;
    },
    [self](caf::ok_atom, const std::string& offset) {
      auto i = self->state.held.find(offset);
      if (i == self->state.held.end())
        return;
      {
        auto& r = *self->state.rec;
        std::lock_guard g{r.mtx};
        r.accepted.push_back(i->second.first);
        r.hold.erase(offset);
      }
      i->second.second.deliver(true);
      self->state.held.erase(i);
    },
  };
}

// -- fake token service -------------------------------------------------------

struct token_log {
  std::mutex mtx;
  std::vector<token_request> requests;
};

/// Tenant t gets token "tok-t" at version 7.
token_service_actor::behavior_type fake_tokens(std::shared_ptr<token_log> log) {
  return {
    [log](token_request& req) {
      {
        std::lock_guard g{log->mtx};
        log->requests.push_back(req);
      }
      token_update up;
      up.access_token = "tok-" + req.tenant;
      up.version = 7;
      up.expires_at = caf::make_timestamp() + std::chrono::hours{1};
      return up;
    },
    [](drain_atom) {
      return true;
    },
  };
}

// -- fixture ------------------------------------------------------------------

struct stream_fixture : test::actor_system_fixture {
  test::quiet_log quiet;
  test::test_database db;
  std::shared_ptr<pg::offset_store> offsets;
  std::shared_ptr<sink_record> sink_rec = std::make_shared<sink_record>();
  std::shared_ptr<token_log> tokens_log = std::make_shared<token_log>();
  test_sink_actor sink;
  token_service_actor tokens;
  event_stream_actor stream;

  stream_fixture() {
    pg::connection conn{db.conninfo()};
    pg::migrate(conn);
    pg::pool_options po;
    po.conninfo = db.conninfo();
    po.max_size = 2;
    offsets
      = std::make_shared<pg::offset_store>(std::make_shared<pg::pool>(po));
    sink = sys.spawn(test_sink, sink_rec);
    tokens = sys.spawn(fake_tokens, tokens_log);
  }

  ~stream_fixture() {
    for (auto hdl : {caf::actor_cast<caf::actor>(stream),
                     caf::actor_cast<caf::actor>(sink),
                     caf::actor_cast<caf::actor>(tokens)}) {
      if (!hdl)
        continue;
      self->send_exit(hdl, caf::exit_reason::user_shutdown);
      self->wait_for(hdl);
    }
  }

  void start(const std::string& url, std::vector<std::string> tenants,
             caf::timespan command_timeout = 10s) {
    event_stream_options opts;
    opts.stream_key = "fortnox:test";
    opts.url = url;
    opts.client_secret = "secret";
    opts.tenants = std::move(tenants);
    opts.tokens = tokens;
    opts.sink = caf::actor_cast<event_sink_actor>(sink);
    opts.offsets = offsets;
    opts.backoff.base = 20ms;
    opts.backoff.cap = 100ms;
    opts.socket.connect_timeout = 2s;
    opts.sink_timeout = 10s;
    opts.command_timeout = command_timeout;
    stream = sys.spawn<caf::detached>(event_stream, opts);
  }

  event_stream_status status() {
    event_stream_status out;
    self->request(stream, 5s, caf::get_atom_v)
      .receive(
        [&](event_stream_status& s) {
          out = std::move(s);
        },
        [&](caf::error& err) {
          FAIL(sys.render(err));
        });
    return out;
  }

  std::string committed(const std::string& topic) {
    return db.query_value("SELECT last_offset FROM ledgerd.stream_offsets"
                          " WHERE provider = 'fortnox:test' AND topic = '"
                          + topic + "'");
  }
};

using strings = std::vector<std::string>;

} // namespace

TEST_CASE_METHOD(stream_fixture,
                 "events reach the sink once each across a forced disconnect") {
  // gamma's token is unknown to the server: rejected, then asked for again.
  test::fake_topics_server srv{{{"tok-acme", 111}, {"tok-beta", 222}}};
  start(srv.url(), {"acme", "beta", "gamma"});
  REQUIRE(eventually([&] {
    return srv.subscriptions() == 1;
  }));
  CHECK(
    srv.topic_requests().at(0)
    == std::map<std::string, std::string>{{"customers", ""}, {"invoices", ""}});
  srv.publish("invoices", "i1", 111, "1001");
  srv.publish("invoices", "i2", 222, "1002");
  srv.redeliver("invoices", "i1");
  srv.publish("customers", "c1", 111, "7", "customer-updated-v2");
  REQUIRE(eventually([&] {
    return sink_rec->count(true) == 3;
  }));
  REQUIRE(eventually([&] {
    return committed("invoices") == "i2" && committed("customers") == "c1";
  }));
  {
    std::lock_guard g{sink_rec->mtx};
    auto& first = sink_rec->accepted.at(0);
    CHECK(first.provider == "fortnox");
    CHECK(first.tenant == "acme");
    CHECK(first.topic == "invoices");
    CHECK(first.entity_id == "1001");
    CHECK(first.type == "invoice-updated-v1");
    CHECK(sink_rec->accepted.at(1).tenant == "beta");
  }
  srv.drop();
  REQUIRE(eventually([&] {
    return srv.subscriptions() == 2;
  }));
  // The new subscription resumes after the committed offsets.
  CHECK(srv.topic_requests().at(1)
        == std::map<std::string, std::string>{{"customers", "c1"},
                                              {"invoices", "i2"}});
  // At-least-once: old events come again; only the new one is handled.
  srv.redeliver("invoices", "i1");
  srv.redeliver("invoices", "i2");
  srv.publish("invoices", "i3", 222, "1003");
  REQUIRE(eventually([&] {
    return sink_rec->count(true) == 4;
  }));
  CHECK(
    sink_rec->offsets(false)
    == strings{"invoices/i1", "invoices/i2", "customers/c1", "invoices/i3"});
  REQUIRE(eventually([&] {
    return committed("invoices") == "i3";
  }));
  auto st = status();
  CHECK(st.state == "subscribed");
  CHECK(st.connects == 2);
  CHECK(st.events == 4);
  CHECK(st.duplicates == 3);
  CHECK(st.tenants == strings{"acme", "beta"});
  CHECK(st.offsets
        == std::map<std::string, std::string>{{"customers", "c1"},
                                              {"invoices", "i3"}});
  // gamma's rejected token version was reported stale at the reconnect.
  std::lock_guard g{tokens_log->mtx};
  auto stale = std::count_if(
    tokens_log->requests.begin(), tokens_log->requests.end(), [](auto& r) {
      return r.tenant == "gamma" && r.stale_version == 7;
    });
  CHECK(stale == 1);
}

TEST_CASE_METHOD(stream_fixture,
                 "an offset is committed only after every earlier event of "
                 "its topic was handled") {
  test::fake_topics_server srv{{{"tok-acme", 111}}};
  sink_rec->hold.insert("i2");
  start(srv.url(), {"acme"});
  REQUIRE(eventually([&] {
    return srv.subscriptions() == 1;
  }));
  srv.publish("invoices", "i1", 111, "1");
  srv.publish("invoices", "i2", 111, "2");
  srv.publish("invoices", "i3", 111, "3");
  srv.publish("customers", "c1", 111, "9");
  REQUIRE(eventually([&] {
    return sink_rec->count(false) == 4;
  }));
  REQUIRE(eventually([&] {
    return committed("customers") == "c1";
  }));
  // i3 was handled, but i2 is still unanswered: only i1 counts.
  CHECK(committed("invoices") == "i1");
  CHECK(status().offsets.at("invoices") == "i1");
  self->send(sink, caf::ok_atom_v, std::string{"i2"});
  REQUIRE(eventually([&] {
    return committed("invoices") == "i3";
  }));
}

TEST_CASE_METHOD(stream_fixture,
                 "a refused event is replayed from the last committed offset") {
  test::fake_topics_server srv{{{"tok-acme", 111}}};
  sink_rec->refuse_once.insert("i2");
  start(srv.url(), {"acme"});
  REQUIRE(eventually([&] {
    return srv.subscriptions() == 1;
  }));
  srv.publish("invoices", "i1", 111, "1");
  REQUIRE(eventually([&] {
    return committed("invoices") == "i1";
  }));
  srv.publish("invoices", "i2", 111, "2");
  srv.publish("invoices", "i3", 111, "3");
  REQUIRE(eventually([&] {
    return srv.subscriptions() == 2;
  }));
  CHECK(srv.topic_requests().at(1).at("invoices") == "i1");
  REQUIRE(eventually([&] {
    return committed("invoices") == "i3";
  }));
  auto accepted = sink_rec->offsets(true);
  CHECK(std::count(accepted.begin(), accepted.end(), "invoices/i2") == 1);
  CHECK(std::count(accepted.begin(), accepted.end(), "invoices/i1") == 1);
}

TEST_CASE_METHOD(stream_fixture,
                 "the stream resumes from offsets stored by an earlier run") {
  offsets->commit("fortnox:test", "invoices", {"i2", 2});
  test::fake_topics_server srv{{{"tok-acme", 111}}};
  srv.publish("invoices", "i1", 111, "1");
  srv.publish("invoices", "i2", 111, "2");
  srv.publish("invoices", "i3", 111, "3");
  start(srv.url(), {"acme"});
  REQUIRE(eventually([&] {
    return sink_rec->count(true) == 1;
  }));
  CHECK(srv.topic_requests().at(0).at("invoices") == "i2");
  CHECK(sink_rec->offsets(true) == strings{"invoices/i3"});
  REQUIRE(eventually([&] {
    return committed("invoices") == "i3";
  }));
}

TEST_CASE_METHOD(stream_fixture,
                 "a lagging stream never moves a stored offset back") {
  offsets->commit("fortnox:test", "invoices", {"i2", 2});
  test::fake_topics_server srv{{{"tok-acme", 111}}};
  srv.publish("invoices", "i1", 111, "1");
  srv.publish("invoices", "i2", 111, "2");
  start(srv.url(), {"acme"});
  REQUIRE(eventually([&] {
    return srv.subscriptions() == 1;
  }));
  // Another node's stream of this key got further meanwhile.
  offsets->commit("fortnox:test", "invoices", {"i7", 7});
  srv.publish("invoices", "i3", 111, "3");
  srv.publish("invoices", "i4", 111, "4");
  REQUIRE(eventually([&] {
    return sink_rec->count(true) == 2;
  }));
  // Handled (pulls are idempotent), but i3 and i4 are older than i7: kept.
  REQUIRE(eventually([&] {
    return status().stale_commits >= 1;
  }));
  CHECK(committed("invoices") == "i7");
  CHECK(offsets->load("fortnox:test").at("invoices")
        == pg::stream_position{"i7", 7});
  // The store itself refuses any commit not past what it holds.
  CHECK_FALSE(offsets->commit("fortnox:test", "invoices", {"i6", 6}));
  CHECK_FALSE(offsets->commit("fortnox:test", "invoices", {"i7b", 7}));
  CHECK(offsets->commit("fortnox:test", "invoices", {"i8", 8}));
  CHECK(committed("invoices") == "i8");
}

TEST_CASE_METHOD(stream_fixture,
                 "a replay that repeats the committed event does not hand it "
                 "on again") {
  offsets->commit("fortnox:test", "invoices", {"i2", 2});
  test::fake_topics_server srv{{{"tok-acme", 111}}};
  start(srv.url(), {"acme"});
  REQUIRE(eventually([&] {
    return srv.subscriptions() == 1;
  }));
  // A server whose replay includes the offset it was given.
  srv.publish("invoices", "i2", 111, "2");
  srv.publish("invoices", "i3", 111, "3");
  REQUIRE(eventually([&] {
    return committed("invoices") == "i3";
  }));
  CHECK(sink_rec->offsets(true) == strings{"invoices/i3"});
  CHECK(offsets->load("fortnox:test").at("invoices")
        == pg::stream_position{"i3", 3});
}

TEST_CASE_METHOD(stream_fixture,
                 "a refused subscription is retried with backoff") {
  test::fake_topics_server srv{{{"tok-acme", 111}}};
  srv.set_subscribe_result("error");
  start(srv.url(), {"acme"});
  REQUIRE(eventually([&] {
    return srv.connections() >= 2;
  }));
  CHECK(status().last_error.find("subscribe-v1 failed") == 0);
  srv.set_subscribe_result("ok");
  REQUIRE(eventually([&] {
    return srv.subscriptions() == 1;
  }));
  REQUIRE(eventually([&] {
    return status().state == "subscribed";
  }));
}

TEST_CASE_METHOD(stream_fixture, "an unanswered command ends the connection") {
  test::fake_topics_server srv{{{"tok-acme", 111}}};
  srv.ignore_command("subscribe-v1");
  start(srv.url(), {"acme"}, 200ms);
  REQUIRE(eventually([&] {
    return srv.connections() >= 2;
  }));
  auto err = status().last_error;
  INFO(err);
  CHECK(err.find("no answer") == 0);
  srv.ignore_command("");
  REQUIRE(eventually([&] {
    return srv.subscriptions() == 1;
  }));
}

TEST_CASE_METHOD(stream_fixture,
                 "drain waits for events at the sink and commits them") {
  test::fake_topics_server srv{{{"tok-acme", 111}}};
  sink_rec->hold.insert("i1");
  start(srv.url(), {"acme"});
  REQUIRE(eventually([&] {
    return srv.subscriptions() == 1;
  }));
  srv.publish("invoices", "i1", 111, "1");
  REQUIRE(eventually([&] {
    return sink_rec->count(false) == 1;
  }));
  auto answered = std::make_shared<std::atomic<int>>(0);
  auto drainer
    = sys.spawn([stream = stream, answered](caf::event_based_actor* a) {
        a->request(stream, 10s, drain_atom_v).then([answered](bool ok) {
          *answered = ok ? 1 : 2;
        });
      });
  // The drain is not answered while i1 is at the sink.
  REQUIRE(eventually([&] {
    return status().state == "stopped";
  }));
  CHECK(*answered == 0);
  self->send(sink, caf::ok_atom_v, std::string{"i1"});
  REQUIRE(eventually([&] {
    return *answered == 1;
  }));
  CHECK(committed("invoices") == "i1");
  CHECK(srv.subscriptions() == 1);
}

TEST_CASE("event streams are one per client among enabled Fortnox "
          "connections") {
  config::node_config cfg;
  auto tenant
    = [&](std::string id, std::string url, std::string client, bool enabled) {
        config::tenant_config t;
        t.id = std::move(id);
        config::connection_config c;
        c.websocket_url = std::move(url);
        c.client_id = std::move(client);
        c.client_secret = "s-" + c.client_id;
        c.enabled = enabled;
        t.connections.push_back(c);
        cfg.tenants.push_back(std::move(t));
      };
  tenant("a", "ws://h/topics", "c1", true);
  tenant("b", "ws://h/topics", "c1", true);
  tenant("c", "ws://h/topics", "c2", true);
  tenant("d", "ws://h/topics", "c1", false);
  tenant("e", "", "c1", true);
  auto streams = event_streams_of(cfg);
  REQUIRE(streams.size() == 2);
  CHECK(streams[0].stream_key == "fortnox:c1");
  CHECK(streams[0].client_secret == "s-c1");
  CHECK(streams[0].tenants == std::vector<std::string>{"a", "b"});
  CHECK(streams[1].stream_key == "fortnox:c2");
  CHECK(streams[1].tenants == std::vector<std::string>{"c"});
}
