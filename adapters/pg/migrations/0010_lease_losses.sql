-- 0010_lease_losses: a job whose lease expired was not at fault: its node
-- died (kill -9, a crash, an OOM) or lost the database while it ran. Such a
-- try no longer uses up the job's tries (a node restarted now and then
-- would otherwise fail long jobs for good), up to a bound so that a job
-- which itself crashes its node does not loop forever. The forgiven try
-- raises max_attempts by one, so attempt stays the fencing token of the
-- try (it only grows) and attempt / max_attempts still reads as tries used
-- of tries allowed.
ALTER TABLE ledgerd.jobs
  ADD COLUMN lease_losses integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN ledgerd.jobs.lease_losses IS
  'How many of this job''s tries ended with an expired lease; the first few are forgiven (max_attempts raised by one each)';
