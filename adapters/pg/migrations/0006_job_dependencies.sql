-- 0006_job_dependencies: a job that waits on another (an invoice's push on
-- its customer's push) asks for the newest job of that dedup key in any
-- state, to tell "still making progress" from "failed for good". The
-- active-only unique index of 0001 cannot answer for failed jobs.
CREATE INDEX jobs_dedup_key_idx ON ledgerd.jobs (dedup_key, id)
  WHERE dedup_key IS NOT NULL;
