// The provider actor: one per provider connection (tenant, provider).
//
// A call goes: token (from the token service when missing or stale) ->
// grant from the rate limiter (buckets per actors/rate_limit_buckets) ->
// HTTP request through the node's shared client -> feedback to the rate
// limiter (response time, 429 with the provider's hint, timeout, not sent)
// -> decode by the adapter. A 401 refreshes the token once and retries; a
// 429 waits for a new grant (which the limiter only gives after its pause)
// up to `max_throttled_retries`; everything else is answered, classified, to
// the caller, whose job decides about retries. When the token service says
// the grant is dead, the connection is marked needs_reauth and every call
// fails at once without touching the network, except that at most every
// `reauth_recheck` a call or a status query asks the token service again:
// a person may have stored a new grant meanwhile (ledgerctl credentials
// set), and the connection recovers without a restart.
#pragma once

#include "actors/metrics_reporter.hpp"
#include "adapters/http/client.hpp"
#include "adapters/provider/provider.hpp"
#include "messages/actors.hpp"

#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ledgerd {

struct provider_options {
  std::string tenant;
  /// "fortnox", "visma".
  std::string provider;
  std::shared_ptr<const provider::adapter> adapter;
  std::shared_ptr<http::client> client;
  /// The current rate limiter and token service (looked up per use: the
  /// supervisor replaces them when they restart).
  std::function<rate_limiter_actor()> limiter;
  std::function<token_service_actor()> tokens;
  /// Buckets per endpoint name (adapter::endpoint); see buckets_for.
  std::function<std::vector<bucket_ref>(std::string_view endpoint)> buckets;
  /// How long a call may wait for a grant.
  caf::timespan max_grant_wait = std::chrono::seconds{60};
  /// The request's own deadline (slots are stamped there without feedback).
  caf::timespan request_timeout = std::chrono::seconds{30};
  /// 429s answered by waiting for a new grant before the call fails.
  int max_throttled_retries = 5;
  /// Provider fields creates start from (config create_defaults), JSON
  /// objects or null; index = provider::entity value.
  std::array<nlohmann::json, 2> create_templates;
  /// Where the monitor is found (metrics); may be null.
  std::shared_ptr<const actor_directory> dir;
};

struct provider_state {
  struct pending {
    provider_call call;
    http::client_request request;
    std::string endpoint;
    caf::typed_response_promise<provider_result> promise;
    uint64_t grant = 0;
    int auth_retries = 0;
    /// Credentials version of the token the request was sent with.
    uint64_t sent_with = 0;
    int throttled_retries = 0;
  };

  provider_options opts;
  std::unordered_map<uint64_t, pending> calls;
  /// Calls waiting for a token.
  std::deque<uint64_t> token_waiters;
  uint64_t next_call = 1;
  std::string access_token;
  uint64_t token_version = 0;
  caf::timestamp token_expires{};
  bool refreshing = false;
  bool needs_reauth = false;
  std::string reauth_reason;
  /// When needs_reauth was last confirmed by the token service.
  caf::timestamp reauth_checked{};
  uint64_t refreshes = 0;
  uint64_t in_flight = 0;
  std::map<std::string, uint64_t> call_counts;
  metrics_reporter reporter;
  bool draining = false;
  caf::typed_response_promise<bool> drain_promise;

  /// How often a connection that needs re-authorization looks for new
  /// credentials (one database read by the token service).
  static constexpr std::chrono::seconds reauth_recheck{5};

  static inline const char* name = "provider";
};

provider_actor::behavior_type
provider_connection(provider_actor::stateful_pointer<provider_state> self,
                    provider_options opts);

} // namespace ledgerd
