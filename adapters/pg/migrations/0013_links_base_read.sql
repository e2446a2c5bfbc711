-- 0013_links_base_read: two jobs may read one remote record at once, and
-- the answer that comes later need not hold the newer state. The link keeps
-- when the read (or write) behind its base was asked and answered, on
-- ledgerd's clock: a read answered before that was asked is older than the
-- base and is not applied; one that overlaps it is made again before it
-- changes anything (state/read_order.hpp).
ALTER TABLE ledgerd.links
  ADD COLUMN base_asked_at timestamptz,
  ADD COLUMN base_answered_at timestamptz;
COMMENT ON COLUMN ledgerd.links.base_asked_at IS
  'ledgerd clock: when the provider read or write behind base was asked; NULL = unknown';
COMMENT ON COLUMN ledgerd.links.base_answered_at IS
  'ledgerd clock: when the answer of the read or write behind base came; NULL = unknown';
