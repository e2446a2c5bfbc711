// The Fortnox event stream against the simulator's Topics WebSocket: every
// change arrives once, also across a forced reconnect, and offsets are
// committed once handled.
#include "actors/event_stream.hpp"
#include "adapters/pg/offset_store.hpp"
#include "tests/integration/provider_fixture.hpp"
#include "tests/support/quiet_log.hpp"

#include <mutex>

using namespace ledgerd;
using namespace ledgerd::test;

namespace {

/// Collects events; answers true (handled).
struct received {
  std::mutex mtx;
  std::vector<provider_event> events;

  size_t size() {
    std::lock_guard guard{mtx};
    return events.size();
  }
};

event_sink_actor::behavior_type collecting_sink(std::shared_ptr<received> r) {
  return {
    [r](provider_event& ev) {
      std::lock_guard guard{r->mtx};
      r->events.push_back(std::move(ev));
      return true;
    },
  };
}

struct stream_fixture : provider_fixture {
  std::shared_ptr<received> seen = std::make_shared<received>();
  event_stream_actor stream;

  void start_stream() {
    auto all = event_streams_of(*cfg);
    REQUIRE(all.size() == 1);
    auto opts = all.front();
    opts.tokens = dir->get<token_service_actor>(token_service_name);
    opts.sink = sys.spawn(collecting_sink, seen);
    opts.offsets = std::make_shared<pg::offset_store>(pool);
    opts.backoff.base = std::chrono::milliseconds{50};
    opts.backoff.cap = std::chrono::milliseconds{200};
    stream = sys.spawn<caf::detached>(event_stream, opts);
    REQUIRE(eventually([&] {
      return state() == "subscribed";
    }));
  }

  std::string state() {
    std::string out;
    self->request(stream, std::chrono::seconds{10}, caf::get_atom_v)
      .receive(
        [&](event_stream_status& s) {
          out = s.state;
        },
        [&](caf::error&) {});
    return out;
  }

  void touch_customer(const std::string& number, const std::string& name) {
    admin("PUT", "/sim/tenants/fortnox/acme/customers/" + number,
          {{"Name", name}});
  }

  ~stream_fixture() {
    caf::anon_send_exit(stream, caf::exit_reason::user_shutdown);
    self->wait_for(stream);
  }
};

} // namespace

TEST_CASE("Fortnox events arrive once each across a forced reconnect") {
  quiet_log quiet;
  stream_fixture f;
  f.seed("fortnox", "acme", 5, 0);
  f.start_stream();
  f.touch_customer("1", "Ett AB");
  f.touch_customer("2", "Två AB");
  REQUIRE(f.eventually([&] {
    return f.seen->size() == 2;
  }));
  f.admin("POST", "/sim/faults", {{"websocket_disconnect", true}});
  f.touch_customer("3", "Tre AB"); // while disconnected or just after
  REQUIRE(f.eventually([&] {
    return f.seen->size() >= 3;
  }));
  REQUIRE(f.eventually([&] {
    return f.state() == "subscribed";
  }));
  f.touch_customer("4", "Fyra AB");
  REQUIRE(f.eventually([&] {
    return f.seen->size() >= 4;
  }));
  // Give a replayed duplicate the chance to show up before counting.
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  std::lock_guard guard{f.seen->mtx};
  std::set<std::pair<std::string, std::string>> unique;
  std::set<std::string> entities;
  for (const auto& ev : f.seen->events) {
    CHECK(ev.tenant == "acme");
    CHECK(ev.topic == "customers");
    CHECK(ev.type == "customer-updated-v2");
    unique.emplace(ev.topic, ev.offset);
    entities.insert(ev.entity_id);
  }
  CHECK(f.seen->events.size() == 4);
  CHECK(unique.size() == 4);
  CHECK(entities == std::set<std::string>{"1", "2", "3", "4"});
  // The last handled offset is committed.
  auto committed = f.db.query_value(
    "SELECT last_offset FROM ledgerd.stream_offsets WHERE topic = 'customers'");
  CHECK(committed == f.seen->events.back().offset);
}
