// Standard Webhooks signatures (standard-webhooks spec 1.0, symmetric "v1"):
// HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{raw body}" with the
// endpoint's secret ("whsec_" + base64 of the key bytes), base64-encoded;
// the webhook-signature header lists one or more "v1,<signature>" entries
// separated by spaces, so a secret can rotate with two valid at once. Pure:
// the caller passes the time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ledgerd::state {

enum class webhook_verdict {
  ok,
  /// webhook-id, webhook-timestamp or webhook-signature is missing.
  missing_headers,
  /// The timestamp is not an integer number of seconds.
  bad_timestamp,
  /// The timestamp is further from now than the tolerance (replay).
  stale,
  /// No listed signature matches any secret.
  bad_signature,
};

std::string_view to_string(webhook_verdict x);

/// The key bytes of a "whsec_<base64>" secret (a secret without the prefix
/// is taken as base64 too); nullopt when it is not valid base64 or empty.
std::optional<std::string> webhook_key(std::string_view secret);

/// The "v1,<base64>" signature entry for a message.
std::string webhook_sign(std::string_view key, std::string_view id,
                         std::string_view timestamp, std::string_view body);

struct webhook_headers {
  std::string id;
  std::string timestamp;
  std::string signature;
};

/// Checks `h` and `body` against every key in `keys` (raw key bytes, see
/// webhook_key). Compares in constant time.
webhook_verdict webhook_verify(const std::vector<std::string>& keys,
                               const webhook_headers& h, std::string_view body,
                               std::chrono::system_clock::time_point now,
                               std::chrono::seconds tolerance);

} // namespace ledgerd::state
