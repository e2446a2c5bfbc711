-- 0001_schema: ledgerd's initial schema (DESIGN.md §2).
--
-- Runs inside one transaction, applied by the migration runner, which also
-- owns ledgerd.schema_migrations (not created here). No BEGIN/COMMIT, no
-- CREATE INDEX CONCURRENTLY.
--
-- Two schemas:
--   ledgerd  the engine's own state: job queue, batches, links (+ base
--            snapshots), cursors and stream offsets, conflicts, inbox,
--            credentials and the outbox of local changes.
--   ledger   the company's canonical customers and invoices (+ rows). The
--            company's app writes these (or maps its own tables onto them
--            with views); triggers record every change in ledgerd.outbox and
--            wake ledgerd with NOTIFY.
--
-- Conventions:
--   * tenant: ledgerd's tenant id (text) on every tenant-scoped row.
--   * provider: 'fortnox' | 'visma' (free text so that a provider can be added
--     without a migration).
--   * entity: 'customer' | 'invoice' (CHECKed: a new entity needs local tables
--     and therefore a migration anyway).
--   * local_id: ledger.<table>.id rendered as text; remote_id: the provider's
--     key as text (Fortnox CustomerNumber / DocumentNumber, Visma Id GUID).
--   * Money is integer minor units of the record's currency (bigint, e.g. öre
--     for SEK); no floating point column exists anywhere in this schema.
--   * Timestamps are timestamptz. Columns named updated_at are maintained by
--     ledgerd.touch_updated_at() (see there).

CREATE SCHEMA IF NOT EXISTS ledgerd;
COMMENT ON SCHEMA ledgerd IS
  'ledgerd sync engine state: jobs, batches, links, cursors, conflicts, inbox, credentials, outbox';

CREATE SCHEMA IF NOT EXISTS ledger;
COMMENT ON SCHEMA ledger IS
  'Canonical local customers and invoices written by the company''s app and kept in sync by ledgerd';

-- ---------------------------------------------------------------------------
-- Shared trigger: updated_at
-- ---------------------------------------------------------------------------

-- BEFORE UPDATE: sets updated_at to now() (the transaction's start time)
-- unless the statement itself assigned a different updated_at. That lets code
-- with an injected clock (tests, replays) set the value explicitly, while
-- every ordinary UPDATE gets a fresh timestamp without having to remember it.
CREATE FUNCTION ledgerd.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION ledgerd.touch_updated_at() IS
  'BEFORE UPDATE trigger: updated_at := now() unless the UPDATE set updated_at to a new value itself';

-- ---------------------------------------------------------------------------
-- batches
-- ---------------------------------------------------------------------------

CREATE TABLE ledgerd.batches (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant      text NOT NULL,
  kind        text NOT NULL,
  total       integer NOT NULL DEFAULT 0 CHECK (total >= 0),
  completed   integer NOT NULL DEFAULT 0 CHECK (completed >= 0),
  failed      integer NOT NULL DEFAULT 0 CHECK (failed >= 0),
  state       text NOT NULL DEFAULT 'running'
              CHECK (state IN ('running', 'completed', 'partial', 'failed')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  CONSTRAINT batches_counts_within_total CHECK (completed + failed <= total),
  CONSTRAINT batches_finished_iff_terminal
    CHECK ((state = 'running') = (finished_at IS NULL))
);
COMMENT ON TABLE ledgerd.batches IS
  'A sync run or bulk request grouping jobs; counts give progress and partial success';
COMMENT ON COLUMN ledgerd.batches.kind IS
  'What the batch is, e.g. full_sync, delta_pull, reconcile, bulk_push';
COMMENT ON COLUMN ledgerd.batches.total IS
  'Number of jobs in the batch so far (grows while the batch plans more work); completed + failed <= total';
COMMENT ON COLUMN ledgerd.batches.completed IS 'Jobs of the batch that ended completed';
COMMENT ON COLUMN ledgerd.batches.failed IS 'Jobs of the batch that ended failed (terminally)';
COMMENT ON COLUMN ledgerd.batches.state IS
  'running | completed (all jobs completed) | partial (some failed) | failed (all failed or aborted); finished_at is set exactly when not running';
CREATE INDEX batches_tenant_created_idx ON ledgerd.batches (tenant, created_at DESC);
CREATE TRIGGER batches_touch BEFORE UPDATE ON ledgerd.batches
  FOR EACH ROW EXECUTE FUNCTION ledgerd.touch_updated_at();

-- ---------------------------------------------------------------------------
-- jobs + job_events
-- ---------------------------------------------------------------------------

CREATE TABLE ledgerd.jobs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant       text NOT NULL,
  provider     text NOT NULL,
  kind         text NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
  priority     smallint NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
  state        text NOT NULL DEFAULT 'pending'
               CHECK (state IN ('pending', 'processing', 'completed', 'failed')),
  attempt      integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  run_at       timestamptz NOT NULL DEFAULT now(),
  lease_owner  text,
  lease_until  timestamptz,
  dedup_key    text,
  batch_id     bigint REFERENCES ledgerd.batches (id) ON DELETE SET NULL,
  progress     jsonb,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  -- A processing job without a lease could never be taken back after its
  -- owner died.
  CONSTRAINT jobs_processing_has_lease CHECK (
    state <> 'processing' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL)),
  -- Retention keys on finished_at; jobs_set_finished_at() keeps this true.
  CONSTRAINT jobs_finished_iff_terminal CHECK (
    (state IN ('completed', 'failed')) = (finished_at IS NOT NULL))
);
COMMENT ON TABLE ledgerd.jobs IS
  'Durable job queue. pending -> processing -> completed | failed; a retry is processing -> pending with a later run_at; failed is terminal. Claimed with FOR UPDATE SKIP LOCKED ordered by priority DESC, run_at. Every transition is logged in job_events.';
COMMENT ON COLUMN ledgerd.jobs.kind IS
  'What to do, e.g. pull, push, reconcile, refresh_token; interpreted with payload';
COMMENT ON COLUMN ledgerd.jobs.payload IS 'Kind-specific arguments (entity, ids, ...)';
COMMENT ON COLUMN ledgerd.jobs.priority IS
  '0 backfill, 1 poll, 2 event, 3 manual; higher runs first';
COMMENT ON COLUMN ledgerd.jobs.state IS
  'pending | processing (leased) | completed | failed (terminal)';
COMMENT ON COLUMN ledgerd.jobs.attempt IS
  'Attempts started so far (incremented on claim); compared with max_attempts to decide retry vs failed';
COMMENT ON COLUMN ledgerd.jobs.max_attempts IS 'Attempts allowed before the job fails terminally';
COMMENT ON COLUMN ledgerd.jobs.run_at IS
  'Not claimable before this time (retry backoff, scheduled polls)';
COMMENT ON COLUMN ledgerd.jobs.lease_owner IS
  'Node/worker holding the job while processing';
COMMENT ON COLUMN ledgerd.jobs.lease_until IS
  'Lease expiry; a processing job past it is taken back (retried or failed)';
COMMENT ON COLUMN ledgerd.jobs.dedup_key IS
  'Idempotency key, unique among pending/processing jobs (jobs_dedup_key_active_uq). The key space is global, so keys must include tenant and provider, e.g. ''acme:fortnox:pull:invoice''. NULL = never deduplicated. A caller that needs a rerun after the processing job must leave its trigger (e.g. the outbox row) unconsumed when the insert conflicts.';
COMMENT ON COLUMN ledgerd.jobs.batch_id IS 'Batch this job counts towards, if any';
COMMENT ON COLUMN ledgerd.jobs.progress IS
  'Resumable progress (page, cursor, in-doubt create marker...) committed as the job advances';
COMMENT ON COLUMN ledgerd.jobs.last_error IS 'Error of the latest failed attempt';
COMMENT ON COLUMN ledgerd.jobs.finished_at IS
  'When the job reached completed or failed; set automatically if left NULL, cleared if the job leaves a terminal state';

-- Enqueue is idempotent: at most one live (pending or processing) job per key.
CREATE UNIQUE INDEX jobs_dedup_key_active_uq ON ledgerd.jobs (dedup_key)
  WHERE state IN ('pending', 'processing') AND dedup_key IS NOT NULL;
-- Claim: WHERE state = 'pending' AND run_at <= now()
--        ORDER BY priority DESC, run_at FOR UPDATE SKIP LOCKED LIMIT n
CREATE INDEX jobs_claim_idx ON ledgerd.jobs (priority DESC, run_at)
  WHERE state = 'pending';
-- Per-tenant claims (fairness) and queue depth per tenant/state/priority.
CREATE INDEX jobs_tenant_idx ON ledgerd.jobs (tenant, state, priority DESC, run_at);
-- Lease expiry sweep: WHERE state = 'processing' AND lease_until < now().
CREATE INDEX jobs_lease_expiry_idx ON ledgerd.jobs (lease_until)
  WHERE state = 'processing';
-- Retention: delete terminal jobs WHERE finished_at < now() - interval.
CREATE INDEX jobs_retention_idx ON ledgerd.jobs (finished_at)
  WHERE state IN ('completed', 'failed');
-- Batch progress and the FK's ON DELETE SET NULL.
CREATE INDEX jobs_batch_idx ON ledgerd.jobs (batch_id) WHERE batch_id IS NOT NULL;

-- BEFORE INSERT OR UPDATE: keeps finished_at consistent with the state.
CREATE FUNCTION ledgerd.jobs_set_finished_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state IN ('completed', 'failed') THEN
    IF NEW.finished_at IS NULL THEN
      NEW.finished_at := now();
    END IF;
  ELSE
    NEW.finished_at := NULL;
  END IF;
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION ledgerd.jobs_set_finished_at() IS
  'jobs: finished_at := now() when entering completed/failed without one; NULL in other states';
CREATE TRIGGER jobs_finished_at BEFORE INSERT OR UPDATE OF state, finished_at
  ON ledgerd.jobs FOR EACH ROW EXECUTE FUNCTION ledgerd.jobs_set_finished_at();
CREATE TRIGGER jobs_touch BEFORE UPDATE ON ledgerd.jobs
  FOR EACH ROW EXECUTE FUNCTION ledgerd.touch_updated_at();

CREATE TABLE ledgerd.job_events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id     bigint NOT NULL REFERENCES ledgerd.jobs (id) ON DELETE CASCADE,
  from_state text CHECK (from_state IN ('pending', 'processing', 'completed', 'failed')),
  to_state   text NOT NULL
             CHECK (to_state IN ('pending', 'processing', 'completed', 'failed')),
  attempt    integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  error      text,
  at         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ledgerd.job_events IS
  'Audit log: one row per job state transition, written by the job store in the transaction of the transition; deleted with the job';
COMMENT ON COLUMN ledgerd.job_events.from_state IS 'NULL when the job was created';
COMMENT ON COLUMN ledgerd.job_events.attempt IS 'jobs.attempt after the transition';
COMMENT ON COLUMN ledgerd.job_events.error IS 'Error that caused the transition (retry or failure), if any';
CREATE INDEX job_events_job_idx ON ledgerd.job_events (job_id, at);

-- ---------------------------------------------------------------------------
-- links: local_id <-> remote_id and the merge base
-- ---------------------------------------------------------------------------

CREATE TABLE ledgerd.links (
  tenant         text NOT NULL,
  provider       text NOT NULL,
  entity         text NOT NULL CHECK (entity IN ('customer', 'invoice')),
  local_id       text NOT NULL,
  remote_id      text NOT NULL,
  base           jsonb,
  base_hash      text,
  remote_version text,
  local_version  text,
  status         text NOT NULL DEFAULT 'linked' CHECK (status IN ('linked', 'tombstoned')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, provider, entity, local_id),
  CONSTRAINT links_remote_uq UNIQUE (tenant, provider, entity, remote_id),
  CONSTRAINT links_base_hash_with_base CHECK ((base IS NULL) = (base_hash IS NULL))
);
COMMENT ON TABLE ledgerd.links IS
  'Pairs a local record with its provider record and holds the three-way-merge base';
COMMENT ON COLUMN ledgerd.links.base IS
  'Base snapshot: the last canonical JSON both sides agreed on; NULL only while a first link awaits a decision';
COMMENT ON COLUMN ledgerd.links.base_hash IS
  'Hash of the canonical JSON in base (cheap "did it change" check); NULL iff base is NULL';
COMMENT ON COLUMN ledgerd.links.remote_version IS
  'Opaque remote version the base corresponds to (Visma ModifiedUtc/ChangedUtc; Fortnox has none: hash of the mapped record)';
COMMENT ON COLUMN ledgerd.links.local_version IS
  'Opaque local version the base corresponds to (e.g. the local updated_at or the last outbox id folded in)';
COMMENT ON COLUMN ledgerd.links.status IS
  'linked | tombstoned (deleted on a side and the delete propagated; kept so the pair is not re-created)';

-- ---------------------------------------------------------------------------
-- cursors and stream offsets
-- ---------------------------------------------------------------------------
-- Two tables rather than one with a kind column: the keys differ (a delta
-- watermark is per tenant, a Fortnox topic offset is per provider connection
-- shared by all tenants) and each gets a real primary key.

CREATE TABLE ledgerd.cursors (
  tenant        text NOT NULL,
  provider      text NOT NULL,
  entity        text NOT NULL CHECK (entity IN ('customer', 'invoice')),
  watermark     timestamptz,
  cursor        text,
  reconciled_at timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, provider, entity)
);
COMMENT ON TABLE ledgerd.cursors IS
  'Delta-sync position per (tenant, provider, entity); advanced only after the pages it covers are committed';
COMMENT ON COLUMN ledgerd.cursors.watermark IS
  'Next delta pull asks for changes since this time: scan start (provider server time where available) minus the overlap window. NULL = never pulled (full scan)';
COMMENT ON COLUMN ledgerd.cursors.cursor IS
  'Opaque provider cursor/page token when the provider has one, else NULL';
COMMENT ON COLUMN ledgerd.cursors.reconciled_at IS
  'Start time of the last complete id reconciliation (finds hard deletes)';

CREATE TABLE ledgerd.stream_offsets (
  provider    text NOT NULL,
  topic       text NOT NULL,
  last_offset text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, topic)
);
COMMENT ON TABLE ledgerd.stream_offsets IS
  'Event-stream position per (provider, topic), e.g. Fortnox WebSocket topics; replay resumes from here after a reconnect';
COMMENT ON COLUMN ledgerd.stream_offsets.last_offset IS
  'Offset (opaque string) of the last event handled and committed; named last_offset because OFFSET is reserved in SQL';

CREATE TRIGGER links_touch BEFORE UPDATE ON ledgerd.links
  FOR EACH ROW EXECUTE FUNCTION ledgerd.touch_updated_at();
CREATE TRIGGER cursors_touch BEFORE UPDATE ON ledgerd.cursors
  FOR EACH ROW EXECUTE FUNCTION ledgerd.touch_updated_at();
CREATE TRIGGER stream_offsets_touch BEFORE UPDATE ON ledgerd.stream_offsets
  FOR EACH ROW EXECUTE FUNCTION ledgerd.touch_updated_at();

-- ---------------------------------------------------------------------------
-- conflicts
-- ---------------------------------------------------------------------------

CREATE TABLE ledgerd.conflicts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant         text NOT NULL,
  provider       text NOT NULL,
  entity         text NOT NULL CHECK (entity IN ('customer', 'invoice')),
  local_id       text NOT NULL,
  remote_id      text,
  field          text NOT NULL,
  base_value     jsonb,
  local_value    jsonb,
  remote_value   jsonb,
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  resolution     text CHECK (resolution IN ('local', 'remote', 'custom')),
  resolved_value jsonb,
  resolved_by    text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz,
  CONSTRAINT conflicts_resolved_complete CHECK (
    (status = 'resolved') = (resolution IS NOT NULL AND resolved_at IS NOT NULL)),
  CONSTRAINT conflicts_custom_has_value CHECK (
    resolution IS DISTINCT FROM 'custom' OR resolved_value IS NOT NULL)
);
COMMENT ON TABLE ledgerd.conflicts IS
  'Field-level conflicts (merge policy manual) waiting for a person; the record waits until resolved';
COMMENT ON COLUMN ledgerd.conflicts.remote_id IS 'Provider key, NULL if the record is not on the remote side';
COMMENT ON COLUMN ledgerd.conflicts.field IS
  'Canonical field name; a delete-vs-change conflict uses the pseudo-field ''_deleted''';
COMMENT ON COLUMN ledgerd.conflicts.base_value IS
  'Value in the base snapshot; SQL NULL when there is no base (first link)';
COMMENT ON COLUMN ledgerd.conflicts.local_value IS 'Local value when detected (JSON null = empty/absent)';
COMMENT ON COLUMN ledgerd.conflicts.remote_value IS 'Remote value when detected (JSON null = empty/absent)';
COMMENT ON COLUMN ledgerd.conflicts.resolution IS
  'local | remote | custom (resolved_value holds the chosen value); set with status resolved';
COMMENT ON COLUMN ledgerd.conflicts.resolved_value IS
  'Value both sides converge to; required for resolution custom (for local/remote it may repeat the chosen value)';
COMMENT ON COLUMN ledgerd.conflicts.resolved_by IS 'Who resolved it (user, API client)';
COMMENT ON COLUMN ledgerd.conflicts.status IS
  'open (record waits) | resolved (resolution, resolved_at set; converging writes enqueued)';
CREATE INDEX conflicts_open_idx ON ledgerd.conflicts (tenant, created_at)
  WHERE status = 'open';
CREATE UNIQUE INDEX conflicts_open_uq
  ON ledgerd.conflicts (tenant, provider, entity, local_id, field)
  WHERE status = 'open';

-- ---------------------------------------------------------------------------
-- inbox
-- ---------------------------------------------------------------------------

CREATE TABLE ledgerd.inbox (
  source       text NOT NULL,
  event_id     text NOT NULL,
  tenant       text,
  payload      jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  PRIMARY KEY (source, event_id)
);
COMMENT ON TABLE ledgerd.inbox IS
  'Received provider events, keyed so that redelivery is harmless: INSERT ... ON CONFLICT DO NOTHING in the transaction that enqueues the resulting job';
COMMENT ON COLUMN ledgerd.inbox.source IS
  'Event source, e.g. ''webhook:<provider>'' or ''fortnox-ws:<topic>''';
COMMENT ON COLUMN ledgerd.inbox.event_id IS
  'Source-unique event id (webhook-id header, Fortnox topic offset)';
COMMENT ON COLUMN ledgerd.inbox.tenant IS 'ledgerd tenant the event maps to; NULL if unknown';
COMMENT ON COLUMN ledgerd.inbox.payload IS
  'The event as received (signatures are verified on the raw body before it is stored)';
COMMENT ON COLUMN ledgerd.inbox.processed_at IS 'When the event''s job was enqueued; NULL = not yet';
CREATE INDEX inbox_unprocessed_idx ON ledgerd.inbox (received_at)
  WHERE processed_at IS NULL;
CREATE INDEX inbox_received_idx ON ledgerd.inbox (received_at);

-- ---------------------------------------------------------------------------
-- credentials
-- ---------------------------------------------------------------------------

CREATE TABLE ledgerd.credentials (
  tenant        text NOT NULL,
  provider      text NOT NULL,
  access_token  text,
  refresh_token text,
  expires_at    timestamptz,
  rotated_at    timestamptz,
  version       bigint NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, provider)
);
COMMENT ON TABLE ledgerd.credentials IS
  'OAuth tokens per (tenant, provider). Refresh is single-flight; a rotated refresh token is stored (compare-and-set on version) before the new access token is used';
COMMENT ON COLUMN ledgerd.credentials.access_token IS 'Current access token (NULL until the first token request)';
COMMENT ON COLUMN ledgerd.credentials.refresh_token IS
  'Current refresh token; single use for Visma and Fortnox, so losing a rotated one ends the grant';
COMMENT ON COLUMN ledgerd.credentials.expires_at IS 'Access token expiry';
COMMENT ON COLUMN ledgerd.credentials.rotated_at IS 'When the tokens were last replaced by a refresh';
COMMENT ON COLUMN ledgerd.credentials.version IS
  'Compare-and-set token: UPDATE ... WHERE tenant = $1 AND provider = $2 AND version = $seen; 0 rows means another refresher won. Incremented by 1 on every UPDATE by trigger';

-- BEFORE UPDATE: every update bumps the version exactly once, so a writer
-- that forgets to bump it cannot break compare-and-set.
CREATE FUNCTION ledgerd.credentials_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := OLD.version + 1;
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION ledgerd.credentials_bump_version() IS
  'credentials: version := old version + 1 on every UPDATE';
CREATE TRIGGER credentials_version BEFORE UPDATE ON ledgerd.credentials
  FOR EACH ROW EXECUTE FUNCTION ledgerd.credentials_bump_version();
CREATE TRIGGER credentials_touch BEFORE UPDATE ON ledgerd.credentials
  FOR EACH ROW EXECUTE FUNCTION ledgerd.touch_updated_at();

-- ---------------------------------------------------------------------------
-- outbox: local changes waiting to be pushed
-- ---------------------------------------------------------------------------

CREATE TABLE ledgerd.outbox (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant       text NOT NULL,
  entity       text NOT NULL CHECK (entity IN ('customer', 'invoice')),
  local_id     text NOT NULL,
  op           text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  changed_at   timestamptz NOT NULL DEFAULT now(),
  payload      jsonb,
  xact_id      xid8 NOT NULL DEFAULT pg_current_xact_id(),
  processed_at timestamptz
);
COMMENT ON TABLE ledgerd.outbox IS
  'Local changes captured by triggers on ledger.*, consumed as a queue (claim WHERE processed_at IS NULL FOR UPDATE SKIP LOCKED, enqueue the push job, set processed_at) - never read by id position, since ids commit out of order';
COMMENT ON COLUMN ledgerd.outbox.local_id IS
  'ledger.customers.id or ledger.invoices.id (as text); invoice row changes are recorded against their invoice';
COMMENT ON COLUMN ledgerd.outbox.op IS
  'insert | update | delete; a soft delete (deleted_at set) and a hard DELETE are both delete; clearing deleted_at is an update';
COMMENT ON COLUMN ledgerd.outbox.changed_at IS
  'Local change time (transaction start), used as the local side''s time by last_write_wins';
COMMENT ON COLUMN ledgerd.outbox.payload IS
  'Row image for diagnostics: the new row (the old one for a hard delete); for invoice row changes {"row_op", "invoice_row"}. Push jobs read the current state, not this';
COMMENT ON COLUMN ledgerd.outbox.xact_id IS
  'Writing transaction, for readers that need commit-safe positions: only rows with xact_id < pg_snapshot_xmin(pg_current_snapshot()) are final';
COMMENT ON COLUMN ledgerd.outbox.processed_at IS 'When a push job was enqueued for this change; NULL = pending';
CREATE INDEX outbox_unprocessed_idx ON ledgerd.outbox (id) WHERE processed_at IS NULL;
CREATE INDEX outbox_processed_idx ON ledgerd.outbox (processed_at)
  WHERE processed_at IS NOT NULL;

-- ---------------------------------------------------------------------------
-- Local change capture (outbox + NOTIFY)
-- ---------------------------------------------------------------------------
--
-- Echo suppression: when ledgerd applies a remote change to ledger.* it sets
--
--     SET LOCAL ledgerd.applying_remote = 'on';
--     -- or: SELECT set_config('ledgerd.applying_remote', 'on', true);
--
-- in that transaction. The capture triggers then record nothing (no outbox
-- row, no NOTIFY), so a pulled change does not come back as a local change
-- and bounce between the two sides. SET LOCAL (is_local = true) ends with the
-- transaction, so the flag cannot leak into later work on a pooled
-- connection; a session-wide SET works too but must be RESET. Any other value
-- or an unset/empty setting means "capture". The company's app must never set
-- it. updated_at is still maintained during such writes.
--
-- The functions below are SECURITY DEFINER (owned by ledgerd's migration
-- role) so that an app role with rights on ledger.* only can still write the
-- outbox; search_path is pinned and every name is schema-qualified.

-- Appends one outbox row and wakes listeners on channel ledgerd_outbox with
-- {"tenant", "entity", "local_id", "outbox_id"}. NOTIFY is delivered at
-- commit only and lost by anyone not listening then: it is a wake-up, the
-- outbox table is the data.
CREATE FUNCTION ledgerd.record_local_change(
  p_tenant text, p_entity text, p_local_id text, p_op text, p_payload jsonb)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  INSERT INTO ledgerd.outbox (tenant, entity, local_id, op, payload)
  VALUES (p_tenant, p_entity, p_local_id, p_op, p_payload)
  RETURNING id INTO v_id;
  PERFORM pg_notify('ledgerd_outbox',
                    json_build_object('tenant', p_tenant, 'entity', p_entity,
                                      'local_id', p_local_id,
                                      'outbox_id', v_id)::text);
  RETURN v_id;
END;
$$;
COMMENT ON FUNCTION ledgerd.record_local_change(text, text, text, text, jsonb) IS
  'Inserts an outbox row and pg_notify(''ledgerd_outbox'', {tenant, entity, local_id, outbox_id}); returns the outbox id';
-- Runs with the owner's rights: only the capture triggers (which run as the
-- owner too) may call it, not every role that can see the schema.
REVOKE ALL ON FUNCTION ledgerd.record_local_change(text, text, text, text, jsonb) FROM PUBLIC;

-- True while ledgerd applies remote changes in this transaction/session.
CREATE FUNCTION ledgerd.applying_remote() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(current_setting('ledgerd.applying_remote', true), '') = 'on'
$$;
COMMENT ON FUNCTION ledgerd.applying_remote() IS
  'current_setting(''ledgerd.applying_remote'') = ''on'': writes are ledgerd applying remote changes and must not be captured';

-- AFTER INSERT/UPDATE/DELETE on ledger.customers and ledger.invoices;
-- TG_ARGV[0] is the entity name. Updates that change nothing but updated_at
-- are not recorded. deleted_at NULL -> non-NULL is recorded as delete.
CREATE FUNCTION ledgerd.capture_local_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_entity text := TG_ARGV[0];
  v_op     text;
BEGIN
  IF ledgerd.applying_remote() THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    PERFORM ledgerd.record_local_change(NEW.tenant, v_entity, NEW.id::text,
                                        'insert', to_jsonb(NEW));
  ELSIF TG_OP = 'UPDATE' THEN
    IF (to_jsonb(NEW) - 'updated_at') = (to_jsonb(OLD) - 'updated_at') THEN
      RETURN NULL;
    END IF;
    IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
      v_op := 'delete';
    ELSE
      v_op := 'update';
    END IF;
    PERFORM ledgerd.record_local_change(NEW.tenant, v_entity, NEW.id::text,
                                        v_op, to_jsonb(NEW));
  ELSE
    PERFORM ledgerd.record_local_change(OLD.tenant, v_entity, OLD.id::text,
                                        'delete', to_jsonb(OLD));
  END IF;
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION ledgerd.capture_local_change() IS
  'Trigger on ledger.customers/invoices: records insert/update/delete (soft or hard) in ledgerd.outbox unless ledgerd.applying_remote is on';

-- AFTER INSERT/UPDATE/DELETE on ledger.invoice_rows: a row change is an
-- update of its invoice. Rows removed by the cascade of a hard-deleted
-- invoice record nothing (the invoice's own delete is recorded).
CREATE FUNCTION ledgerd.capture_invoice_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_row     jsonb;
  v_ids     uuid[];
  v_id      uuid;
  v_tenant  text;
BEGIN
  IF ledgerd.applying_remote() THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    v_row := to_jsonb(NEW);
    v_ids := ARRAY[NEW.invoice_id];
  ELSIF TG_OP = 'UPDATE' THEN
    IF (to_jsonb(NEW) - 'updated_at') = (to_jsonb(OLD) - 'updated_at') THEN
      RETURN NULL;
    END IF;
    v_row := to_jsonb(NEW);
    -- A row moved to another invoice changes both invoices.
    v_ids := CASE WHEN NEW.invoice_id = OLD.invoice_id THEN ARRAY[NEW.invoice_id]
                  ELSE ARRAY[OLD.invoice_id, NEW.invoice_id] END;
  ELSE
    v_row := to_jsonb(OLD);
    v_ids := ARRAY[OLD.invoice_id];
  END IF;
  FOREACH v_id IN ARRAY v_ids LOOP
    SELECT i.tenant INTO v_tenant FROM ledger.invoices i WHERE i.id = v_id;
    IF FOUND THEN
      PERFORM ledgerd.record_local_change(
        v_tenant, 'invoice', v_id::text, 'update',
        jsonb_build_object('row_op', lower(TG_OP), 'invoice_row', v_row));
    END IF;
  END LOOP;
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION ledgerd.capture_invoice_row_change() IS
  'Trigger on ledger.invoice_rows: records an update of the parent invoice in ledgerd.outbox unless ledgerd.applying_remote is on';

-- ---------------------------------------------------------------------------
-- ledger: canonical local tables
-- ---------------------------------------------------------------------------

CREATE TABLE ledger.customers (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant          text NOT NULL,
  customer_number text,
  name            text NOT NULL,
  org_number      text,
  vat_number      text,
  email           text,
  phone           text,
  address1        text,
  address2        text,
  postal_code     text,
  city            text,
  country_code    text CHECK (country_code ~ '^[A-Z]{2}$'),
  currency        text NOT NULL DEFAULT 'SEK' CHECK (currency ~ '^[A-Z]{3}$'),
  active          boolean NOT NULL DEFAULT true,
  external_ref    text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at      timestamptz,
  -- Target of ledger.invoices' (tenant, customer_id) foreign key.
  CONSTRAINT customers_tenant_id_uq UNIQUE (tenant, id)
);
COMMENT ON TABLE ledger.customers IS
  'Canonical customers of each tenant, written by the company''s app; changes are captured into ledgerd.outbox. Delete = set deleted_at';
COMMENT ON COLUMN ledger.customers.id IS 'Local id; pushed to the provider in its external reference field so an in-doubt create can be found again';
COMMENT ON COLUMN ledger.customers.customer_number IS
  'Customer number shown to people (Fortnox CustomerNumber, Visma CustomerNumber); NULL until assigned (the provider may assign it on create). Unique per tenant among live customers';
COMMENT ON COLUMN ledger.customers.org_number IS 'Organisation / personal identity number (Fortnox OrganisationNumber, Visma CorporateIdentityNumber)';
COMMENT ON COLUMN ledger.customers.vat_number IS 'VAT registration number';
COMMENT ON COLUMN ledger.customers.address1 IS 'Invoice address line 1';
COMMENT ON COLUMN ledger.customers.address2 IS 'Invoice address line 2';
COMMENT ON COLUMN ledger.customers.postal_code IS 'Invoice postal code (Fortnox ZipCode, Visma InvoicePostalCode)';
COMMENT ON COLUMN ledger.customers.city IS 'Invoice city';
COMMENT ON COLUMN ledger.customers.country_code IS 'ISO 3166-1 alpha-2';
COMMENT ON COLUMN ledger.customers.currency IS 'Default invoice currency, ISO 4217';
COMMENT ON COLUMN ledger.customers.active IS 'Inactive customers are hidden for new invoices (Fortnox Active, Visma IsActive)';
COMMENT ON COLUMN ledger.customers.external_ref IS
  'The company app''s own reference for the record, if any; carried along, never used for matching';
COMMENT ON COLUMN ledger.customers.deleted_at IS 'Soft delete: set = deleted (captured as op delete); never reused';
CREATE UNIQUE INDEX customers_number_uq ON ledger.customers (tenant, customer_number)
  WHERE customer_number IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE ledger.invoices (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant         text NOT NULL,
  customer_id    uuid NOT NULL,
  invoice_number text,
  invoice_date   date NOT NULL DEFAULT current_date,
  due_date       date,
  currency       text NOT NULL DEFAULT 'SEK' CHECK (currency ~ '^[A-Z]{3}$'),
  total          bigint NOT NULL DEFAULT 0,
  vat            bigint NOT NULL DEFAULT 0,
  status         text NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'sent', 'booked', 'paid', 'cancelled', 'credited')),
  your_reference text,
  our_reference  text,
  external_ref   text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  deleted_at     timestamptz,
  -- The customer must belong to the same tenant.
  CONSTRAINT invoices_customer_fk FOREIGN KEY (tenant, customer_id)
    REFERENCES ledger.customers (tenant, id),
  CONSTRAINT invoices_due_after_invoice CHECK (due_date IS NULL OR due_date >= invoice_date)
);
COMMENT ON TABLE ledger.invoices IS
  'Canonical customer invoices of each tenant; changes (including of their rows) are captured into ledgerd.outbox. Delete = set deleted_at';
COMMENT ON COLUMN ledger.invoices.id IS 'Local id; pushed in the provider''s external reference field so an in-doubt create can be found again';
COMMENT ON COLUMN ledger.invoices.invoice_number IS
  'Invoice number shown to people (Fortnox DocumentNumber, Visma InvoiceNumber); usually assigned by the provider, NULL until then';
COMMENT ON COLUMN ledger.invoices.currency IS 'ISO 4217; all amounts of the invoice are minor units of it';
COMMENT ON COLUMN ledger.invoices.total IS
  'Amount to pay including VAT, integer minor units (öre for SEK); negative for credit invoices';
COMMENT ON COLUMN ledger.invoices.vat IS 'VAT part of total, integer minor units';
COMMENT ON COLUMN ledger.invoices.status IS
  'draft | sent | booked | paid | cancelled | credited (Fortnox: Sent, Booked, Balance 0, Cancelled, CreditInvoiceReference)';
COMMENT ON COLUMN ledger.invoices.your_reference IS 'Customer''s reference (YourReference)';
COMMENT ON COLUMN ledger.invoices.our_reference IS 'Our reference (OurReference)';
COMMENT ON COLUMN ledger.invoices.external_ref IS
  'The company app''s own reference for the invoice, if any; carried along, never used for matching';
COMMENT ON COLUMN ledger.invoices.updated_at IS
  'Last change of the invoice header; row changes touch invoice_rows.updated_at and the outbox, not this';
COMMENT ON COLUMN ledger.invoices.deleted_at IS 'Soft delete: set = deleted (captured as op delete)';
CREATE INDEX invoices_customer_idx ON ledger.invoices (customer_id);
-- Reconciliation lists a tenant's invoice ids (customers use customers_tenant_id_uq).
CREATE INDEX invoices_tenant_idx ON ledger.invoices (tenant, id);
CREATE UNIQUE INDEX invoices_number_uq ON ledger.invoices (tenant, invoice_number)
  WHERE invoice_number IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE ledger.invoice_rows (
  invoice_id  uuid NOT NULL REFERENCES ledger.invoices (id) ON DELETE CASCADE,
  line_no     integer NOT NULL CHECK (line_no > 0),
  article     text,
  description text,
  quantity    numeric(18, 4) NOT NULL DEFAULT 1,
  unit        text,
  unit_price  bigint NOT NULL DEFAULT 0,
  vat_percent numeric(5, 2) NOT NULL DEFAULT 25 CHECK (vat_percent BETWEEN 0 AND 100),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (invoice_id, line_no)
);
COMMENT ON TABLE ledger.invoice_rows IS
  'Rows of an invoice; any change is captured as an update of the invoice. Rows are deleted for real (no soft delete)';
COMMENT ON COLUMN ledger.invoice_rows.line_no IS 'Position on the invoice, from 1';
COMMENT ON COLUMN ledger.invoice_rows.article IS 'Article number; NULL for a text-only row';
COMMENT ON COLUMN ledger.invoice_rows.quantity IS 'Exact decimal quantity (up to 4 decimals)';
COMMENT ON COLUMN ledger.invoice_rows.unit IS 'Unit code, e.g. st, h (Fortnox Unit, Visma UnitAbbreviation)';
COMMENT ON COLUMN ledger.invoice_rows.unit_price IS
  'Price per unit excluding VAT, integer minor units of the invoice currency';
COMMENT ON COLUMN ledger.invoice_rows.vat_percent IS 'VAT rate in percent (25, 12, 6, 0)';

CREATE TRIGGER customers_touch BEFORE UPDATE ON ledger.customers
  FOR EACH ROW EXECUTE FUNCTION ledgerd.touch_updated_at();
CREATE TRIGGER invoices_touch BEFORE UPDATE ON ledger.invoices
  FOR EACH ROW EXECUTE FUNCTION ledgerd.touch_updated_at();
CREATE TRIGGER invoice_rows_touch BEFORE UPDATE ON ledger.invoice_rows
  FOR EACH ROW EXECUTE FUNCTION ledgerd.touch_updated_at();

CREATE TRIGGER customers_capture AFTER INSERT OR UPDATE OR DELETE ON ledger.customers
  FOR EACH ROW EXECUTE FUNCTION ledgerd.capture_local_change('customer');
CREATE TRIGGER invoices_capture AFTER INSERT OR UPDATE OR DELETE ON ledger.invoices
  FOR EACH ROW EXECUTE FUNCTION ledgerd.capture_local_change('invoice');
CREATE TRIGGER invoice_rows_capture AFTER INSERT OR UPDATE OR DELETE ON ledger.invoice_rows
  FOR EACH ROW EXECUTE FUNCTION ledgerd.capture_invoice_row_change();
