-- 0004_credentials_reauth: a connection whose refresh token was rejected
-- (invalid_grant) needs a person to authorize it again. The flag pauses the
-- tenant's syncing instead of retrying in a loop, and telemetry shows why.
ALTER TABLE ledgerd.credentials
  ADD COLUMN needs_reauth  boolean NOT NULL DEFAULT false,
  ADD COLUMN reauth_reason text;
COMMENT ON COLUMN ledgerd.credentials.needs_reauth IS
  'True after the token endpoint rejected the grant (invalid_grant / invalid_client): calls fail at once until new tokens are stored';
COMMENT ON COLUMN ledgerd.credentials.reauth_reason IS
  'The token endpoint''s answer that set needs_reauth, for people';
