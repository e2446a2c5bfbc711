-- 0011_links_read_after: a delta pull re-lists what changed within its
-- overlap, and Fortnox list items carry no modification time, so every
-- re-listed record used to be fetched again in detail. A record ledgerd
-- read in full after a scan started, and that is absent from a list of the
-- changes since that start, changed last before the read: what ledgerd
-- holds is current and is not fetched again (actors/pull_job.cpp).
ALTER TABLE ledgerd.links
  ADD COLUMN read_after timestamptz;
COMMENT ON COLUMN ledgerd.links.read_after IS
  'Provider clock: the remote record was last read in full (and applied) after a list query made at this time; NULL = unknown';
