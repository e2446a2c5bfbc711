// OAuth tokens per (tenant, provider) in ledgerd.credentials, with a
// single-flight refresh that holds across nodes: the refresh runs while the
// row is locked (SELECT ... FOR UPDATE), so a second refresher (another
// node, another thread) waits for the first and then finds the rotated
// tokens instead of spending the single-use refresh token again. The new
// refresh token is committed before the new access token is handed out.
#pragma once

#include "adapters/pg/pool.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace ledgerd::pg {

using sys_time = std::chrono::system_clock::time_point;

struct credentials {
  std::string access_token;
  std::string refresh_token;
  /// Epoch when unknown (no access token yet).
  sys_time expires_at{};
  uint64_t version = 0;
  bool needs_reauth = false;
  std::string reauth_reason;
};

/// What an exchange with the token endpoint produced.
struct token_grant {
  bool ok = false;
  std::string access_token;
  /// Empty: keep the stored one (client credentials rotate none).
  std::string refresh_token;
  sys_time expires_at{};
  /// On failure: ends the grant (needs re-authorization) or not (transient).
  bool grant_dead = false;
  std::string error;
};

/// The result of `credential_store::refresh`.
struct refresh_outcome {
  /// Valid credentials (fresh or found), or the failure below.
  std::optional<credentials> current;
  /// True when this call rotated the tokens.
  bool refreshed = false;
  /// "no_credentials", "needs_reauth", "transient" or the OAuth error.
  std::string error;
  std::string message;
};

class credential_store {
public:
  credential_store(std::shared_ptr<pool> db,
                   std::chrono::milliseconds acquire_timeout);

  std::optional<credentials> load(const std::string& tenant,
                                  const std::string& provider);

  /// Stores new tokens after an authorization (clears needs_reauth).
  void put(const std::string& tenant, const std::string& provider,
           const std::string& refresh_token,
           const std::string& access_token = {}, sys_time expires_at = {});

  /// Returns usable credentials: the stored ones when their version differs
  /// from `stale_version` and the access token is valid for `min_validity`
  /// beyond `now`, else the result of `exchange(stored refresh token)`,
  /// stored first. A dead grant sets needs_reauth. With `create_missing`
  /// (client credentials need no stored refresh token) a missing row is
  /// created instead of failing with no_credentials.
  refresh_outcome
  refresh(const std::string& tenant, const std::string& provider,
          uint64_t stale_version, sys_time now,
          std::chrono::seconds min_validity,
          const std::function<token_grant(const std::string&)>& exchange,
          bool create_missing = false);

  /// Marks the connection as needing re-authorization.
  void mark_needs_reauth(const std::string& tenant, const std::string& provider,
                         const std::string& reason);

private:
  /// A rotation the provider made that PostgreSQL did not take (the
  /// connection died before the commit). The spent refresh token is dead
  /// at the provider, so the new one is kept here until the next refresh
  /// of the connection stores it; only this process holds it, so it lives
  /// as long as the store (one per node), not as long as a token actor.
  struct unsaved_rotation {
    std::string spent_refresh_token;
    token_grant grant;
  };

  using connection_key = std::pair<std::string, std::string>;

  refresh_outcome store_rotation(connection& conn, transaction& tx,
                                 const connection_key& key,
                                 const credentials& stored,
                                 const token_grant& grant);

  std::optional<unsaved_rotation> take_unsaved(const connection_key& key);

  std::shared_ptr<pool> db_;
  std::chrono::milliseconds acquire_timeout_;
  std::mutex unsaved_mtx_;
  std::map<connection_key, unsaved_rotation> unsaved_;
};

} // namespace ledgerd::pg
