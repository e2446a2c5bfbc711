-- 0005_sync_links: what the sync core needs on top of 0001's links and
-- conflicts (DESIGN.md §3, SYNC-PROPERTIES.md §5 props 16-19).
--
--   * links.status 'in_doubt': a create was sent to the provider and its
--     outcome is unknown (timeout, lost connection). The remote id is not
--     known yet, so remote_id is NULL exactly for in_doubt links; the next
--     push looks the record up by its external reference (the local id)
--     before it creates anything. links_remote_uq still holds: NULLs do not
--     collide.
--   * links.held: the record has open manual conflicts and waits.
--   * conflicts.applied_at: a resolved conflict's value has been merged.

ALTER TABLE ledgerd.links ALTER COLUMN remote_id DROP NOT NULL;
-- 0001 declared the status CHECK inline (named links_status_check).
ALTER TABLE ledgerd.links DROP CONSTRAINT links_status_check;
ALTER TABLE ledgerd.links
  ADD CONSTRAINT links_status_check
    CHECK (status IN ('linked', 'tombstoned', 'in_doubt')),
  ADD CONSTRAINT links_remote_id_iff_not_in_doubt
    CHECK ((status = 'in_doubt') = (remote_id IS NULL)),
  ADD COLUMN held boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ledgerd.links.remote_id IS
  'Provider key; NULL exactly while the link is in_doubt (create sent, outcome unknown)';
COMMENT ON COLUMN ledgerd.links.status IS
  'linked | tombstoned (deleted on a side and the delete propagated; kept so the pair is not re-created) | in_doubt (a create was sent with unknown outcome; remote_id NULL, base NULL; find the record by its external reference before creating again)';
COMMENT ON COLUMN ledgerd.links.held IS
  'True while the record has open conflicts (status open): the record waits. Set when a conflict opens, cleared when its last open conflict is resolved';

ALTER TABLE ledgerd.conflicts
  ADD COLUMN applied_at timestamptz,
  ADD CONSTRAINT conflicts_applied_after_resolved
    CHECK (applied_at IS NULL OR status = 'resolved');
COMMENT ON COLUMN ledgerd.conflicts.applied_at IS
  'When the resolved value was folded into a merge of the record (both sides written); NULL = resolved but not applied yet (or still open)';
-- The merge of a record asks for its resolved, not yet applied conflicts.
CREATE INDEX conflicts_unapplied_idx
  ON ledgerd.conflicts (tenant, provider, entity, local_id)
  WHERE status = 'resolved' AND applied_at IS NULL;
