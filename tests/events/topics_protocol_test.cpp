// Tests of the Fortnox Topics API wire format (adapters/fortnox/
// topics_protocol.hpp): the commands we send and the parsing of what the
// server sends, including the recorded example event.
#include "adapters/fortnox/topics_protocol.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace ledgerd::fortnox::topics;
using nlohmann::json;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in{std::string{LEDGERD_SOURCE_DIR}
                   + "/tests/fixtures/providers/fortnox/" + name};
  REQUIRE(in.good());
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

} // namespace

TEST_CASE("add-tenants command carries the client secret and all tokens") {
  auto cmd = json::parse(add_tenants_command("s3cret", {"tok-a", "tok-b"}));
  CHECK(cmd
        == json{{"command", "add-tenants-v1"},
                {"clientSecret", "s3cret"},
                {"accessTokens", {"tok-a", "tok-b"}}});
}

TEST_CASE("add-topics command sends offsets only where one is known") {
  auto cmd = json::parse(
    add_topics_command({{"invoices", "xDy7J"}, {"customers", ""}}));
  CHECK(cmd["command"] == "add-topics-v1");
  CHECK(cmd["topics"]
        == json::array({{{"topic", "invoices"}, {"offset", "xDy7J"}},
                        {{"topic", "customers"}}}));
}

TEST_CASE("subscribe command") {
  CHECK(json::parse(subscribe_command()) == json{{"command", "subscribe-v1"}});
}

TEST_CASE("the recorded example event parses into provider event fields") {
  auto msg = parse(fixture("websocket_event_example.json"));
  auto* ev = std::get_if<event>(&msg);
  REQUIRE(ev != nullptr);
  CHECK(ev->tenant_id == "29302");
  CHECK(ev->data.provider == "fortnox");
  CHECK(ev->data.tenant.empty());
  CHECK(ev->data.topic == "invoices");
  CHECK(ev->data.offset == "xDy7J");
  CHECK(ev->data.type == "invoicepayment-bookkeep-v1");
  CHECK(ev->data.entity_id == "3817");
  CHECK(ev->data.timestamp == "2017-12-28T14:59:16.500+01:00");
}

TEST_CASE("an event's tenant id may be a string and its entity id a number") {
  auto msg = parse(R"({"topic":"customers","offset":"a1","type":)"
                   R"("customer-updated-v2","tenantId":"77","entityId":15})");
  auto* ev = std::get_if<event>(&msg);
  REQUIRE(ev != nullptr);
  CHECK(ev->tenant_id == "77");
  CHECK(ev->data.entity_id == "15");
  CHECK(ev->data.timestamp.empty());
}

TEST_CASE("an event without an offset is not an event") {
  auto msg = parse(R"({"topic":"invoices","offset":"","tenantId":1})");
  REQUIRE(std::holds_alternative<other_message>(msg));
  CHECK_FALSE(std::get<other_message>(msg).error);
}

TEST_CASE("add-tenants response maps tokens to tenant ids and lists invalid "
          "tokens") {
  auto msg = parse(R"({"response":"add-tenants-v1","result":"ok",)"
                   R"("tenantIds":{"tok-a":29302,"tok-b":"11"},)"
                   R"("invalidTokens":["tok-c"]})");
  auto* res = std::get_if<command_response>(&msg);
  REQUIRE(res != nullptr);
  CHECK(res->ok());
  CHECK(res->command == "add-tenants-v1");
  CHECK(
    res->tenant_ids
    == std::map<std::string, std::string>{{"tok-a", "29302"}, {"tok-b", "11"}});
  CHECK(res->invalid_tokens == std::vector<std::string>{"tok-c"});
}

TEST_CASE("add-topics response lists invalid topics as names or objects") {
  auto msg = parse(R"({"response":"add-topics-v1","result":"ok",)"
                   R"("invalidTopics":["nope",{"topic":"gone"}]})");
  auto* res = std::get_if<command_response>(&msg);
  REQUIRE(res != nullptr);
  CHECK(res->invalid_topics == std::vector<std::string>{"nope", "gone"});
}

TEST_CASE("a failed command response keeps the server's message") {
  auto msg = parse(R"({"response":"subscribe-v1","result":"error",)"
                   R"("message":"no tenants"})");
  auto* res = std::get_if<command_response>(&msg);
  REQUIRE(res != nullptr);
  CHECK_FALSE(res->ok());
  CHECK(res->message == "no tenants");
}

TEST_CASE("error messages, unknown messages and garbage are told apart") {
  auto err = parse(R"({"error":"invalid command"})");
  REQUIRE(std::holds_alternative<other_message>(err));
  CHECK(std::get<other_message>(err).error);
  CHECK(std::get<other_message>(err).reason == "error: invalid command");
  auto unknown = parse(R"({"hello":"world"})");
  REQUIRE(std::holds_alternative<other_message>(unknown));
  CHECK_FALSE(std::get<other_message>(unknown).error);
  CHECK(std::holds_alternative<other_message>(parse("not json {")));
  CHECK(std::holds_alternative<other_message>(parse("[1,2]")));
}
