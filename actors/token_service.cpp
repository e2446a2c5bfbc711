#include "actors/token_service.hpp"

#include "adapters/log.hpp"
#include "adapters/oauth/token_exchange.hpp"
#include "adapters/pg/error.hpp"

#include <cstdlib>

namespace ledgerd {

namespace {

using source = config::credentials_ref::source;

token_update failure(std::string error, std::string message) {
  token_update out;
  out.error = std::move(error);
  out.message = std::move(message);
  return out;
}

// Exchanges with the token endpoint (blocking: this actor is detached).
pg::token_grant exchange(const token_service_options& opts,
                         const config::connection_config& conn,
                         const std::string& refresh_token) {
  auto req = conn.credentials.from == source::client_credentials
               ? oauth::client_credentials_request(
                 conn.token_url, conn.client_id, conn.client_secret,
                 conn.credentials.variable)
               : oauth::refresh_request(conn.token_url, conn.client_id,
                                        conn.client_secret, refresh_token);
  auto res = oauth::parse_token_response(opts.client->send_sync(req));
  pg::token_grant out;
  out.ok = res.ok;
  if (!res.ok) {
    out.grant_dead = res.needs_reauth();
    out.error = res.error + (res.message.empty() ? "" : ": " + res.message);
    return out;
  }
  out.access_token = res.access_token;
  out.refresh_token = res.refresh_token;
  out.expires_at = opts.now() + res.expires_in;
  return out;
}

// credentials = "env:NAME": a fixed access token that cannot be refreshed.
token_update from_environment(const config::connection_config& conn,
                              uint64_t stale_version) {
  const char* value = std::getenv(conn.credentials.variable.c_str());
  if (value == nullptr || *value == '\0')
    return failure("no_credentials",
                   "variable " + conn.credentials.variable + " is not set");
  if (stale_version == 1)
    return failure("needs_reauth", "the access token from "
                                     + conn.credentials.variable
                                     + " was rejected; it cannot be refreshed");
  token_update out;
  out.access_token = value;
  out.expires_at = caf::timestamp{caf::timestamp::duration::max()};
  out.version = 1;
  return out;
}

token_update on_request(const token_service_options& opts,
                        const token_request& req) {
  auto* conn = find_connection(*opts.config, req.tenant, req.provider);
  if (conn == nullptr)
    return failure("no_credentials", "no " + req.provider
                                       + " connection for tenant "
                                       + req.tenant);
  if (conn->credentials.from == source::env)
    return from_environment(*conn, req.stale_version);
  auto service = conn->credentials.from == source::client_credentials;
  auto out = opts.store->refresh(
    req.tenant, req.provider, req.stale_version, opts.now(), opts.min_validity,
    [&](const std::string& refresh) {
      return exchange(opts, *conn, refresh);
    },
    service);
  if (!out.current)
    return failure(out.error, out.message);
  token_update res;
  res.access_token = out.current->access_token;
  res.expires_at = caf::timestamp{out.current->expires_at.time_since_epoch()};
  res.version = out.current->version;
  res.refreshed = out.refreshed;
  return res;
}

} // namespace

const config::connection_config* find_connection(const config::node_config& cfg,
                                                 std::string_view tenant,
                                                 std::string_view provider) {
  for (const auto& t : cfg.tenants) {
    if (t.id != tenant)
      continue;
    for (const auto& c : t.connections)
      if (config::to_string(c.provider) == provider)
        return &c;
  }
  return nullptr;
}

token_service_actor::behavior_type
token_service(token_service_actor::stateful_pointer<token_service_state> self,
              token_service_options opts) {
  self->state.opts = std::move(opts);
  return {
    [self](token_request& req) -> token_update {
      try {
        return on_request(self->state.opts, req);
      } catch (const std::exception& e) {
        // The database is unreachable or the row is locked too long: the
        // caller retries later; the grant itself is fine.
        log::warn("oauth", "token request failed",
                  {{"tenant", req.tenant},
                   {"provider", req.provider},
                   {"error", e.what()}});
        return failure("transient", e.what());
      }
    },
    [](drain_atom) {
      return true;
    },
  };
}

} // namespace ledgerd
