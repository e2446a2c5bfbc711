// Every route of the /v1 admin API and /readyz over loopback HTTP, with
// each error status: 401, 400 naming the field, 404, 409, 413.
#include "actors/connections.hpp"
#include "adapters/pg/conflict_table.hpp"
#include "adapters/pg/cursor_table.hpp"
#include "adapters/pg/link_table.hpp"
#include "tests/api/api_fixture.hpp"

#include <set>
#include <tuple>

using namespace ledgerd;
using namespace std::chrono_literals;
using ledgerd::test::api_fixture;
using ledgerd::test::api_options;
using nlohmann::json;

namespace {

/// Opens a conflict on `field` of customer `local_id` of `tenant`.
int64_t open_conflict(api_fixture& f, const std::string& tenant,
                      const std::string& local_id, const std::string& field) {
  auto conn = f.pool->acquire(10s);
  return pg::open_conflict(
    *conn, {tenant, tenant == "acme" ? "fortnox" : "visma", "customer"},
    local_id, "R-" + local_id, field, json("base"), json("local"),
    json("remote"));
}

std::vector<int64_t> ids_of(const json& jobs) {
  std::vector<int64_t> out;
  for (const auto& j : jobs)
    out.push_back(j.at("id").get<int64_t>());
  return out;
}

} // namespace

// -- auth ---------------------------------------------------------------------

TEST_CASE("bearer tokens are compared whole and the scheme is bearer") {
  std::vector<std::string> tokens{"abc123", "other"};
  CHECK(bearer_authorized("Bearer abc123", tokens));
  CHECK(bearer_authorized("bearer other", tokens));
  CHECK(bearer_authorized("BEARER  abc123 ", tokens));
  CHECK_FALSE(bearer_authorized("Bearer abc12", tokens));
  CHECK_FALSE(bearer_authorized("Bearer abc1234", tokens));
  CHECK_FALSE(bearer_authorized("Bearer ABC123", tokens));
  CHECK_FALSE(bearer_authorized("Basic abc123", tokens));
  CHECK_FALSE(bearer_authorized("abc123", tokens));
  CHECK_FALSE(bearer_authorized("Bearer ", tokens));
  CHECK_FALSE(bearer_authorized("", tokens));
  CHECK_FALSE(bearer_authorized("Bearer abc123", {}));
}

TEST_CASE_METHOD(api_fixture,
                 "v1 routes answer 401 without the right bearer token") {
  for (auto [method, target] : std::vector<std::pair<std::string, std::string>>{
         {"POST", "/v1/tenants/acme/sync"},
         {"GET", "/v1/tenants"},
         {"GET", "/v1/batches/1"},
         {"POST", "/v1/batches/1/retry-failed"},
         {"GET", "/v1/jobs"},
         {"POST", "/v1/jobs/1/retry"},
         {"POST", "/v1/jobs/1/cancel"},
         {"GET", "/v1/conflicts"},
         {"POST", "/v1/conflicts/1/resolve"},
         {"GET", "/v1/records/read-only"}}) {
    INFO(method << " " << target);
    for (const auto& auth :
         {std::string{}, std::string{"Bearer wrong"},
          std::string{"Bearer s3cret-tokenX"}, std::string{"Basic s3cret"}}) {
      auto r = send(method, target, "", auth);
      CHECK(r.status == 401);
      CHECK(r.body == json{{"error", "unauthorized"}});
      CHECK(r.headers["www-authenticate"] == "Bearer");
    }
  }
  // Nothing was done by any of them.
  CHECK(count("SELECT count(*) FROM ledgerd.batches") == 0);
  // Both configured tokens work.
  CHECK(call("GET", "/v1/jobs").status == 200);
  token = "second-token";
  CHECK(call("GET", "/v1/jobs").status == 200);
}

TEST_CASE("with no tokens configured the v1 routes are closed") {
  api_options opts;
  opts.tokens.clear();
  api_fixture f{opts};
  CHECK(f.call("GET", "/v1/jobs").status == 401);
  CHECK(f.send("GET", "/v1/tenants", "", "Bearer ").status == 401);
  CHECK(f.call("POST", "/v1/tenants/acme/sync", json::object()).status == 401);
  CHECK(f.count("SELECT count(*) FROM ledgerd.batches") == 0);
}

TEST_CASE_METHOD(api_fixture, "unknown routes answer 404 and wrong methods "
                              "405") {
  CHECK(call("GET", "/v1/nothing").status == 404);
  CHECK(call("GET", "/v1/jobs/1/retry").status == 405);
  CHECK(call("DELETE", "/v1/tenants").status == 405);
}

// -- POST /v1/tenants/{t}/sync ------------------------------------------------

TEST_CASE_METHOD(api_fixture,
                 "a manual sync takes a pending poll of the same entity into "
                 "its batch") {
  // A poll is waiting: the manual request raises it instead of a twin.
  job_spec poll;
  poll.tenant = "acme";
  poll.provider = "fortnox";
  poll.kind = "pull";
  poll.payload = R"({"entity": "customer"})";
  poll.priority = 1;
  poll.dedup_key = pull_key("acme", "fortnox", "customer");
  auto existing = env->jobs->enqueue(poll, std::chrono::system_clock::now());
  auto r = call("POST", "/v1/tenants/acme/sync",
                {{"entity", "customer"}, {"provider", "fortnox"}});
  REQUIRE(r.status == 202);
  auto batch = r.body.at("batch_id").get<int64_t>();
  auto b = call("GET", "/v1/batches/" + std::to_string(batch));
  CHECK(b.body["total"] == 1);
  CHECK(b.body["state"] == "running");
  auto jobs = call("GET", "/v1/jobs?batch_id=" + std::to_string(batch));
  REQUIRE(jobs.body["jobs"].size() == 1);
  CHECK(jobs.body["jobs"][0]["id"] == existing.id);
  CHECK(jobs.body["jobs"][0]["priority"] == 3);
  CHECK(count("SELECT count(*) FROM ledgerd.jobs") == 1);
}

TEST_CASE_METHOD(api_fixture,
                 "a manual sync creates a batch of manual priority pull jobs") {
  auto r = call("POST", "/v1/tenants/acme/sync", {{"entity", "customer"}});
  REQUIRE(r.status == 202);
  auto batch = r.body.at("batch_id").get<int64_t>();
  auto jobs = call("GET", "/v1/jobs?batch_id=" + std::to_string(batch));
  REQUIRE(jobs.status == 200);
  REQUIRE(jobs.body["jobs"].size() == 1);
  const auto& j = jobs.body["jobs"][0];
  CHECK(j["kind"] == "pull");
  CHECK(j["priority"] == 3);
  CHECK(j["tenant"] == "acme");
  CHECK(j["provider"] == "fortnox");
  CHECK(j["state"] == "pending");
  CHECK(j["payload"]["entity"] == "customer");
  auto b = call("GET", "/v1/batches/" + std::to_string(batch));
  REQUIRE(b.status == 200);
  CHECK(b.body["tenant"] == "acme");
  CHECK(b.body["kind"] == "manual_sync");
  CHECK(b.body["total"] == 1);
  CHECK(b.body["state"] == "running");
  CHECK(b.body["failures"] == json::array());

  SECTION("without a body every entity of every connection") {
    auto all = call("POST", "/v1/tenants/nordvik/sync");
    REQUIRE(all.status == 202);
    auto id = all.body["batch_id"].get<int64_t>();
    auto listed = call("GET", "/v1/jobs?batch_id=" + std::to_string(id));
    std::set<std::string> entities;
    for (const auto& x : listed.body["jobs"]) {
      CHECK(x["priority"] == 3);
      CHECK(x["provider"] == "visma");
      entities.insert(x["payload"]["entity"].get<std::string>());
    }
    CHECK(entities == std::set<std::string>{"customer", "invoice"});
  }
  SECTION("named records and reconciliation") {
    auto named = call(
      "POST", "/v1/tenants/acme/sync",
      {{"entity", "invoice"}, {"provider", "fortnox"}, {"ids", {"17", "18"}}});
    REQUIRE(named.status == 202);
    auto listed
      = call("GET", "/v1/jobs?batch_id="
                      + std::to_string(named.body["batch_id"].get<int64_t>()));
    REQUIRE(listed.body["jobs"].size() == 1);
    CHECK(listed.body["jobs"][0]["payload"]["remote_ids"] == json{"17", "18"});
    auto rec = call("POST", "/v1/tenants/acme/sync",
                    {{"entity", "invoice"}, {"reconcile", true}});
    REQUIRE(rec.status == 202);
    auto rec_jobs
      = call("GET", "/v1/jobs?batch_id="
                      + std::to_string(rec.body["batch_id"].get<int64_t>()));
    REQUIRE(rec_jobs.body["jobs"].size() == 1);
    CHECK(rec_jobs.body["jobs"][0]["kind"] == "reconcile");
  }
}

TEST_CASE_METHOD(api_fixture,
                 "a manual sync rejects bad input naming the field") {
  auto bad = [&](const std::string& body, const std::string& field) {
    auto r = send("POST", "/v1/tenants/acme/sync", body, "Bearer " + token);
    INFO(body << " -> " << r.body.dump());
    CHECK(r.status == 400);
    CHECK(r.body["field"] == field);
    CHECK(r.body["error"].is_string());
  };
  bad("{not json", "body");
  bad("[1]", "body");
  bad(R"({"entity": "order"})", "entity");
  bad(R"({"entity": 1})", "entity");
  bad(R"({"provider": "visma"})", "provider");
  bad(R"({"provider": "nope"})", "provider");
  bad(R"({"entity": "customer", "ids": "17"})", "ids");
  bad(R"({"entity": "customer", "ids": []})", "ids");
  bad(R"({"entity": "customer", "ids": [17]})", "ids");
  bad(R"({"ids": ["17"]})", "entity");
  bad(R"({"reconcile": "yes"})", "reconcile");
  bad(R"({"entity": "customer", "ids": ["1"], "reconcile": true})",
      "reconcile");
  bad(R"({"entity": "customer", "extra": 1})", "extra");
  auto unknown = call("POST", "/v1/tenants/nobody/sync", json::object());
  CHECK(unknown.status == 404);
  CHECK(unknown.body["field"] == "tenant");
  // Nothing half-applied: no batch, no job.
  CHECK(count("SELECT count(*) FROM ledgerd.batches") == 0);
  CHECK(count("SELECT count(*) FROM ledgerd.jobs") == 0);
}

TEST_CASE_METHOD(api_fixture, "a body over the configured limit gets 413") {
  json body{{"entity", "customer"},
            {"ids", std::vector<std::string>(600, "1234567")}};
  REQUIRE(body.dump().size() > 4096);
  auto r = call("POST", "/v1/tenants/acme/sync", body);
  CHECK(r.status == 413);
  CHECK(count("SELECT count(*) FROM ledgerd.batches") == 0);
}

// -- batches ------------------------------------------------------------------

TEST_CASE_METHOD(api_fixture,
                 "a batch shows its failed jobs with their errors") {
  auto r = call("POST", "/v1/tenants/acme/sync");
  REQUIRE(r.status == 202);
  auto batch = r.body["batch_id"].get<int64_t>();
  auto jobs = call("GET", "/v1/jobs?batch_id=" + std::to_string(batch));
  REQUIRE(jobs.body["jobs"].size() == 2);
  auto failing = jobs.body["jobs"][0]["id"].get<int64_t>();
  fail(failing, "customer 7: OrganisationNumber is invalid");
  auto b = call("GET", "/v1/batches/" + std::to_string(batch));
  REQUIRE(b.status == 200);
  CHECK(b.body["id"] == batch);
  CHECK(b.body["total"] == 2);
  CHECK(b.body["completed"] == 0);
  CHECK(b.body["failed"] == 1);
  CHECK(b.body["state"] == "running");
  REQUIRE(b.body["failures"].size() == 1);
  const auto& failure = b.body["failures"][0];
  CHECK(failure["job_id"] == failing);
  CHECK(failure["kind"] == "pull");
  CHECK(failure["error"] == "customer 7: OrganisationNumber is invalid");
  CHECK(failure["payload"].is_object());

  auto missing = call("GET", "/v1/batches/999999");
  CHECK(missing.status == 404);
  CHECK(missing.body["field"] == "id");
  auto bad = call("GET", "/v1/batches/abc");
  CHECK(bad.status == 400);
  CHECK(bad.body["field"] == "id");
}

TEST_CASE_METHOD(
  api_fixture, "retry-failed re-enqueues exactly the failed jobs of a batch") {
  auto batch = env->jobs->create_batch("acme", "manual_sync", now());
  auto a = enqueue("acme", "noop", batch);
  auto b = enqueue("acme", "noop", batch);
  auto c = enqueue("acme", "noop", batch);
  fail(a, "boom");
  fail(b, "boom");
  auto r
    = call("POST", "/v1/batches/" + std::to_string(batch) + "/retry-failed");
  REQUIRE(r.status == 200);
  CHECK(r.body == json{{"retried", 2}});
  CHECK(env->jobs->find(a)->state == "pending");
  CHECK(env->jobs->find(b)->state == "pending");
  CHECK(env->jobs->find(c)->state == "pending");
  CHECK(env->jobs->batch(batch)->failed == 0);
  auto again
    = call("POST", "/v1/batches/" + std::to_string(batch) + "/retry-failed");
  CHECK(again.body == json{{"retried", 0}});
  CHECK(call("POST", "/v1/batches/424242/retry-failed").status == 404);
}

// -- jobs ---------------------------------------------------------------------

TEST_CASE_METHOD(api_fixture, "jobs are listed newest first with filters and "
                              "keyset paging") {
  std::vector<int64_t> acme;
  for (int i = 0; i < 5; ++i)
    acme.push_back(enqueue("acme"));
  auto other = enqueue("nordvik", "push");
  std::vector<int64_t> seen;
  std::string target = "/v1/jobs?tenant=acme&limit=2";
  for (int page = 0; page < 10; ++page) {
    auto r = call("GET", target);
    REQUIRE(r.status == 200);
    CHECK(r.body["jobs"].size() <= 2);
    for (auto id : ids_of(r.body["jobs"]))
      seen.push_back(id);
    if (r.body["next_after_id"].is_null())
      break;
    target = "/v1/jobs?tenant=acme&limit=2&after_id="
             + std::to_string(r.body["next_after_id"].get<int64_t>());
  }
  CHECK(seen == std::vector<int64_t>(acme.rbegin(), acme.rend()));

  auto by_kind = call("GET", "/v1/jobs?kind=push");
  CHECK(ids_of(by_kind.body["jobs"]) == std::vector<int64_t>{other});
  CHECK(by_kind.body["next_after_id"].is_null());
  // Completed jobs live in the archive and are listed too.
  finish(acme[0], "completed");
  auto done = call("GET", "/v1/jobs?state=completed");
  CHECK(ids_of(done.body["jobs"]) == std::vector<int64_t>{acme[0]});
  CHECK(done.body["jobs"][0]["finished_at"].is_string());
  auto pending = call("GET", "/v1/jobs?state=pending&tenant=acme");
  CHECK(pending.body["jobs"].size() == 4);

  for (auto [query, field] : std::vector<std::pair<std::string, std::string>>{
         {"limit=0", "limit"},
         {"limit=1001", "limit"},
         {"limit=abc", "limit"},
         {"after_id=-1", "after_id"},
         {"after_id=1x", "after_id"},
         {"batch_id=x", "batch_id"},
         {"state=done", "state"},
         {"tenat=acme", "tenat"}}) {
    auto r = call("GET", "/v1/jobs?" + query);
    INFO(query << " -> " << r.body.dump());
    CHECK(r.status == 400);
    CHECK(r.body["field"] == field);
  }
}

TEST_CASE_METHOD(api_fixture, "only a failed job is retried") {
  auto failed = enqueue("acme");
  fail(failed, "boom");
  auto r = call("POST", "/v1/jobs/" + std::to_string(failed) + "/retry");
  REQUIRE(r.status == 200);
  CHECK(r.body["state"] == "pending");
  CHECK(r.body["attempt"] == 0);
  CHECK(env->jobs->find(failed)->state == "pending");
  // Pending now: not failed any more.
  auto again = call("POST", "/v1/jobs/" + std::to_string(failed) + "/retry");
  CHECK(again.status == 409);
  // Completed jobs are archived and cannot be retried.
  auto completed = enqueue("acme");
  finish(completed, "completed");
  CHECK(call("POST", "/v1/jobs/" + std::to_string(completed) + "/retry").status
        == 409);
  CHECK(env->jobs->find(completed)->state == "completed");
  auto unknown = call("POST", "/v1/jobs/999999/retry");
  CHECK(unknown.status == 404);
  CHECK(unknown.body["field"] == "id");
  CHECK(call("POST", "/v1/jobs/0/retry").status == 400);
}

TEST_CASE_METHOD(api_fixture, "only a pending job is cancelled") {
  auto id = enqueue("acme");
  auto r = call("POST", "/v1/jobs/" + std::to_string(id) + "/cancel");
  REQUIRE(r.status == 200);
  CHECK(r.body["state"] == "failed");
  CHECK(r.body["last_error"] == "cancelled");
  auto again = call("POST", "/v1/jobs/" + std::to_string(id) + "/cancel");
  CHECK(again.status == 409);
  CHECK(again.body["error"].get<std::string>().find("failed")
        != std::string::npos);
  auto unknown = call("POST", "/v1/jobs/999999/cancel");
  CHECK(unknown.status == 404);
  CHECK(unknown.body["field"] == "id");
}

// -- conflicts ----------------------------------------------------------------

TEST_CASE_METHOD(api_fixture, "conflicts are listed with filters and paging") {
  auto a = open_conflict(*this, "acme", "c1", "email");
  auto b = open_conflict(*this, "acme", "c2", "name");
  auto n = open_conflict(*this, "nordvik", "c3", "name");
  auto all = call("GET", "/v1/conflicts");
  REQUIRE(all.status == 200);
  CHECK(ids_of(all.body["conflicts"]) == std::vector<int64_t>{a, b, n});
  const auto& first = all.body["conflicts"][0];
  CHECK(first["tenant"] == "acme");
  CHECK(first["field"] == "email");
  CHECK(first["local_value"] == "local");
  CHECK(first["remote_value"] == "remote");
  CHECK(first["status"] == "open");
  auto page = call("GET", "/v1/conflicts?tenant=acme&limit=1");
  CHECK(ids_of(page.body["conflicts"]) == std::vector<int64_t>{a});
  REQUIRE(page.body["next_after_id"] == a);
  auto next = call("GET", "/v1/conflicts?tenant=acme&limit=1&after_id="
                            + std::to_string(a));
  CHECK(ids_of(next.body["conflicts"]) == std::vector<int64_t>{b});
  CHECK(call("GET", "/v1/conflicts?status=resolved").body["conflicts"]
        == json::array());
  for (auto [query, field] : std::vector<std::pair<std::string, std::string>>{
         {"status=closed", "status"},
         {"limit=x", "limit"},
         {"after_id=-5", "after_id"},
         {"tenant=nobody", "tenant"}}) {
    auto r = call("GET", "/v1/conflicts?" + query);
    INFO(query);
    CHECK(r.status == 400);
    CHECK(r.body["field"] == field);
  }
}

TEST_CASE_METHOD(api_fixture,
                 "a conflict is resolved once and contradictions get 409") {
  auto id = open_conflict(*this, "acme", "c1", "email");
  auto path = "/v1/conflicts/" + std::to_string(id) + "/resolve";
  auto bad = [&](const json& body, const std::string& field) {
    auto r = call("POST", path, body);
    INFO(body.dump() << " -> " << r.body.dump());
    CHECK(r.status == 400);
    CHECK(r.body["field"] == field);
  };
  bad(json::object(), "resolution");
  bad({{"resolution", "mine"}}, "resolution");
  bad({{"resolution", "custom"}}, "value");
  bad({{"resolution", "local"}, {"value", 1}}, "value");
  bad({{"resolution", "local"}, {"by", 7}}, "by");
  bad({{"resolution", "local"}, {"why", "x"}}, "why");
  CHECK(count("SELECT count(*) FROM ledgerd.conflicts WHERE status = 'open'")
        == 1);
  auto unknown
    = call("POST", "/v1/conflicts/999999/resolve", {{"resolution", "local"}});
  CHECK(unknown.status == 404);
  CHECK(unknown.body["field"] == "id");

  auto r = call("POST", path, {{"resolution", "local"}, {"by", "alice"}});
  REQUIRE(r.status == 200);
  CHECK(r.body["resolved_now"] == true);
  auto job = r.body["job_id"].get<int64_t>();
  auto push = env->jobs->find(job);
  REQUIRE(push);
  CHECK(push->kind == "push");
  CHECK(push->priority == 3);
  auto listed = call("GET", "/v1/conflicts?status=resolved");
  REQUIRE(listed.body["conflicts"].size() == 1);
  CHECK(listed.body["conflicts"][0]["resolution"] == "local");
  CHECK(listed.body["conflicts"][0]["resolved_by"] == "alice");
  CHECK(listed.body["conflicts"][0]["resolved_value"] == "local");
  // The same resolution again changes nothing.
  auto same = call("POST", path, {{"resolution", "local"}});
  REQUIRE(same.status == 200);
  CHECK(same.body["resolved_now"] == false);
  CHECK(same.body["job_id"].is_null());
  // A different one contradicts it.
  CHECK(call("POST", path, {{"resolution", "remote"}}).status == 409);
  CHECK(
    call("POST", path, {{"resolution", "custom"}, {"value", "x@y.se"}}).status
    == 409);

  auto custom = open_conflict(*this, "acme", "c2", "email");
  auto c = call("POST", "/v1/conflicts/" + std::to_string(custom) + "/resolve",
                {{"resolution", "custom"}, {"value", "x@y.se"}});
  REQUIRE(c.status == 200);
  CHECK(c.body["resolved_now"] == true);
  CHECK(sql("SELECT resolved_value #>> '{}' FROM ledgerd.conflicts WHERE id = "
            + std::to_string(custom))
        == "x@y.se");
}

// -- GET /v1/tenants ----------------------------------------------------------

TEST_CASE_METHOD(api_fixture, "tenants show connection state and last sync "
                              "and cursor lag and open conflicts") {
  // A stand-in for acme's provider actor that needs re-authorization.
  auto fake = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {
      [](caf::get_atom) {
        connection_status s;
        s.tenant = "acme";
        s.provider = "fortnox";
        s.state = "needs_reauth";
        s.reason = "invalid_grant: refresh token revoked";
        return s;
      },
    };
  });
  env->dir->put(provider_child_name("acme", "fortnox"), fake);
  {
    auto conn = pool->acquire(10s);
    pg::save_watermark(*conn, {"acme", "fortnox", "customer"}, now() - 90s);
  }
  auto pull = enqueue("acme", "pull");
  finish(pull, "completed");
  open_conflict(*this, "acme", "c1", "email");

  auto r = call("GET", "/v1/tenants");
  caf::anon_send_exit(fake, caf::exit_reason::user_shutdown);
  REQUIRE(r.status == 200);
  REQUIRE(r.body["tenants"].size() == 2);
  const auto& acme = r.body["tenants"][0];
  CHECK(acme["id"] == "acme");
  CHECK(acme["name"] == "Acme AB");
  REQUIRE(acme["connections"].size() == 1);
  CHECK(acme["connections"][0]["provider"] == "fortnox");
  CHECK(acme["connections"][0]["state"] == "needs_reauth");
  CHECK(acme["connections"][0]["needs_reauth"] == true);
  CHECK(acme["connections"][0]["reason"]
        == "invalid_grant: refresh token revoked");
  CHECK(acme["last_sync"].is_string());
  CHECK(acme["open_conflicts"] == 1);
  REQUIRE(acme["cursors"].size() == 2);
  const auto& customers = acme["cursors"][0];
  CHECK(customers["entity"] == "customer");
  CHECK(customers["watermark"].is_string());
  auto lag = customers["lag_seconds"].get<int64_t>();
  CHECK(lag >= 90);
  CHECK(lag < 90 + 60);
  CHECK(acme["cursors"][1]["entity"] == "invoice");
  CHECK(acme["cursors"][1]["lag_seconds"].is_null());

  const auto& nordvik = r.body["tenants"][1];
  CHECK(nordvik["id"] == "nordvik");
  CHECK(nordvik["name"] == "nordvik");
  CHECK(nordvik["connections"][0]["state"] == "unavailable");
  CHECK(nordvik["connections"][0]["needs_reauth"] == false);
  CHECK(nordvik["last_sync"].is_null());
  CHECK(nordvik["open_conflicts"] == 0);
}

// -- GET /readyz --------------------------------------------------------------

TEST_CASE_METHOD(api_fixture, "readyz follows the database probe") {
  // Open, like /healthz: no token needed.
  REQUIRE(eventually([&] {
    return send("GET", "/readyz", "", "").status == 200;
  }));
  auto ok = send("GET", "/readyz", "", "");
  CHECK(ok.body["status"] == "ready");
  *db_ok = false;
  REQUIRE(eventually([&] {
    return send("GET", "/readyz", "", "").status == 503;
  }));
  auto down = send("GET", "/readyz", "", "");
  CHECK(down.body["reason"].get<std::string>().find("connection refused")
        != std::string::npos);
  *db_ok = true;
  CHECK(eventually([&] {
    return send("GET", "/readyz", "", "").status == 200;
  }));
}

TEST_CASE("readyz answers 503 while a child is not running") {
  api_options opts;
  opts.extra_children = {"dispatcher"};
  api_fixture f{opts};
  auto r = f.send("GET", "/readyz", "", "");
  CHECK(r.status == 503);
  CHECK(r.body["reason"] == "not running: dispatcher");
}

// -- remote_read_only records ---------------------------------------------

TEST_CASE_METHOD(api_fixture,
                 "read-only records are listed with the provider's reason") {
  {
    auto conn = pool->acquire(10s);
    for (auto [tenant, local, reason] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
           {"acme", "i1", "Fakturan är bokförd och kan inte ändras."},
           {"acme", "i2", ""},
           {"acme", "i3", "a booked Fortnox invoice cannot be cancelled"},
           {"nordvik", "i4", "converted"}}) {
      pg::link_row link;
      link.local_id = local;
      link.remote_id = "R-" + local;
      link.read_only = reason;
      pg::save_link(*conn,
                    {tenant, tenant == "acme" ? "fortnox" : "visma", "invoice"},
                    link);
    }
  }
  auto all = call("GET", "/v1/records/read-only");
  REQUIRE(all.status == 200);
  REQUIRE(all.body["records"].size() == 3);
  auto acme = call("GET", "/v1/records/read-only?tenant=acme&limit=1");
  REQUIRE(acme.body["records"].size() == 1);
  const auto& first = acme.body["records"][0];
  CHECK(first["state"] == "remote_read_only");
  CHECK(first["entity"] == "invoice");
  CHECK(first["remote_id"].get<std::string>().starts_with("R-i"));
  REQUIRE(acme.body["next_after"].is_string());
  auto after = acme.body["next_after"].get<std::string>();
  after.replace(after.find('|'), 1, "%7C");
  auto next = call("GET", "/v1/records/read-only?tenant=acme&after=" + after);
  REQUIRE(next.body["records"].size() == 1);
  CHECK(next.body["records"][0]["local_id"] != first["local_id"]);
  CHECK(next.body["next_after"].is_null());
  CHECK(call("GET", "/v1/records/read-only?tenant=nobody").status == 400);
  CHECK(call("GET", "/v1/records/read-only?after=x").status == 400);
  auto tenants = call("GET", "/v1/tenants");
  for (const auto& t : tenants.body["tenants"])
    if (t["id"] == "acme")
      CHECK(t["remote_read_only"] == 2);
}

// -- provider drift: paused pulls -------------------------------------------

TEST_CASE_METHOD(api_fixture,
                 "a paused entity shows on its cursor and resumes by the API") {
  {
    auto conn = pool->acquire(10s);
    CHECK(pg::pause_pulls(*conn, {"acme", "fortnox", "invoice"},
                          "3 of 3 records unreadable, e.g. 7: Total"));
    // The first reason stays while paused.
    CHECK_FALSE(pg::pause_pulls(*conn, {"acme", "fortnox", "invoice"}, "x"));
  }
  auto paused_of = [&](const std::string& entity) {
    auto tenants = call("GET", "/v1/tenants");
    for (const auto& t : tenants.body["tenants"])
      if (t["id"] == "acme")
        for (const auto& c : t["cursors"])
          if (c["entity"] == entity)
            return c["paused"];
    return json{"no cursor"};
  };
  CHECK(paused_of("invoice") == "3 of 3 records unreadable, e.g. 7: Total");
  CHECK(paused_of("customer").is_null());
  CHECK(call("POST", "/v1/tenants/acme/resume", {{"entity", "order"}}).status
        == 400);
  CHECK(call("POST", "/v1/tenants/acme/resume",
             {{"entity", "invoice"}, {"provider", "visma"}})
          .status
        == 400);
  CHECK(
    call("POST", "/v1/tenants/nobody/resume", {{"entity", "invoice"}}).status
    == 404);
  auto r = call("POST", "/v1/tenants/acme/resume", {{"entity", "invoice"}});
  REQUIRE(r.status == 200);
  CHECK(r.body["resumed"] == true);
  CHECK(paused_of("invoice").is_null());
  auto again = call("POST", "/v1/tenants/acme/resume", {{"entity", "invoice"}});
  CHECK(again.body["resumed"] == false);
}
