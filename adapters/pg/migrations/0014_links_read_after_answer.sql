-- 0014_links_read_after_answer: links.read_after is now the time of the
-- answer that read the record in full (its Date header), no earlier than
-- the scan's start: a record read late in a long scan is not fetched again
-- by the next pull only because it changed shortly before the scan began.
COMMENT ON COLUMN ledgerd.links.read_after IS
  'Provider clock: the answer that last read the remote record in full (and was applied) told this time (at least its scan''s start; the pull allows 5 s for the answer''s clock); NULL = unknown';
