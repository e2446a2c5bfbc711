// Visma error bodies (CommonExtendedBadRequest): {"ErrorCode": int,
// "DeveloperErrorMessage", "ErrorId", "Errors": [{"Field", "ErrorCode"
// (a string), "Message", "Key"}]}. Some 404s have no body at all.
#include "adapters/provider/helpers.hpp"
#include "adapters/provider/lenient_json.hpp"
#include "adapters/visma/adapter.hpp"
#include "state/retry_after.hpp"

namespace ledgerd::visma {

namespace {

using nlohmann::json;
namespace lenient = provider::lenient;

void read_fields(const json& body, provider::error& err) {
  auto errors = lenient::find(body, "Errors");
  if (errors == nullptr || !errors->is_array())
    return;
  for (const auto& x : *errors) {
    auto field = lenient::text(x, "Field").value_or("");
    auto message = lenient::text(x, "Message").value_or("");
    err.fields.push_back(field.empty() ? message : field + ": " + message);
  }
}

} // namespace

provider::error classify(const http::client_result& res) {
  auto out = provider::classify_response(
    res, [](const json& body, provider::error& err) {
      err.code = lenient::text(body, "ErrorCode").value_or("");
      err.message = lenient::text(body, "DeveloperErrorMessage").value_or("");
      read_fields(body, err);
      if (err.code == "4010")
        err.kind = http::failure::rate_limited;
      else if (err.code == "3000" && err.kind == http::failure::validation)
        err.kind = http::failure::not_found;
    });
  // Without a Retry-After header, the message says "Try again in N seconds".
  if (res.status != 0 && out.kind == http::failure::rate_limited
      && out.retry_after.count() == 0)
    out.retry_after = state::parse_try_again_in(out.message)
                        .value_or(std::chrono::milliseconds{0});
  return out;
}

} // namespace ledgerd::visma
