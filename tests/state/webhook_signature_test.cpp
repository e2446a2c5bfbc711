#include "state/base64.hpp"
#include "state/webhook_signature.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd::state;
using namespace std::chrono_literals;

namespace {

// The example of the Standard Webhooks specification.
const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const std::string stamp = "1614265330";
const std::string body = R"({"test": 2432232314})";
const std::string signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const auto at_stamp = std::chrono::system_clock::time_point{1614265330s};

std::vector<std::string> keys_of(std::vector<std::string> secrets) {
  std::vector<std::string> out;
  for (const auto& s : secrets)
    out.push_back(*webhook_key(s));
  return out;
}

} // namespace

TEST_CASE("base64 round trips and rejects what is not base64", "[webhook]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_decode("Zg==") == "f");
  CHECK(base64_decode("Zm8=") == "fo");
  CHECK(base64_decode("Zm9v") == "foo");
  CHECK_FALSE(base64_decode("Zm9"));
  CHECK_FALSE(base64_decode("Zm9*"));
}

TEST_CASE("the specification's example signature is reproduced and "
          "accepted",
          "[webhook]") {
  auto key = webhook_key(secret);
  REQUIRE(key);
  CHECK(webhook_sign(*key, id, stamp, body) == signature);
  CHECK(webhook_verify({*key}, {id, stamp, signature}, body, at_stamp, 300s)
        == webhook_verdict::ok);
}

TEST_CASE("a changed body id or timestamp breaks the signature", "[webhook]") {
  auto keys = keys_of({secret});
  CHECK(webhook_verify(keys, {id, stamp, signature}, body + " ", at_stamp, 300s)
        == webhook_verdict::bad_signature);
  CHECK(webhook_verify(keys, {id + "x", stamp, signature}, body, at_stamp, 300s)
        == webhook_verdict::bad_signature);
  CHECK(webhook_verify(keys, {id, "1614265331", signature}, body, at_stamp + 1s,
                       300s)
        == webhook_verdict::bad_signature);
  CHECK(webhook_verify(keys_of({"whsec_" + base64_encode("another key")}),
                       {id, stamp, signature}, body, at_stamp, 300s)
        == webhook_verdict::bad_signature);
}

TEST_CASE("a timestamp outside the tolerance is refused as stale",
          "[webhook]") {
  auto keys = keys_of({secret});
  webhook_headers h{id, stamp, signature};
  CHECK(webhook_verify(keys, h, body, at_stamp + 300s, 300s)
        == webhook_verdict::ok);
  CHECK(webhook_verify(keys, h, body, at_stamp + 301s, 300s)
        == webhook_verdict::stale);
  CHECK(webhook_verify(keys, h, body, at_stamp - 301s, 300s)
        == webhook_verdict::stale);
  CHECK(webhook_verify(keys, {id, "16142x", signature}, body, at_stamp, 300s)
        == webhook_verdict::bad_timestamp);
}

TEST_CASE("missing headers are refused", "[webhook]") {
  auto keys = keys_of({secret});
  CHECK(webhook_verify(keys, {"", stamp, signature}, body, at_stamp, 300s)
        == webhook_verdict::missing_headers);
  CHECK(webhook_verify(keys, {id, "", signature}, body, at_stamp, 300s)
        == webhook_verdict::missing_headers);
  CHECK(webhook_verify(keys, {id, stamp, ""}, body, at_stamp, 300s)
        == webhook_verdict::missing_headers);
}

TEST_CASE("during a rotation either secret and either listed signature "
          "passes",
          "[webhook]") {
  auto old_key = *webhook_key(secret);
  auto new_key = std::string{"a brand new key"};
  auto keys = std::vector<std::string>{old_key, new_key};
  auto by_new = webhook_sign(new_key, id, stamp, body);
  CHECK(webhook_verify(keys, {id, stamp, by_new}, body, at_stamp, 300s)
        == webhook_verdict::ok);
  CHECK(webhook_verify(keys, {id, stamp, "v1,bm9wZQ== " + signature}, body,
                       at_stamp, 300s)
        == webhook_verdict::ok);
  // Only v1 entries count.
  CHECK(webhook_verify(keys, {id, stamp, "v2," + signature.substr(3)}, body,
                       at_stamp, 300s)
        == webhook_verdict::bad_signature);
  CHECK_FALSE(webhook_key("whsec_"));
  CHECK_FALSE(webhook_key("whsec_not base64!"));
}
