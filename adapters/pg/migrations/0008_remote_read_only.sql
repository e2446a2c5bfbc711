-- 0008_remote_read_only: a linked record whose last local change the
-- provider can no longer accept (a booked Fortnox invoice, a converted Visma
-- invoice, a status change the provider does not offer) keeps the reason
-- here instead of failing its job: people see it in the API, the console and
-- ledgerd_records_remote_read_only. It clears when both sides agree again.
ALTER TABLE ledgerd.links
  ADD COLUMN read_only_reason text,
  ADD COLUMN read_only_since timestamptz;
COMMENT ON COLUMN ledgerd.links.read_only_reason IS
  'Why the provider refuses the local change of this record (its own message when it sent one); NULL when it accepts it';
CREATE INDEX links_read_only_idx ON ledgerd.links (tenant, provider, entity)
  WHERE read_only_reason IS NOT NULL;
