#include "adapters/pg/credential_store.hpp"

#include "adapters/log.hpp"

namespace ledgerd::pg {

namespace {

constexpr auto columns
  = "coalesce(access_token, ''), coalesce(refresh_token, ''),"
    " coalesce(extract(epoch FROM expires_at)::bigint, 0), version,"
    " needs_reauth, coalesce(reauth_reason, '')";

credentials read_row(const result& res, int row) {
  credentials out;
  out.access_token = res.get<std::string>(row, 0);
  out.refresh_token = res.get<std::string>(row, 1);
  out.expires_at = sys_time{std::chrono::seconds{res.get<int64_t>(row, 2)}};
  out.version = static_cast<uint64_t>(res.get<int64_t>(row, 3));
  out.needs_reauth = res.get<bool>(row, 4);
  out.reauth_reason = res.get<std::string>(row, 5);
  return out;
}

int64_t epoch_seconds(sys_time t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch())
    .count();
}

} // namespace

credential_store::credential_store(std::shared_ptr<pool> db,
                                   std::chrono::milliseconds acquire_timeout)
  : db_(std::move(db))
  , acquire_timeout_(acquire_timeout) {}

std::optional<credentials> credential_store::load(const std::string& tenant,
                                                  const std::string& provider) {
  auto conn = db_->acquire(acquire_timeout_);
  auto res = conn->exec("credentials.load",
                        std::string{"SELECT "} + columns
                          + " FROM ledgerd.credentials"
                            " WHERE tenant = $1 AND provider = $2",
                        tenant, provider);
  if (res.rows() == 0)
    return std::nullopt;
  return read_row(res, 0);
}

void credential_store::put(const std::string& tenant,
                           const std::string& provider,
                           const std::string& refresh_token,
                           const std::string& access_token,
                           sys_time expires_at) {
  auto conn = db_->acquire(acquire_timeout_);
  std::optional<std::string> access;
  std::optional<int64_t> expires;
  if (!access_token.empty()) {
    access = access_token;
    expires = epoch_seconds(expires_at);
  }
  conn->exec("credentials.put",
             "INSERT INTO ledgerd.credentials AS c"
             " (tenant, provider, refresh_token, access_token, expires_at)"
             " VALUES ($1, $2, $3, $4, to_timestamp($5))"
             " ON CONFLICT (tenant, provider) DO UPDATE SET"
             " refresh_token = excluded.refresh_token,"
             " access_token = excluded.access_token,"
             " expires_at = excluded.expires_at, rotated_at = now(),"
             " needs_reauth = false, reauth_reason = NULL",
             tenant, provider, refresh_token, access, expires);
}

refresh_outcome credential_store::refresh(
  const std::string& tenant, const std::string& provider,
  uint64_t stale_version, sys_time now, std::chrono::seconds min_validity,
  const std::function<token_grant(const std::string&)>& exchange,
  bool create_missing) {
  refresh_outcome out;
  auto conn = db_->acquire(acquire_timeout_);
  if (create_missing)
    conn->exec("credentials.create_missing",
               "INSERT INTO ledgerd.credentials (tenant, provider)"
               " VALUES ($1, $2) ON CONFLICT DO NOTHING",
               tenant, provider);
  transaction tx{*conn};
  // The row lock is the cross-node single flight: a second refresher blocks
  // here until the first committed, then sees the new version.
  auto res = conn->exec("credentials.lock",
                        std::string{"SELECT "} + columns
                          + " FROM ledgerd.credentials"
                            " WHERE tenant = $1 AND provider = $2 FOR UPDATE",
                        tenant, provider);
  if (res.rows() == 0) {
    out.error = "no_credentials";
    out.message = "no stored tokens for " + tenant + "/" + provider;
    return out;
  }
  auto stored = read_row(res, 0);
  auto key = connection_key{tenant, provider};
  if (auto kept = take_unsaved(key)) {
    // Stored unless credentials were stored since (an operator's new
    // grant): a dead grant another node marked is the one we spent.
    if (kept->spent_refresh_token == stored.refresh_token)
      return store_rotation(*conn, tx, key, stored, kept->grant);
  }
  if (stored.needs_reauth) {
    out.error = "needs_reauth";
    out.message = stored.reauth_reason;
    return out;
  }
  bool valid
    = !stored.access_token.empty() && stored.expires_at > now + min_validity;
  if (valid && stored.version != stale_version) {
    out.current = stored;
    return out;
  }
  if (stored.refresh_token.empty() && !create_missing) {
    out.error = "no_credentials";
    out.message = "no refresh token stored for " + tenant + "/" + provider;
    return out;
  }
  auto grant = exchange(stored.refresh_token);
  if (!grant.ok) {
    out.error = grant.grant_dead ? "needs_reauth" : "transient";
    out.message = grant.error;
    if (grant.grant_dead) {
      conn->exec("credentials.dead_grant",
                 "UPDATE ledgerd.credentials SET needs_reauth = true,"
                 " reauth_reason = $3 WHERE tenant = $1 AND provider = $2",
                 tenant, provider, grant.error);
      tx.commit();
    }
    return out;
  }
  return store_rotation(*conn, tx, key, stored, grant);
}

refresh_outcome credential_store::store_rotation(connection& conn,
                                                 transaction& tx,
                                                 const connection_key& key,
                                                 const credentials& stored,
                                                 const token_grant& grant) {
  const auto& [tenant, provider] = key;
  // Commit before anyone uses the new access token: no request ever runs
  // on tokens that are not stored.
  int64_t version = 0;
  try {
    auto updated
      = conn.exec("credentials.rotate",
                  "UPDATE ledgerd.credentials SET access_token = $3,"
                  " refresh_token = coalesce(nullif($4, ''), refresh_token),"
                  " expires_at = to_timestamp($5), rotated_at = now(),"
                  " needs_reauth = false, reauth_reason = NULL"
                  " WHERE tenant = $1 AND provider = $2 RETURNING version",
                  tenant, provider, grant.access_token, grant.refresh_token,
                  epoch_seconds(grant.expires_at));
    version = updated.get<int64_t>(0, 0);
    tx.commit();
  } catch (...) {
    // The provider rotated and the old refresh token is spent: losing the
    // new one would end the grant (re-authorization by a person).
    if (!grant.refresh_token.empty()) {
      std::lock_guard guard{unsaved_mtx_};
      unsaved_[key] = {stored.refresh_token, grant};
      log::warn("oauth",
                "rotated tokens not stored (database unavailable); kept for "
                "the next refresh",
                {{"tenant", tenant}, {"provider", provider}});
    }
    throw;
  }
  refresh_outcome out;
  credentials fresh;
  fresh.access_token = grant.access_token;
  fresh.refresh_token
    = grant.refresh_token.empty() ? stored.refresh_token : grant.refresh_token;
  fresh.expires_at = grant.expires_at;
  fresh.version = static_cast<uint64_t>(version);
  out.current = fresh;
  out.refreshed = true;
  log::info("oauth", "tokens refreshed",
            {{"tenant", tenant}, {"provider", provider}});
  return out;
}

std::optional<credential_store::unsaved_rotation>
credential_store::take_unsaved(const connection_key& key) {
  std::lock_guard guard{unsaved_mtx_};
  auto i = unsaved_.find(key);
  if (i == unsaved_.end())
    return std::nullopt;
  auto out = std::move(i->second);
  unsaved_.erase(i);
  return out;
}

void credential_store::mark_needs_reauth(const std::string& tenant,
                                         const std::string& provider,
                                         const std::string& reason) {
  auto conn = db_->acquire(acquire_timeout_);
  conn->exec("credentials.mark_reauth",
             "UPDATE ledgerd.credentials SET needs_reauth = true,"
             " reauth_reason = $3 WHERE tenant = $1 AND provider = $2",
             tenant, provider, reason);
}

} // namespace ledgerd::pg
