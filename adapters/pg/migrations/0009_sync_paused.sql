-- 0009_sync_paused: provider drift (a field the mapping needs is missing or
-- renamed) pauses one entity of one connection instead of failing every
-- record in a loop: the delta cursor stays where it was, pulls of that
-- entity wait, and an operator (or the API) resumes it once the cause is
-- gone; nothing is lost, the pull then starts from the cursor.
ALTER TABLE ledgerd.cursors
  ADD COLUMN paused_reason text,
  ADD COLUMN paused_at timestamptz;
COMMENT ON COLUMN ledgerd.cursors.paused_reason IS
  'Why pulls of this entity are paused (provider drift, with an example record); NULL when they run';
