#include "sim/router.hpp"

#include <array>
#include <cmath>
#include <random>

#include "sim/admin_api.hpp"
#include "sim/fortnox_api.hpp"
#include "sim/oauth_api.hpp"
#include "sim/url.hpp"
#include "sim/visma_api.hpp"
#include "sim/visma_versions.hpp"

namespace ledgerd::sim {

namespace {

using clock = std::chrono::steady_clock;

api_response unauthorized(world& w, const std::string& provider) {
  if (provider == "fortnox")
    return api_response::of(401, {{"message", "unauthorized"}});
  return visma_error(w, 401, 1000,
                     "Unauthorized: the access token is missing, invalid or "
                     "has expired.");
}

api_response not_found() {
  return api_response::of(404, {{"message", "no such route"}});
}

/// The 4010 body; N is the real (scaled) wait, rounded up, at least 1.
api_response visma_throttled(world& w, clock::duration wait) {
  auto secs = std::chrono::duration<double>(wait).count();
  auto n = std::max<long>(1, static_cast<long>(std::ceil(secs)));
  std::string message
    = "API calls quota exceeded! maximum admitted 600 per Minute.";
  if (w.options.quirks.visma_throttle_hint())
    message += " Try again in " + std::to_string(n) + " seconds.";
  auto r = api_response::of(429, {{"ErrorCode", 4010},
                                  {"DeveloperErrorMessage", message},
                                  {"ErrorId", w.make_guid()}});
  r.content_type = "application/json;charset=UTF-8";
  return r;
}

/// A body whose fields have the wrong JSON types: the provider's 400 (a
/// real API rejects it; it never takes the simulator down).
api_response bad_body(world& w, const std::string& provider,
                      const std::string& why) {
  if (provider == "fortnox")
    return api_response::of(400,
                            {{"ErrorInformation",
                              {{"error", 1},
                               {"message", "Felaktigt värde i anropet: " + why},
                               {"code", 2000359}}}});
  return api_response::of(400, {{"ErrorCode", 2000},
                                {"DeveloperErrorMessage", why},
                                {"ErrorId", w.make_guid()},
                                {"Errors", nlohmann::json::array()}});
}

api_response error_burst(int status) {
  // Gateways answer 5xx with HTML, not the provider's JSON.
  api_response r;
  r.status = status;
  r.content_type = "text/html";
  r.text = "<html><head><title>" + std::to_string(status)
           + " Service Temporarily Unavailable</title></head><body><center>"
             "<h1>"
           + std::to_string(status)
           + " Service Temporarily Unavailable</h1></center></body></html>";
  return r;
}

/// The rate-limit bucket of a request: Fortnox per (client, tenant), Visma
/// per (client, endpoint).
std::pair<std::string, limit_spec>
bucket_of(const tenant& t, const oauth_client& c, const api_request& req) {
  if (t.provider == "fortnox")
    return {"fortnox/" + c.client_id + "/" + t.name, fortnox_limit};
  auto endpoint = req.segments.size() > 2 ? req.segments[2] : "";
  return {"visma/" + c.client_id + "/" + endpoint, visma_limit};
}

/// The external reference a create's body carries ("" when none).
std::string sent_reference(const tenant& t, const api_request& req) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object())
    return {};
  const nlohmann::json* x = &body;
  for (const auto* wrapper : {"Customer", "Invoice"})
    if (auto i = body.find(wrapper); i != body.end() && i->is_object())
      x = &*i;
  static constexpr std::array<const char*, 2> fortnox_keys{
    "ExternalReference", "ExternalInvoiceReference1"};
  static constexpr std::array<const char*, 2> visma_keys{"Note",
                                                         "ElectronicReference"};
  for (const auto* key : t.provider == "fortnox" ? fortnox_keys : visma_keys)
    if (auto i = x->find(key); i != x->end() && i->is_string())
      return i->get<std::string>();
  return {};
}

/// Records a person creates in the UI right after a create whose answer
/// is dropped (drop_response_after_create.foreign_creates): every second
/// one carries a copy of the lost record's reference with a suffix, which a
/// substring search finds too.
void foreign_creates(world& w, tenant& t, const api_request& req) {
  auto kind = req.segments.size() > 2 ? req.segments[2] : "";
  auto ref = sent_reference(t, req);
  for (int i = 0; i < w.faults.foreign_creates(); ++i) {
    auto like = i % 2 == 1 && !ref.empty() ? ref + " (kopia)" : "";
    if (t.provider == "fortnox")
      fortnox_foreign_create(w, t, kind, like);
    else
      visma_foreign_create(w, t, kind, like);
  }
}

routed provider_api(world& w, const std::string& provider,
                    const api_request& req) {
  ++w.requests_total;
  auto now = clock::now();
  auto token = bearer_token(req.authorization);
  auto [check, key] = token ? w.tokens.resolve(*token, now)
                            : std::pair{token_check::unknown, std::string{}};
  auto* t = check == token_check::ok ? w.find_tenant(key) : nullptr;
  if (!t || t->provider != provider)
    return {unauthorized(w, provider)};
  const auto* client = w.tokens.client_of(key);
  auto [bucket, spec] = bucket_of(*t, *client, req);
  auto admission = w.limits.admit(bucket, spec, now);
  if (!admission.admitted)
    return {provider == "fortnox"
              ? api_response::of(429, {{"message", "rate limit exceeded"}})
              : visma_throttled(w, admission.retry_after)};
  routed out;
  out.pre = w.faults.take_pre(req.method);
  if (out.pre == pre_fault::reset || out.pre == pre_fault::timeout)
    return out;
  out.latency
    = req.answer_latency ? *req.answer_latency : w.faults.draw_latency();
  if (out.pre == pre_fault::error_burst) {
    out.response = error_burst(w.faults.error_status());
    return out;
  }
  out.response
    = provider == "fortnox" ? fortnox_api(w, *t, req) : visma_api(w, *t, req);
  const auto& rename = w.faults.rename();
  if (rename && rename->provider == provider && out.response.json)
    rename_keys(*out.response.json, rename->from, rename->to);
  for (auto& h : w.faults.announcements())
    out.response.headers.push_back(std::move(h));
  std::string path;
  for (const auto& s : req.segments)
    path += "/" + s;
  if (auto slow = w.faults.take_slow_answer(req.method, path))
    out.latency = *slow;
  out.post
    = w.faults.take_post(out.response.created, req.method, out.response.status);
  if (out.post == post_fault::drop_response && out.response.created)
    foreign_creates(w, *t, req);
  return out;
}

/// The provider whose API serves `seg` ("fortnox/3/...", "visma/v2/..."),
/// or nullptr.
const char* served_provider(const std::vector<std::string>& seg) {
  for (const char* provider : {"fortnox", "visma"}) {
    if (seg.size() >= 2 && seg[0] == provider
        && (seg[0] == "fortnox" ? seg[1] == "3"
                                : visma::parse_version(seg[1]).has_value()))
      return provider;
  }
  return nullptr;
}

} // namespace

std::optional<latency_split> split_latency(world& w, const api_request& req) {
  auto side = w.options.quirks.latency();
  if (side == latency_side::answer || served_provider(req.segments) == nullptr)
    return std::nullopt;
  auto total = w.faults.draw_latency();
  if (total.count() == 0)
    return std::nullopt;
  latency_split out;
  out.before = total;
  if (side == latency_side::split) {
    std::uniform_int_distribution<int64_t> share{0, total.count()};
    out.before = std::chrono::milliseconds{share(w.rng)};
  }
  out.after = total - out.before;
  return out;
}

routed route(world& w, const api_request& req) {
  const auto& seg = req.segments;
  if (seg.empty())
    return {not_found()};
  if (seg[0] == "sim")
    return {admin_api(w, req)};
  if (seg.size() == 3 && seg[0] == "fortnox" && seg[1] == "oauth-v1"
      && seg[2] == "token")
    return {oauth_token(w, "fortnox", req)};
  if (seg.size() == 3 && seg[0] == "visma" && seg[1] == "connect"
      && seg[2] == "token")
    return {oauth_token(w, "visma", req)};
  const char* provider = served_provider(seg);
  if (provider == nullptr)
    return {not_found()};
  try {
    return provider_api(w, provider, req);
  } catch (const nlohmann::json::exception& e) {
    return {bad_body(w, provider, e.what())};
  }
}

} // namespace ledgerd::sim
