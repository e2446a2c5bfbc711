// The Fortnox WebSocket "Topics API" wire format (provider-facts.md §1.9):
// the three commands a client sends and a parser for everything the server
// sends back. Pure: no I/O, no CAF.
//
// Commands: {"command":"add-tenants-v1","clientSecret":..,"accessTokens":[..]}
//             {"command":"add-topics-v1","topics":[{"topic":..,"offset":..}]}
//             {"command":"subscribe-v1"}
// Responses:  {"response":"add-tenants-v1","result":"ok","tenantIds":{..},
//              "invalidTokens":[..]} (and likewise for the other commands)
// Events:     {"topic":"invoices","offset":"xDy7J","type":"invoice-updated-v1",
//              "tenantId":29302,"entityId":"3817","timestamp":"..."}
#pragma once

#include "messages/provider.hpp"

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ledgerd::fortnox::topics {

/// A topic to follow and where to resume it.
struct topic_start {
  std::string topic;
  /// Last handled offset: the server replays the events after it. Empty
  /// means "from now on" (no offset field is sent).
  std::string offset;
};

std::string add_tenants_command(const std::string& client_secret,
                                const std::vector<std::string>& access_tokens);

std::string add_topics_command(const std::vector<topic_start>& topics);

std::string subscribe_command();

/// The server's answer to one command.
struct command_response {
  /// The command it answers, e.g. "add-tenants-v1".
  std::string command;
  /// "ok" on success; anything else is a failure.
  std::string result;
  /// add-tenants-v1: access token -> Fortnox tenant id (as decimal text).
  std::map<std::string, std::string> tenant_ids;
  std::vector<std::string> invalid_tokens;
  std::vector<std::string> invalid_topics;
  /// The server's explanation of a failure, when it gave one.
  std::string message;

  bool ok() const {
    return result == "ok";
  }
};

/// One change event.
struct event {
  /// Fortnox's tenant id as decimal text (sent as a number or a string).
  std::string tenant_id;
  /// provider "fortnox"; topic, offset, type, entity_id and timestamp as
  /// sent; tenant is left empty for the caller to map.
  provider_event data;
};

/// Anything else: an error message of the server, malformed JSON, or a
/// message of a kind this parser does not know.
struct other_message {
  /// What it is, for the log ("not JSON", "error: ...", "unknown message").
  std::string reason;
  /// True when the server reported an error.
  bool error = false;
};

using message = std::variant<command_response, event, other_message>;

/// Classifies one text frame from the server.
message parse(std::string_view text);

} // namespace ledgerd::fortnox::topics
