#include "adapters/fortnox/topics_protocol.hpp"

#include <nlohmann/json.hpp>

namespace ledgerd::fortnox::topics {

namespace {

using nlohmann::json;

/// A string or integer as text; "" for other types. Fortnox sends tenantId
/// as a number and entity ids as strings, but the types of its fields drift
/// between versions (provider-facts.md §1.6), so both are accepted.
std::string text_value(const json& x) {
  if (x.is_string())
    return x.get<std::string>();
  if (x.is_number_unsigned())
    return std::to_string(x.get<uint64_t>());
  if (x.is_number_integer())
    return std::to_string(x.get<int64_t>());
  return {};
}

/// Member `key` as text; "" when absent.
std::string text_of(const json& obj, const char* key) {
  auto i = obj.find(key);
  return i == obj.end() ? std::string{} : text_value(*i);
}

std::vector<std::string> strings_of(const json& obj, const char* key) {
  std::vector<std::string> out;
  auto i = obj.find(key);
  if (i == obj.end() || !i->is_array())
    return out;
  for (const auto& x : *i) {
    // invalidTopics may list names or {"topic": ...} objects.
    auto txt = x.is_object() ? text_of(x, "topic") : text_value(x);
    if (!txt.empty())
      out.push_back(std::move(txt));
  }
  return out;
}

/// The server's error text, whatever member it used.
std::string message_of(const json& obj) {
  for (const char* key : {"message", "error", "errorMessage", "reason"}) {
    auto txt = text_of(obj, key);
    if (!txt.empty())
      return txt;
  }
  return {};
}

command_response to_response(const json& obj) {
  command_response out;
  out.command = text_of(obj, "response");
  out.result = text_of(obj, "result");
  if (auto i = obj.find("tenantIds"); i != obj.end() && i->is_object())
    for (const auto& [token, id] : i->items())
      out.tenant_ids[token] = text_value(id);
  out.invalid_tokens = strings_of(obj, "invalidTokens");
  out.invalid_topics = strings_of(obj, "invalidTopics");
  out.message = message_of(obj);
  return out;
}

message to_event(const json& obj) {
  event out;
  out.tenant_id = text_of(obj, "tenantId");
  out.data.provider = "fortnox";
  out.data.topic = text_of(obj, "topic");
  out.data.offset = text_of(obj, "offset");
  out.data.type = text_of(obj, "type");
  out.data.entity_id = text_of(obj, "entityId");
  out.data.timestamp = text_of(obj, "timestamp");
  if (out.data.topic.empty() || out.data.offset.empty())
    return other_message{"event without topic or offset", false};
  return out;
}

} // namespace

std::string add_tenants_command(const std::string& client_secret,
                                const std::vector<std::string>& access_tokens) {
  return json{{"command", "add-tenants-v1"},
              {"clientSecret", client_secret},
              {"accessTokens", access_tokens}}
    .dump();
}

std::string add_topics_command(const std::vector<topic_start>& topics) {
  auto list = json::array();
  for (const auto& t : topics) {
    json item{{"topic", t.topic}};
    if (!t.offset.empty())
      item["offset"] = t.offset;
    list.push_back(std::move(item));
  }
  return json{{"command", "add-topics-v1"}, {"topics", std::move(list)}}.dump();
}

std::string subscribe_command() {
  return R"({"command":"subscribe-v1"})";
}

message parse(std::string_view text) {
  auto obj = json::parse(text, nullptr, false);
  if (obj.is_discarded() || !obj.is_object())
    return other_message{"not a JSON object", false};
  if (obj.contains("response"))
    return to_response(obj);
  if (obj.contains("topic") && obj.contains("offset"))
    return to_event(obj);
  auto why = message_of(obj);
  if (!why.empty())
    return other_message{"error: " + why, true};
  return other_message{"unknown message", false};
}

} // namespace ledgerd::fortnox::topics
