// Signed webhooks end to end: the ingest route on a real HTTP server, the
// inbox in PostgreSQL, the inbox relay and tenant actors, the simulator.
#include "actors/inbox_relay.hpp"
#include "actors/tenant.hpp"
#include "adapters/http/server.hpp"
#include "adapters/pg/inbox.hpp"
#include "adapters/webhooks/ingest.hpp"
#include "state/base64.hpp"
#include "state/webhook_signature.hpp"
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd;
using namespace ledgerd::test;
using nlohmann::json;

namespace {

const std::string old_secret = "whsec_" + state::base64_encode("old key 123");
const std::string new_secret = "whsec_" + state::base64_encode("new key 456");

fixture_options with_webhooks() {
  fixture_options opts;
  opts.acme_toml = "[tenants.webhooks]\nsecrets = [\"" + old_secret + "\", \""
                   + new_secret + "\"]\ntolerance = \"5m\"\n";
  return opts;
}

struct webhook_fixture : sync_fixture {
  std::unique_ptr<webhook_ingest> ingest;
  http::server server;
  std::vector<caf::actor> running;

  webhook_fixture()
    : sync_fixture(with_webhooks()) {
    webhook_ingest_options opts;
    opts.cfg = cfg;
    opts.db = pool;
    ingest = std::make_unique<webhook_ingest>(opts);
    ingest->add_routes(server);
    server.start();
  }

  ~webhook_fixture() {
    server.stop();
    for (auto& hdl : running)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    for (auto& hdl : running)
      self->wait_for(hdl);
  }

  /// Tenant actors and the inbox relay: stored events become pulls.
  void start_handling() {
    for (auto& c : tenant_children(env))
      running.push_back(c.start(sys));
    running.push_back(caf::actor_cast<caf::actor>(
      sys.spawn<caf::detached>(inbox_relay, env, inbox_relay_options{})));
  }

  http::client_result post(const std::string& path, const std::string& body,
                           const std::string& id, int64_t timestamp,
                           const std::string& signature) {
    http::client_request req;
    req.method = "POST";
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + path;
    req.body = body;
    req.headers = {{"Content-Type", "application/json"},
                   {"webhook-id", id},
                   {"webhook-timestamp", std::to_string(timestamp)},
                   {"webhook-signature", signature}};
    return client->send_sync(req);
  }

  /// A correctly signed webhook about `entity` `record_id`.
  http::client_result send(const std::string& id, const std::string& entity,
                           const std::string& record_id,
                           const std::string& secret = old_secret,
                           int64_t age_seconds = 0) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count()
               - age_seconds;
    auto body = json{{"type", entity + ".updated"},
                     {"timestamp", "2026-11-24T10:00:00Z"},
                     {"data", {{"entity", entity}, {"id", record_id}}}}
                  .dump();
    auto key = *state::webhook_key(secret);
    return post("/webhooks/fortnox/acme", body, id, now,
                state::webhook_sign(key, id, std::to_string(now), body));
  }

  int64_t inbox() {
    auto conn = pool->acquire(std::chrono::seconds{10});
    return pg::count_inbox(*conn);
  }
};

} // namespace

TEST_CASE("a webhook with a bad or stale signature gets 401 and stores "
          "nothing",
          "[webhooks]") {
  webhook_fixture f;
  auto wrong_key = "whsec_" + state::base64_encode("not the key");
  CHECK(f.send("m1", "customer", "1", wrong_key).status == 401);
  CHECK(f.send("m2", "customer", "1", old_secret, 600).status == 401);
  auto unsigned_req = f.post("/webhooks/fortnox/acme", "{}", "m3", 0, "");
  CHECK(unsigned_req.status == 401);
  CHECK(unsigned_req.body.find("missing") != std::string::npos);
  // A body changed after signing.
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  auto key = *state::webhook_key(old_secret);
  auto sig = state::webhook_sign(key, "m4", std::to_string(now), "{}");
  CHECK(f.post("/webhooks/fortnox/acme", "{ }", "m4", now, sig).status == 401);
  CHECK(f.inbox() == 0);
  // Unknown tenants and providers, and bodies that name no record.
  CHECK(f.post("/webhooks/fortnox/nobody", "{}", "m5", now, sig).status == 404);
  CHECK(f.post("/webhooks/visma/acme", "{}", "m6", now, sig).status == 404);
  auto no_id
    = json{{"type", "invoice.updated"}, {"data", json::object()}}.dump();
  auto res = f.post("/webhooks/fortnox/acme", no_id, "m7", now,
                    state::webhook_sign(key, "m7", std::to_string(now), no_id));
  CHECK(res.status == 400);
  CHECK(res.body.find("data.id") != std::string::npos);
  CHECK(f.inbox() == 0);
}

TEST_CASE("a webhook is stored and answered 202 before any provider call "
          "and a replay changes nothing",
          "[webhooks]") {
  webhook_fixture f;
  f.seed("fortnox", "acme", 2, 0);
  f.pull("acme", "fortnox", "customer");
  f.settle();
  auto id = f.remote("fortnox", "acme", "customers").at(0).at("id");
  f.admin("PUT", "/sim/tenants/fortnox/acme/customers/" + id.get<std::string>(),
          {{"Email", "hooked@example.se"}});
  auto calls = f.stats().value("requests_total", int64_t{0});
  // Nothing handles stored events yet: the 202 cannot wait for a pull.
  auto res = f.send("evt-1", "customer", id);
  CHECK(res.status == 202);
  CHECK(json::parse(res.body).at("stored") == true);
  CHECK(f.inbox() == 1);
  CHECK(f.stats().value("requests_total", int64_t{0}) == calls);
  // Either secret of a rotation is accepted; a replay is stored once.
  CHECK(f.send("evt-1", "customer", id, new_secret).status == 202);
  CHECK(f.inbox() == 1);
  f.start_handling();
  auto email = [&] {
    return f.sql("SELECT coalesce(c.email, '') FROM ledger.customers c JOIN "
                 "ledgerd.links l ON l.local_id = c.id::text WHERE "
                 "l.entity = 'customer' AND l.remote_id = '"
                 + id.get<std::string>() + "'");
  };
  CHECK(actor_system_fixture::eventually(
    [&] {
      return email() == "hooked@example.se";
    },
    std::chrono::seconds{60}));
  auto pulls = "SELECT count(*) FROM (SELECT payload, priority FROM "
               "ledgerd.jobs UNION ALL SELECT payload, priority FROM "
               "ledgerd.jobs_done) j WHERE priority = 2 AND "
               "payload->'remote_ids' = '[\""
               + id.get<std::string>() + "\"]'";
  CHECK(actor_system_fixture::eventually(
    [&] {
      return f.sql("SELECT count(*) FROM ledgerd.inbox WHERE processed_at IS "
                   "NULL")
             == "0";
    },
    std::chrono::seconds{30}));
  CHECK(f.sql(pulls) == "1");
  // Redelivered after handling: 202, nothing new.
  CHECK(f.send("evt-1", "customer", id).status == 202);
  std::this_thread::sleep_for(std::chrono::seconds{1});
  CHECK(f.sql(pulls) == "1");
  CHECK(f.inbox() == 1);
}
