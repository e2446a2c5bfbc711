-- 0003_jobs_notify: wakes the dispatchers when jobs are enqueued.
--
-- One NOTIFY per INSERT statement (not per row), so a batch enqueue of
-- thousands of jobs costs one notification. NOTIFY is delivered at commit and
-- only to sessions listening at that moment: it is a wake-up, never the
-- data; dispatchers also poll, and claim whatever is due.
CREATE FUNCTION ledgerd.jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ledgerd_jobs', '');
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION ledgerd.jobs_notify() IS
  'AFTER INSERT (statement) on jobs: NOTIFY ledgerd_jobs so dispatchers claim without waiting for their poll';
CREATE TRIGGER jobs_notify AFTER INSERT ON ledgerd.jobs
  FOR EACH STATEMENT EXECUTE FUNCTION ledgerd.jobs_notify();
