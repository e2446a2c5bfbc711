#include "state/webhook_signature.hpp"

#include "state/base64.hpp"

#include <charconv>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace ledgerd::state {

std::string_view to_string(webhook_verdict x) {
  switch (x) {
  case webhook_verdict::ok:
    return "ok";
  case webhook_verdict::missing_headers:
    return "missing webhook-id, webhook-timestamp or webhook-signature";
  case webhook_verdict::bad_timestamp:
    return "webhook-timestamp is not a number of seconds";
  case webhook_verdict::stale:
    return "webhook-timestamp is outside the tolerance";
  case webhook_verdict::bad_signature:
    break;
  }
  return "no valid signature";
}

std::optional<std::string> webhook_key(std::string_view secret) {
  if (secret.starts_with("whsec_"))
    secret.remove_prefix(6);
  auto key = base64_decode(secret);
  if (!key || key->empty())
    return std::nullopt;
  return key;
}

namespace {

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string signed_content(std::string_view id, std::string_view timestamp,
                           std::string_view body) {
  std::string out;
  out.reserve(id.size() + timestamp.size() + body.size() + 2);
  out.append(id).append(".").append(timestamp).append(".").append(body);
  return out;
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

std::string webhook_sign(std::string_view key, std::string_view id,
                         std::string_view timestamp, std::string_view body) {
  return "v1,"
         + base64_encode(hmac_sha256(key, signed_content(id, timestamp, body)));
}

webhook_verdict webhook_verify(const std::vector<std::string>& keys,
                               const webhook_headers& h, std::string_view body,
                               std::chrono::system_clock::time_point now,
                               std::chrono::seconds tolerance) {
  if (h.id.empty() || h.timestamp.empty() || h.signature.empty())
    return webhook_verdict::missing_headers;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(
    h.timestamp.data(), h.timestamp.data() + h.timestamp.size(), seconds);
  if (ec != std::errc{} || end != h.timestamp.data() + h.timestamp.size())
    return webhook_verdict::bad_timestamp;
  auto sent
    = std::chrono::system_clock::time_point{std::chrono::seconds{seconds}};
  if (sent < now - tolerance || sent > now + tolerance)
    return webhook_verdict::stale;
  auto content = signed_content(h.id, h.timestamp, body);
  std::vector<std::string> expected;
  for (const auto& key : keys)
    expected.push_back(base64_encode(hmac_sha256(key, content)));
  // Every listed entry against every key: the time spent does not depend
  // on where (or whether) a match is.
  bool ok = false;
  std::string_view rest = h.signature;
  while (!rest.empty()) {
    auto space = rest.find(' ');
    auto entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{}
                                           : rest.substr(space + 1);
    if (!entry.starts_with("v1,"))
      continue;
    entry.remove_prefix(3);
    for (const auto& sig : expected)
      ok = same(entry, sig) || ok;
  }
  return ok ? webhook_verdict::ok : webhook_verdict::bad_signature;
}

} // namespace ledgerd::state
