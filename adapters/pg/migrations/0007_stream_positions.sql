-- 0007_stream_positions: stream offsets are opaque strings (Fortnox), so
-- they cannot be compared to tell an older commit from a newer one. Each
-- row also keeps the committer's position in the topic: the number of
-- events after the position it resumed from, counted on from the stored
-- position. A commit applies only if its position is higher: a lagging
-- stream (another node's, an older run's) never moves an offset back.
ALTER TABLE ledgerd.stream_offsets
  ADD COLUMN position bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN ledgerd.stream_offsets.position IS
  'Position of last_offset in its topic as counted by the streams that committed it; a commit with a position not above it is refused';
