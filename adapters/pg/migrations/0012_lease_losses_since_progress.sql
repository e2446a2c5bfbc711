-- 0012_lease_losses_since_progress: a job that moves forward between the
-- deaths of its node is not the job that kills it. lease_losses now counts
-- the losses since the job last saved progress (saving progress resets it),
-- so a long pull that advances page by page through many restarts keeps its
-- tries (found by scripts/soak 30: pulls killed with their node every 45 s
-- failed for good with "lease expired" though each try applied pages). A
-- job that crashes its node makes no progress and still ends after the
-- bound. forgiven_losses counts every forgiven loss (each raised
-- max_attempts by one), so a manual retry can take them all back.
ALTER TABLE ledgerd.jobs
  ADD COLUMN forgiven_losses integer NOT NULL DEFAULT 0;
UPDATE ledgerd.jobs SET forgiven_losses = LEAST(lease_losses, 5);
COMMENT ON COLUMN ledgerd.jobs.lease_losses IS
  'How many of this job''s tries ended with an expired lease since it last saved progress; the first few are forgiven (max_attempts raised by one each)';
COMMENT ON COLUMN ledgerd.jobs.forgiven_losses IS
  'How many lost leases were forgiven in all (each raised max_attempts by one); a manual retry takes them back';
