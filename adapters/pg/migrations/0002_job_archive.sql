-- 0002_job_archive: keeps the hot job queue small (DESIGN.md §2, job store).
--
-- Completed jobs leave ledgerd.jobs in the statement that completes them and
-- land in ledgerd.jobs_done, an insert-only archive that retention prunes in
-- chunks. ledgerd.jobs then only holds live work (pending, processing) and
-- failed jobs (kept until retried or pruned), so the queue's table and
-- indexes stay the size of the backlog instead of growing with history.
--
-- job_events outlives the move, so it no longer references ledgerd.jobs by a
-- foreign key. Deleting a job from ledgerd.jobs still deletes its events
-- (as 0001 promised) unless the job was archived in the same statement.
--
-- Runs inside one transaction (migration runner); no BEGIN/COMMIT.

CREATE TABLE ledgerd.jobs_done (
  id           bigint PRIMARY KEY,
  tenant       text NOT NULL,
  provider     text NOT NULL,
  kind         text NOT NULL,
  payload      jsonb NOT NULL,
  priority     smallint NOT NULL,
  attempt      integer NOT NULL,
  max_attempts integer NOT NULL,
  run_at       timestamptz NOT NULL,
  dedup_key    text,
  batch_id     bigint,
  progress     jsonb,
  last_error   text,
  created_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL
);
COMMENT ON TABLE ledgerd.jobs_done IS
  'Archive of completed jobs: moved out of ledgerd.jobs (same id) by the statement that completes them; insert-only until retention deletes them with their job_events. No foreign keys, so archiving costs no lookups';
COMMENT ON COLUMN ledgerd.jobs_done.attempt IS 'The attempt that completed the job';
COMMENT ON COLUMN ledgerd.jobs_done.batch_id IS
  'Batch the job counted towards (ledgerd.batches.id, not enforced)';
COMMENT ON COLUMN ledgerd.jobs_done.last_error IS
  'Error of the latest failed attempt before the one that succeeded, if any';
COMMENT ON COLUMN ledgerd.jobs_done.finished_at IS 'When the job completed; retention keys on it';
-- Retention: DELETE ... WHERE finished_at < cutoff, oldest first, in chunks.
CREATE INDEX jobs_done_finished_idx ON ledgerd.jobs_done (finished_at);

-- job_events rows of archived jobs must survive the DELETE from ledgerd.jobs.
ALTER TABLE ledgerd.job_events DROP CONSTRAINT job_events_job_id_fkey;
COMMENT ON TABLE ledgerd.job_events IS
  'Audit log: one row per job state transition, written by the job store in the statement of the transition. job_id refers to ledgerd.jobs or ledgerd.jobs_done; the rows are deleted with the job (jobs_delete_events, and job-store retention for archived jobs)';

-- Statement-level (one call per DELETE, not per row) with a transition table.
-- Written so that every plan reaches the archive and the events through
-- their indexes (= ANY of an array), never by hashing the whole archive; and
-- EXECUTEd so that it is planned afresh with the current table sizes rather
-- than cached from the time the tables were empty.
CREATE FUNCTION ledgerd.jobs_delete_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'DELETE FROM ledgerd.job_events WHERE job_id = ANY (ARRAY('
          'SELECT id FROM deleted_jobs EXCEPT '
          'SELECT a.id FROM ledgerd.jobs_done a '
          'WHERE a.id = ANY (ARRAY(SELECT id FROM deleted_jobs))))';
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION ledgerd.jobs_delete_events() IS
  'AFTER DELETE (statement) on jobs: deletes the job_events of deleted jobs, except of those archived into jobs_done by the same statement';
CREATE TRIGGER jobs_delete_events AFTER DELETE ON ledgerd.jobs
  REFERENCING OLD TABLE AS deleted_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION ledgerd.jobs_delete_events();

-- The 0001 row triggers, now with WHEN conditions that skip the PL/pgSQL call
-- when it would change nothing. Same behaviour, but the job store (which sets
-- updated_at and finished_at itself) no longer pays a function call per row
-- on every claim and transition.
DROP TRIGGER jobs_finished_at ON ledgerd.jobs;
CREATE TRIGGER jobs_finished_at BEFORE INSERT OR UPDATE OF state, finished_at
  ON ledgerd.jobs FOR EACH ROW
  WHEN ((NEW.state IN ('completed', 'failed')) = (NEW.finished_at IS NULL))
  EXECUTE FUNCTION ledgerd.jobs_set_finished_at();
DROP TRIGGER jobs_touch ON ledgerd.jobs;
CREATE TRIGGER jobs_touch BEFORE UPDATE ON ledgerd.jobs FOR EACH ROW
  WHEN (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at)
  EXECUTE FUNCTION ledgerd.touch_updated_at();

-- The queue table churns (insert, claim, delete) at thousands of rows per
-- second: vacuum it early and without throttling so dead tuples are reused
-- instead of growing the table and the claim index.
ALTER TABLE ledgerd.jobs SET (
  autovacuum_vacuum_scale_factor = 0.01,
  autovacuum_vacuum_threshold = 1000,
  autovacuum_vacuum_insert_scale_factor = 0.05,
  autovacuum_vacuum_cost_delay = 0,
  autovacuum_analyze_scale_factor = 0.02
);
ALTER TABLE ledgerd.job_events SET (autovacuum_vacuum_cost_delay = 0);
ALTER TABLE ledgerd.jobs_done SET (autovacuum_vacuum_cost_delay = 0);
