#include "adapters/pg/job_store.hpp"

#include "adapters/pg/migrations.hpp"
#include "state/job_state.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace ledgerd::pg {

namespace {

// -- values -------------------------------------------------------------------

/// Key of the transaction advisory lock that makes claim rounds take turns
/// ("ldjobs" in ASCII; the migration lock uses "ledgerd").
constexpr int64_t claim_lock_key = 0x6c646a6f6273;

/// enqueue_batch sends at most this many specs per statement.
constexpr size_t enqueue_chunk = 10'000;

/// reap_expired takes back at most this many jobs per statement.
constexpr int64_t reap_chunk = 1'000;

/// Timestamps travel as ISO 8601 text in UTC with microseconds (PostgreSQL's
/// resolution), e.g. 2024-05-01T12:00:00.123456Z: read the same whatever the
/// session's DateStyle and TimeZone, and free of characters that need
/// quoting in an array literal.
std::string iso(wall_time t) {
  using namespace std::chrono;
  auto us = floor<microseconds>(t);
  auto day = floor<days>(us);
  year_month_day ymd{day};
  hh_mm_ss hms{us - day};
  char buf[48];
  std::snprintf(
    buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ",
    static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
    static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
    static_cast<int>(hms.minutes().count()),
    static_cast<int>(hms.seconds().count()),
    static_cast<int>(hms.subseconds().count()));
  return buf;
}

/// The time as stored: truncated to microseconds.
wall_time to_micros(wall_time t) {
  return std::chrono::floor<std::chrono::microseconds>(t);
}

wall_time from_micros(int64_t us) {
  return wall_time{std::chrono::microseconds{us}};
}

caf::timestamp to_caf(wall_time t) {
  return caf::timestamp{
    std::chrono::duration_cast<caf::timespan>(t.time_since_epoch())};
}

wall_time from_caf(caf::timestamp t) {
  return wall_time{
    std::chrono::duration_cast<wall_time::duration>(t.time_since_epoch())};
}

/// The sentinel "epoch = now" of job_spec::run_at and job_outcome::run_at.
wall_time or_now(caf::timestamp t, wall_time now) {
  return t.time_since_epoch().count() == 0 ? now : from_caf(t);
}

/// Sizes in requests are size_t; PostgreSQL's bigint is signed.
int64_t clamp_size(size_t n) {
  constexpr auto max = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(std::min(n, max));
}

/// Builds a one-dimensional array literal in PostgreSQL's text format, e.g.
/// {"a","b \"c\"",NULL}. Every element is quoted, so commas, braces, blanks
/// and the word NULL are plain data; inside quotes only " and \ need a
/// backslash.
class array_literal {
public:
  void add(std::string_view x) {
    out_ += out_.size() == 1 ? "\"" : ",\"";
    for (char c : x) {
      if (c == '"' || c == '\\')
        out_ += '\\';
      out_ += c;
    }
    out_ += '"';
  }

  void add(int64_t x) {
    if (out_.size() > 1)
      out_ += ',';
    out_ += std::to_string(x);
  }

  void add_null() {
    out_ += out_.size() == 1 ? "NULL" : ",NULL";
  }

  /// Adds `x`, or NULL when it is empty.
  void add_or_null(std::string_view x) {
    if (x.empty())
      add_null();
    else
      add(x);
  }

  std::string str() const {
    return out_ + '}';
  }

private:
  std::string out_ = "{";
};

/// Appends `x` as a JSON string literal (quotes, backslashes and control
/// characters escaped; other bytes as they are: the text is UTF-8).
void append_json_string(std::string& out, std::string_view x) {
  out += '"';
  for (char c : x) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x",
                      static_cast<unsigned>(static_cast<unsigned char>(c)));
        out += buf;
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

// -- SQL ----------------------------------------------------------------------
//
// Plans are chosen for the worst statistics, not the current ones: the queue
// swings between empty and huge within seconds, so ANALYZE often describes a
// table that no longer exists (0 processing jobs, 1 tenant, ...). A generic
// plan built on such numbers must still not scan the queue. Two rules:
//
// * Rows named by id are reached through the primary key: `id = ANY (...)`,
//   never a join the planner could turn into a hash join over a seq scan.
// * A state test that must not steer index choice compares with an InitPlan,
//   `state = (SELECT 'processing'::text)`: not a constant, so the partial
//   indexes on state (jobs_lease_expiry_idx, jobs_claim_idx) cannot be
//   picked for it. With "0 processing rows" in the statistics the planner
//   would otherwise walk jobs_lease_expiry_idx once per outcome (one finish
//   of 1,000 jobs took 250 ms that way instead of 4 ms).

/// `expr` (timestamptz) as microseconds since the epoch (bigint).
std::string micros(const std::string& expr) {
  return "(extract(epoch FROM " + expr + ") * 1000000)::bigint";
}

/// Three CTEs (bd, bl, bu) that apply per-batch deltas to ledgerd.batches.
/// `src` is a SELECT of (batch_id, dt, dc, df): added to total, completed
/// and failed. The deltas are summed per batch, the batch rows locked in id
/// order (concurrent statements touching several batches cannot deadlock on
/// them) and updated with the latest committed counts (READ COMMITTED
/// re-reads a row updated since the snapshot), so increments are never
/// lost. A batch whose completed + failed reaches total finishes: completed
/// when none failed, failed when none completed, partial otherwise; one
/// below total is running again.
std::string batch_ctes(const std::string& src, const std::string& now) {
  const std::string done = "b.completed + bd.dc + b.failed + bd.df";
  const std::string total = "b.total + bd.dt";
  return "bd AS MATERIALIZED (SELECT batch_id, sum(dt)::int AS dt, "
         "sum(dc)::int AS dc, sum(df)::int AS df FROM ("
         + src
         + ") s WHERE batch_id IS NOT NULL GROUP BY batch_id), "
           "bl AS (SELECT b.id FROM ledgerd.batches b "
           "WHERE b.id = ANY (ARRAY(SELECT batch_id FROM bd)) ORDER BY b.id "
           "FOR NO KEY UPDATE), "
           "bu AS (UPDATE ledgerd.batches b SET total = "
         + total
         + ", completed = b.completed + bd.dc, failed = b.failed + bd.df, "
           "state = CASE WHEN "
         + done + " < " + total
         + " THEN 'running' WHEN b.failed + bd.df = 0 THEN 'completed' "
           "WHEN b.completed + bd.dc = 0 THEN 'failed' ELSE 'partial' END, "
           "finished_at = CASE WHEN "
         + done + " < " + total + " THEN NULL ELSE COALESCE(b.finished_at, "
         + now + ") END, updated_at = " + now
         + " FROM bd WHERE b.id = bd.batch_id "
           "AND b.id = ANY (ARRAY(SELECT id FROM bl)) RETURNING b.id)";
}

// $1..$9 arrays of the specs (sorted: keyed ones by key, then keyless ones),
// $10 now. Ids come from the identity's sequence up front, so that each
// created row maps back to its spec (ord); a conflicting spec maps back by
// its key, which is unique within the statement. Inserting in key order
// means concurrent enqueuers wait for each other's keys in the same order
// and cannot deadlock.
const std::string enqueue_sql
  = "WITH s AS MATERIALIZED (SELECT u.*, "
    "nextval('ledgerd.jobs_id_seq') AS new_id "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], "
    "$5::smallint[], $6::timestamptz[], $7::int[], $8::text[], $9::bigint[]) "
    "WITH ORDINALITY AS u(tenant, provider, kind, payload, priority, run_at, "
    "max_attempts, dedup_key, batch_id, ord)), "
    "ins AS (INSERT INTO ledgerd.jobs AS j (id, tenant, provider, kind, "
    "payload, priority, run_at, max_attempts, dedup_key, batch_id, "
    "created_at, updated_at) OVERRIDING SYSTEM VALUE "
    "SELECT new_id, tenant, provider, kind, payload, priority, run_at, "
    "max_attempts, dedup_key, batch_id, $10, $10 FROM s "
    "ORDER BY dedup_key COLLATE \"C\" NULLS LAST, ord "
    "ON CONFLICT (dedup_key) WHERE state IN ('pending', 'processing') "
    "AND dedup_key IS NOT NULL "
    "DO UPDATE SET priority = GREATEST(j.priority, EXCLUDED.priority), "
    "updated_at = $10 "
    "RETURNING j.id, j.dedup_key, j.batch_id, j.xmax = 0 AS created), "
    "ev AS (INSERT INTO ledgerd.job_events (job_id, from_state, to_state, "
    "attempt, at) SELECT id, NULL, 'pending', 0, $10 FROM ins WHERE created), "
    + batch_ctes("SELECT batch_id, 1 AS dt, 0 AS dc, 0 AS df FROM ins "
                 "WHERE created",
                 "$10")
    + " SELECT s.ord, i.id, true AS created FROM ins i "
      "JOIN s ON s.new_id = i.id WHERE i.created "
      "UNION ALL SELECT s.ord, i.id, false FROM ins i "
      "JOIN s ON s.dedup_key = i.dedup_key WHERE NOT i.created";

// Also turns JIT off for the claim's transaction: the claim's generic plan
// is estimated far above jit_above_cost, and compiling it would cost more
// (~20 ms) than running it.
const std::string claim_lock_sql
  = "SELECT pg_advisory_xact_lock($1::bigint), set_config('jit', 'off', true)";

// $1 owner, $2 limit, $3 per-tenant limit, $4 now, $5 lease_until.
//
// tenants: the distinct tenants of ledgerd.jobs by a loose index scan of
//   jobs_tenant_idx (one index probe per tenant, not a scan of the backlog).
// room: free slots per tenant (per-tenant limit minus its processing jobs,
//   at most the round's limit).
// cand: each tenant's best `room` due jobs, ranked within the tenant by
//   effective priority (see aged_priority), then run_at. Per priority one range
//   scan of jobs_tenant_idx (tenant, state, priority, run_at), so a backlog
//   that is not due yet is never read.
// pick: round-robin: all rank-1 jobs before any rank-2 job, each rank by
//   effective priority then run_at; the round's limit.
// locked: the picks, by primary key, still pending and due (re-checked on
//   the newest row version), locked; skips rows another transaction
//   (cancel, an enqueue raising a priority) holds.
// The result is ordered like pick (each tenant's claimed jobs are its top
// ones, so their rank is recomputed from them without joining back).
// The caller holds claim_lock_key, so rounds do not count the same free
// tenant slot twice. State tests that only filter use the InitPlan form
// (see above): jobs_tenant_idx serves them whatever the statistics say.
// A job's priority in a claim, aged: automatic jobs (below manual) climb
// one level per 30 s they are overdue, up to the event level, so a tenant
// whose budget events and pushes fill still runs its polls and
// reconciliations (found by scripts/soak: a delta pull waited 33 minutes,
// its cursors stood still). Manual requests stay first.
std::string aged_priority(const std::string& priority,
                          const std::string& run_at) {
  return "(CASE WHEN " + priority + " >= 3 THEN " + priority
         + "::int ELSE LEAST(2, " + priority
         + " + floor(extract(epoch FROM ($4::timestamptz - " + run_at
         + ")) / 30)::int) END)";
}

const std::string claim_sql
  = "WITH RECURSIVE tenants(tenant) AS ("
    "(SELECT tenant FROM ledgerd.jobs ORDER BY tenant LIMIT 1) "
    "UNION ALL SELECT (SELECT j.tenant FROM ledgerd.jobs j "
    "WHERE j.tenant > t.tenant ORDER BY j.tenant LIMIT 1) "
    "FROM tenants t WHERE t.tenant IS NOT NULL), "
    "room AS MATERIALIZED (SELECT t.tenant, LEAST($2::bigint, $3::bigint - "
    "(SELECT count(*) FROM ledgerd.jobs r WHERE r.tenant = t.tenant "
    "AND r.state = (SELECT 'processing'::text))) AS n FROM tenants t "
    "WHERE t.tenant IS NOT NULL), "
    "cand AS (SELECT c.id, c.aged, c.run_at, row_number() OVER ("
    "PARTITION BY c.tenant ORDER BY c.aged DESC, c.run_at, c.id) AS rank "
    "FROM room CROSS JOIN LATERAL (SELECT x.id, x.tenant, "
    + aged_priority("x.priority", "x.run_at")
    + " AS aged, x.run_at FROM (VALUES (3::smallint), (2::smallint), "
      "(1::smallint), "
      "(0::smallint)) p(priority) CROSS JOIN LATERAL (SELECT j.id, j.tenant, "
      "j.priority, j.run_at FROM ledgerd.jobs j WHERE j.tenant = room.tenant "
      "AND j.state = (SELECT 'pending'::text) AND j.priority = p.priority "
      "AND j.run_at <= $4::timestamptz ORDER BY j.run_at LIMIT room.n) x "
      "ORDER BY aged DESC, x.run_at LIMIT room.n) c WHERE room.n > 0), "
      "pick AS MATERIALIZED (SELECT id, rank, aged, run_at FROM cand "
      "ORDER BY rank, aged DESC, run_at, id LIMIT $2), "
      "locked AS (SELECT j.id FROM ledgerd.jobs j "
      "WHERE j.id = ANY (ARRAY(SELECT id FROM pick)) "
      "AND j.state = (SELECT 'pending'::text) AND j.run_at <= $4 "
      "FOR NO KEY UPDATE SKIP LOCKED), "
      "upd AS (UPDATE ledgerd.jobs j SET state = 'processing', "
      "attempt = j.attempt + 1, lease_owner = $1, lease_until = $5, "
      "updated_at = $4 WHERE j.id = ANY (ARRAY(SELECT id FROM locked)) "
      "RETURNING j.id, j.tenant, j.provider, j.kind, j.payload, j.priority, "
      "j.attempt, j.max_attempts, j.batch_id, j.run_at, j.progress, "
      "j.created_at), "
      "ev AS (INSERT INTO ledgerd.job_events (job_id, from_state, to_state, "
      "attempt, at) SELECT id, 'pending', 'processing', attempt, $4 FROM upd) "
      "SELECT id, tenant, provider, kind, payload::text, priority, attempt, "
      "max_attempts, batch_id, COALESCE(progress::text, ''), "
      "(extract(epoch FROM created_at) * 1000000)::bigint FROM upd ORDER BY "
      "row_number() OVER (PARTITION BY tenant ORDER BY "
    + aged_priority("priority", "run_at") + " DESC, run_at, id), "
    + aged_priority("priority", "run_at") + " DESC, run_at, id";

// $1 ids of completed outcomes, $2 ids of the others (bigint[]), $3 the
// outcomes as a jsonb object keyed by id: {"<id>": {"o": lease_owner,
// "a": attempt, "s": next_state, "r": run_at, "e": error, "p": progress as
// JSON text}}, $4 now.
//
// No join: each row is reached by primary key (= ANY of the id array) and
// finds its outcome by a key lookup in the object (binary search), so the
// plan cannot degrade into a nested loop over the outcomes or a merge join
// along the whole primary key. The lease check (state processing,
// lease_owner, attempt) sits in the WHERE of the DELETE and the UPDATE
// themselves: it is re-checked on the newest row version (compare and set),
// and everything after them (events, batch counts, the result) is derived
// from the rows that actually changed.
#define OUT "($3::jsonb -> j.id::text)"
const std::string finish_lease_check
  = "AND j.state = (SELECT 'processing'::text) "
    "AND j.lease_owner = " OUT " ->> 'o' "
    "AND j.attempt = (" OUT " ->> 'a')::int ";
const std::string finish_retry_cond
  = "(" OUT " ->> 's') = 'pending' AND (j.attempt < j.max_attempts "
    "OR (" OUT " ->> 'w') IS NOT NULL)";
const std::string finish_sql
  = "WITH del AS (DELETE FROM ledgerd.jobs j WHERE j.id = ANY ($1::bigint[]) "
    + finish_lease_check
    + "AND (" OUT " ->> 's') = 'completed' "
      "RETURNING j.id, j.tenant, j.provider, j.kind, j.payload, j.priority, "
      "j.attempt, j.max_attempts, j.run_at, j.dedup_key, j.batch_id, "
      "COALESCE((" OUT " ->> 'p')::jsonb, j.progress) AS progress, "
      "j.last_error, j.created_at), "
      "arch AS (INSERT INTO ledgerd.jobs_done (id, tenant, provider, kind, "
      "payload, priority, attempt, max_attempts, run_at, dedup_key, batch_id, "
      "progress, last_error, created_at, finished_at) SELECT id, tenant, "
      "provider, kind, payload, priority, attempt, max_attempts, run_at, "
      "dedup_key, batch_id, progress, last_error, created_at, $4 FROM del), "
      "upd AS (UPDATE ledgerd.jobs j SET "
      "attempt = CASE WHEN (" OUT " ->> 'w') IS NOT NULL "
      "AND (" OUT " ->> 's') = 'pending' THEN GREATEST(j.attempt - 1, 0) "
      "ELSE j.attempt END, "
      "state = CASE WHEN "
    + finish_retry_cond
    + " THEN 'pending' ELSE 'failed' END, "
      "run_at = CASE WHEN "
    + finish_retry_cond
    + " THEN GREATEST((" OUT " ->> 'r')::timestamptz, $4) ELSE j.run_at END, "
      "finished_at = CASE WHEN "
    + finish_retry_cond
    + " THEN NULL ELSE $4::timestamptz END, "
      "lease_owner = NULL, lease_until = NULL, "
      "last_error = COALESCE(" OUT " ->> 'e', j.last_error), "
      "progress = COALESCE((" OUT " ->> 'p')::jsonb, j.progress), "
      "updated_at = $4 WHERE j.id = ANY ($2::bigint[]) "
    + finish_lease_check
    + "AND (" OUT " ->> 's') IN ('pending', 'failed') "
      "RETURNING j.id, j.state, j.attempt, j.batch_id, " OUT
      " ->> 'e' AS error), "
      "fin AS MATERIALIZED (SELECT id, 'completed' AS state, attempt, "
      "batch_id, NULL::text AS error FROM del UNION ALL "
      "SELECT id, state, attempt, batch_id, error FROM upd), "
      "ev AS (INSERT INTO ledgerd.job_events (job_id, from_state, to_state, "
      "attempt, error, at) SELECT id, 'processing', state, attempt, error, $4 "
      "FROM fin), "
    + batch_ctes("SELECT batch_id, 0 AS dt, (state = 'completed')::int AS dc, "
                 "(state = 'failed')::int AS df FROM fin "
                 "WHERE state <> 'pending'",
                 "$4")
    + " SELECT id FROM fin";
#undef OUT

// $1 ids, $2 owner, $3 now, $4 lease_until.
const std::string renew_sql
  = "UPDATE ledgerd.jobs SET lease_until = $4, updated_at = $3 "
    "WHERE id = ANY ($1::bigint[]) AND state = (SELECT 'processing'::text) "
    "AND lease_owner = $2 AND lease_until >= $3 RETURNING id";

// $1 id, $2 owner, $3 attempt, $4 progress, $5 now.
// Progress saved: the job is not the one killing its node (lease_losses,
// migration 0012).
const std::string save_progress_sql
  = "UPDATE ledgerd.jobs SET progress = $4::jsonb, lease_losses = 0, "
    "updated_at = $5 "
    "WHERE id = $1 AND state = (SELECT 'processing'::text) "
    "AND lease_owner = $2 AND attempt = $3 AND lease_until >= $5";

// $1 now, $2 chunk. x walks jobs_lease_expiry_idx on purpose. SKIP LOCKED:
// a job being finished right now is left to its finisher (and to the next
// reaper round if the finish loses). The rule is state::on_lease_expired:
// a forgiven loss raises max_attempts by one, later ones spend the try.
const std::string reap_forgiven_cond
  = "j.lease_losses < " + std::to_string(state::max_forgiven_lease_losses);
const std::string reap_retry_cond
  = "(" + reap_forgiven_cond + " OR j.attempt < j.max_attempts)";
const std::string reap_sql
  = "WITH x AS (SELECT id FROM ledgerd.jobs WHERE state = 'processing' "
    "AND lease_until < $1::timestamptz ORDER BY lease_until LIMIT $2 "
    "FOR NO KEY UPDATE SKIP LOCKED), "
    "upd AS (UPDATE ledgerd.jobs j SET "
    "state = CASE WHEN "
    + reap_retry_cond
    + " THEN 'pending' ELSE 'failed' END, "
      "run_at = CASE WHEN "
    + reap_retry_cond
    + " THEN $1 ELSE j.run_at END, "
      "finished_at = CASE WHEN "
    + reap_retry_cond
    + " THEN NULL ELSE $1 END, "
      "max_attempts = j.max_attempts + CASE WHEN "
    + reap_forgiven_cond
    + " THEN 1 ELSE 0 END, forgiven_losses = j.forgiven_losses + CASE WHEN "
    + reap_forgiven_cond + " THEN 1 ELSE 0 END, "
    + "lease_losses = j.lease_losses + 1, "
      "lease_owner = NULL, lease_until = NULL, last_error = 'lease expired', "
      "updated_at = $1 WHERE j.id = ANY (ARRAY(SELECT id FROM x)) "
      "RETURNING j.id, j.state, j.attempt, j.batch_id), "
      "ev AS (INSERT INTO ledgerd.job_events (job_id, from_state, to_state, "
      "attempt, error, at) SELECT id, 'processing', state, attempt, "
      "'lease expired', $1 FROM upd), "
    + batch_ctes("SELECT batch_id, 0 AS dt, 0 AS dc, 1 AS df FROM upd "
                 "WHERE state = 'failed'",
                 "$1")
    + " SELECT count(*) FROM upd";

// $1 id, $2 now.
const std::string cancel_sql
  = "WITH c AS (UPDATE ledgerd.jobs SET state = 'failed', "
    "last_error = 'cancelled', finished_at = $2::timestamptz, "
    "updated_at = $2 WHERE id = $1 AND state = (SELECT 'pending'::text) "
    "RETURNING id, attempt, batch_id), "
    "ev AS (INSERT INTO ledgerd.job_events (job_id, from_state, to_state, "
    "attempt, error, at) SELECT id, 'pending', 'failed', attempt, "
    "'cancelled', $2 FROM c), "
    + batch_ctes("SELECT batch_id, 0 AS dt, 0 AS dc, 1 AS df FROM c", "$2")
    + " SELECT count(*) FROM c";

// A retried job starts again with the tries it was enqueued with: the ones
// forgiven by the reaper (see reap_sql) are taken back.
const std::string retry_resets_forgiven
  = "max_attempts = j.max_attempts - j.forgiven_losses, forgiven_losses = 0, "
    "lease_losses = 0, ";

// The rest of a retry after its CTE f chose the failed jobs ($2 now): back
// to pending with fresh tries, an event each, the batches' counts.
const std::string retry_chosen
  = "upd AS (UPDATE ledgerd.jobs j SET state = 'pending', attempt = 0, "
    + retry_resets_forgiven
    + "run_at = $2::timestamptz, finished_at = NULL, updated_at = $2 "
      "WHERE j.id = ANY (ARRAY(SELECT id FROM f)) "
      "AND j.state = (SELECT 'failed'::text) RETURNING j.id, j.batch_id), "
      "ev AS (INSERT INTO ledgerd.job_events (job_id, from_state, to_state, "
      "attempt, at) SELECT id, 'failed', 'pending', 0, $2 FROM upd), "
    + batch_ctes("SELECT batch_id, 0 AS dt, 0 AS dc, -1 AS df FROM upd", "$2")
    + " SELECT count(*) FROM upd";

// $1 batch id, $2 now. One failed job per dedup key, and none whose key a
// live job holds (the partial unique index would refuse it).
const std::string retry_failed_sql
  = "WITH f AS (SELECT DISTINCT ON (j.dedup_key, CASE WHEN j.dedup_key IS "
    "NULL THEN j.id END) j.id FROM ledgerd.jobs j WHERE j.batch_id = $1 "
    "AND j.state = 'failed' AND (j.dedup_key IS NULL OR NOT EXISTS (SELECT 1 "
    "FROM ledgerd.jobs l WHERE l.dedup_key = j.dedup_key "
    "AND l.state IN ('pending', 'processing'))) "
    "ORDER BY j.dedup_key, CASE WHEN j.dedup_key IS NULL THEN j.id END, "
    "j.id DESC), "
    + retry_chosen;

// $1 job id, $2 now. Like retry_failed_sql for one job: not while a live
// job holds its dedup key (the partial unique index would refuse it).
const std::string retry_sql
  = "WITH f AS (SELECT j.id FROM ledgerd.jobs j WHERE j.id = $1 "
    "AND j.state = 'failed' AND (j.dedup_key IS NULL OR NOT EXISTS (SELECT 1 "
    "FROM ledgerd.jobs l WHERE l.dedup_key = j.dedup_key "
    "AND l.state IN ('pending', 'processing')))), "
    + retry_chosen;

// $1 cutoff, $2 chunk. Oldest first; SKIP LOCKED so that two pruning nodes
// do not wait for each other.
const std::string prune_completed_sql
  = "WITH d AS (DELETE FROM ledgerd.jobs_done WHERE id = ANY (ARRAY(SELECT "
    "id FROM ledgerd.jobs_done WHERE finished_at < $1::timestamptz "
    "ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)) RETURNING id), "
    "e AS (DELETE FROM ledgerd.job_events "
    "WHERE job_id = ANY (ARRAY(SELECT id FROM d))) "
    "SELECT count(*) FROM d";

const std::string prune_failed_sql
  = "WITH d AS (DELETE FROM ledgerd.jobs WHERE id = ANY (ARRAY(SELECT id "
    "FROM ledgerd.jobs WHERE state = 'failed' AND finished_at < "
    "$1::timestamptz ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)) "
    "AND state = (SELECT 'failed'::text) RETURNING id), "
    "e AS (DELETE FROM ledgerd.job_events "
    "WHERE job_id = ANY (ARRAY(SELECT id FROM d))) "
    "SELECT count(*) FROM d";

/// Columns of job_row, from ledgerd.jobs (queue) or ledgerd.jobs_done.
std::string row_columns(bool archive) {
  return std::string{"id, tenant, provider, kind, "}
         + (archive ? "'completed'::text AS state" : "state")
         + ", priority, attempt, max_attempts, last_error, batch_id, "
           "dedup_key, payload::text, progress::text, "
         + micros("run_at") + " AS run_at_us, " + micros("finished_at")
         + " AS finished_at_us";
}

job_row read_row(const result& res, int r) {
  job_row x;
  x.id = res.get<int64_t>(r, 0);
  x.tenant = res.get<std::string>(r, 1);
  x.provider = res.get<std::string>(r, 2);
  x.kind = res.get<std::string>(r, 3);
  x.state = res.get<std::string>(r, 4);
  x.priority = res.get<int16_t>(r, 5);
  x.attempt = res.get<int32_t>(r, 6);
  x.max_attempts = res.get<int32_t>(r, 7);
  x.last_error = res.get_optional<std::string>(r, 8).value_or("");
  x.batch_id = res.get_optional<int64_t>(r, 9);
  x.dedup_key = res.get_optional<std::string>(r, 10).value_or("");
  x.payload = res.get<std::string>(r, 11);
  x.progress = res.get_optional<std::string>(r, 12).value_or("");
  x.run_at = from_micros(res.get<int64_t>(r, 13));
  if (auto fin = res.get_optional<int64_t>(r, 14))
    x.finished_at = from_micros(*fin);
  return x;
}

/// WHERE clause for a job_filter over the queue or the archive; appends the
/// parameters. Empty when the filter excludes the table altogether.
std::optional<std::string> filter_where(const job_filter& f, bool archive,
                                        std::vector<param>& params) {
  std::string out = " WHERE true";
  auto add
    = [&](const std::string& column, param value, std::string_view op = "=") {
        params.push_back(std::move(value));
        out += " AND " + column + " " + std::string{op} + " $"
               + std::to_string(params.size());
      };
  if (f.state) {
    if (archive && *f.state != "completed")
      return std::nullopt;
    if (!archive)
      add("state", *f.state);
  }
  if (f.tenant)
    add("tenant", *f.tenant);
  if (f.priority)
    add("priority", to_param(*f.priority));
  if (f.batch_id)
    add("batch_id", to_param(*f.batch_id));
  if (f.kind)
    add("kind", *f.kind);
  if (f.before_id)
    add("id", to_param(*f.before_id), "<");
  return out;
}

} // namespace

// -- job_store ----------------------------------------------------------------

job_store::job_store(std::shared_ptr<pool> db,
                     std::chrono::milliseconds acquire_timeout)
  : db_(std::move(db))
  , acquire_timeout_(acquire_timeout) {}

enqueued job_store::enqueue(const job_spec& spec, wall_time now) {
  return enqueue_batch({spec}, now).front();
}

std::vector<enqueued>
job_store::enqueue_batch(const std::vector<job_spec>& specs, wall_time now) {
  std::vector<enqueued> out(specs.size());
  if (specs.empty())
    return out;
  // Collapse specs sharing a key into the first one (with the highest
  // priority among them): one INSERT ... ON CONFLICT DO UPDATE cannot touch
  // the same row twice.
  std::vector<size_t> rep(specs.size());
  std::vector<int16_t> priority(specs.size());
  std::vector<size_t> order;
  std::unordered_map<std::string_view, size_t> by_key;
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& key = specs[i].dedup_key;
    priority[i] = specs[i].priority;
    if (key.empty()) {
      rep[i] = i;
      order.push_back(i);
      continue;
    }
    auto [it, fresh] = by_key.emplace(key, i);
    rep[i] = it->second;
    if (fresh)
      order.push_back(i);
    else
      priority[it->second] = std::max(priority[it->second], specs[i].priority);
  }
  // Keyed specs in byte order of their keys, keyless ones last (the order
  // the statement inserts in, also across chunks).
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& ka = specs[a].dedup_key;
    const auto& kb = specs[b].dedup_key;
    if (ka.empty() || kb.empty())
      return !ka.empty() && kb.empty();
    return ka < kb;
  });
  auto ts_now = iso(now);
  auto conn = db_->acquire(acquire_timeout_);
  std::optional<transaction> tx;
  if (order.size() > enqueue_chunk)
    tx.emplace(*conn);
  for (size_t first = 0; first < order.size(); first += enqueue_chunk) {
    auto last = std::min(order.size(), first + enqueue_chunk);
    array_literal tenant, provider, kind, payload, prio, run_at, max_attempts,
      key, batch;
    for (size_t k = first; k < last; ++k) {
      const auto& s = specs[order[k]];
      tenant.add(s.tenant);
      provider.add(s.provider);
      kind.add(s.kind);
      payload.add(s.payload.empty() ? std::string_view{"{}"} : s.payload);
      prio.add(int64_t{priority[order[k]]});
      run_at.add(iso(or_now(s.run_at, now)));
      max_attempts.add(int64_t{s.max_attempts});
      key.add_or_null(s.dedup_key);
      if (s.batch_id == 0)
        batch.add_null();
      else
        batch.add(s.batch_id);
    }
    // Not prepared: an unnamed statement is planned with its parameters, so
    // the planner knows the arrays' length and joins s and ins by hash. A
    // generic plan assumes 10 rows per array and rescans one CTE per row of
    // the other (quadratic in the batch size).
    auto res
      = conn->exec("jobs.enqueue", enqueue_sql, tenant.str(), provider.str(),
                   kind.str(), payload.str(), prio.str(), run_at.str(),
                   max_attempts.str(), key.str(), batch.str(), ts_now);
    for (int r = 0; r < res.rows(); ++r) {
      auto ord = res.get<int64_t>(r, 0);
      auto idx = order.at(first + static_cast<size_t>(ord) - 1);
      out[idx].id = res.get<int64_t>(r, 1);
      out[idx].created = res.get<bool>(r, 2);
    }
  }
  if (tx)
    tx->commit();
  for (size_t i = 0; i < specs.size(); ++i) {
    if (rep[i] != i)
      out[i] = enqueued{out[rep[i]].id, false};
    if (out[i].id == 0)
      throw error("jobs.enqueue",
                  "no job id returned for spec " + std::to_string(i));
  }
  return out;
}

int64_t job_store::create_batch(const std::string& tenant,
                                const std::string& kind, wall_time now) {
  auto conn = db_->acquire(acquire_timeout_);
  auto res = conn->exec("jobs.create_batch",
                        "INSERT INTO ledgerd.batches (tenant, kind, "
                        "created_at, updated_at) VALUES ($1, $2, $3, $3) "
                        "RETURNING id",
                        tenant, kind, iso(now));
  return res.get<int64_t>(0, 0);
}

int64_t job_store::attach_to_batch(const std::vector<int64_t>& ids, int64_t id,
                                   wall_time now) {
  array_literal arr;
  for (auto x : ids)
    arr.add(x);
  auto conn = db_->acquire(acquire_timeout_);
  transaction tx{*conn};
  auto res = conn->exec(
    "jobs.attach_to_batch",
    // A manual request runs now: a pending job waiting out a retry backoff
    // is due at once when it joins the batch.
    "WITH moved AS (UPDATE ledgerd.jobs SET batch_id = $2,"
    " run_at = CASE WHEN state = 'pending' THEN least(run_at, $3::timestamptz)"
    " ELSE run_at END"
    " WHERE id = ANY ($1::bigint[]) AND batch_id IS NULL"
    " AND state IN ('pending', 'processing') RETURNING id)"
    " UPDATE ledgerd.batches SET total = total + (SELECT count(*) FROM moved),"
    " updated_at = $3 WHERE id = $2 RETURNING total",
    arr.str(), id, iso(now));
  auto total = res.rows() == 0 ? int64_t{0} : res.get<int64_t>(0, 0);
  if (total == 0)
    conn->exec("jobs.empty_batch",
               "UPDATE ledgerd.batches SET state = 'completed',"
               " finished_at = $2, updated_at = $2"
               " WHERE id = $1 AND total = 0",
               id, iso(now));
  tx.commit();
  return total;
}

std::vector<job> job_store::claim(const claim_request& req) {
  std::vector<job> out;
  if (req.limit == 0 || req.per_tenant_limit == 0)
    return out;
  auto now = to_micros(req.now);
  auto lease_until = to_micros(now + req.lease);
  auto conn = db_->acquire(acquire_timeout_);
  conn->prepare("jobs.claim_lock", claim_lock_sql);
  conn->prepare("jobs.claim", claim_sql);
  transaction tx{*conn};
  conn->exec_prepared("jobs.claim_lock", claim_lock_key);
  auto res = conn->exec_prepared("jobs.claim", req.owner, clamp_size(req.limit),
                                 clamp_size(req.per_tenant_limit), iso(now),
                                 iso(lease_until));
  tx.commit();
  out.reserve(static_cast<size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r) {
    job j;
    j.id = res.get<int64_t>(r, 0);
    j.tenant = res.get<std::string>(r, 1);
    j.provider = res.get<std::string>(r, 2);
    j.kind = res.get<std::string>(r, 3);
    j.payload = res.get<std::string>(r, 4);
    j.priority = res.get<int16_t>(r, 5);
    j.attempt = res.get<int32_t>(r, 6);
    j.max_attempts = res.get<int32_t>(r, 7);
    j.batch_id = res.get_optional<int64_t>(r, 8).value_or(0);
    j.progress = res.get<std::string>(r, 9);
    j.created_at
      = to_caf(wall_time{std::chrono::microseconds{res.get<int64_t>(r, 10)}});
    j.lease_owner = req.owner;
    j.lease_until = to_caf(lease_until);
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<int64_t> job_store::finish(const std::vector<job_outcome>& outcomes,
                                       wall_time now) {
  std::vector<int64_t> rejected;
  if (outcomes.empty())
    return rejected;
  // One outcome per job and statement: a second one for the same id is
  // reported as not applied instead of racing the first inside the
  // statement.
  std::unordered_set<int64_t> seen;
  std::vector<const job_outcome*> todo;
  std::vector<std::pair<size_t, int64_t>> duplicates;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    if (o.next_state != "completed" && o.next_state != "pending"
        && o.next_state != "failed")
      throw std::invalid_argument(
        "job_store::finish: job " + std::to_string(o.id)
        + ": invalid next_state '" + o.next_state + "'");
    if (seen.insert(o.id).second)
      todo.push_back(&o);
    else
      duplicates.emplace_back(i, o.id);
  }
  array_literal completed_ids, other_ids;
  std::string map = "{";
  for (const auto* o : todo) {
    (o->next_state == "completed" ? completed_ids : other_ids).add(o->id);
    if (map.size() > 1)
      map += ',';
    map += "\"" + std::to_string(o->id) + "\":{\"o\":";
    append_json_string(map, o->lease_owner);
    map += ",\"a\":" + std::to_string(o->attempt) + ",\"s\":";
    append_json_string(map, o->next_state);
    if (o->next_state == "pending")
      map += ",\"r\":\"" + iso(or_now(o->run_at, now)) + "\"";
    if (o->next_state == "pending" && o->waiting)
      map += ",\"w\":true";
    if (!o->error.empty()) {
      map += ",\"e\":";
      append_json_string(map, o->error);
    }
    if (!o->progress.empty()) {
      // As a string: a malformed progress cannot break the object's shape
      // (it fails the statement when cast to jsonb instead).
      map += ",\"p\":";
      append_json_string(map, o->progress);
    }
    map += '}';
  }
  map += '}';
  auto conn = db_->acquire(acquire_timeout_);
  conn->prepare("jobs.finish", finish_sql);
  auto res = conn->exec_prepared("jobs.finish", completed_ids.str(),
                                 other_ids.str(), map, iso(now));
  std::unordered_set<int64_t> applied;
  for (int r = 0; r < res.rows(); ++r)
    applied.insert(res.get<int64_t>(r, 0));
  size_t next_dup = 0;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (next_dup < duplicates.size() && duplicates[next_dup].first == i) {
      rejected.push_back(duplicates[next_dup++].second);
      continue;
    }
    if (applied.count(outcomes[i].id) == 0)
      rejected.push_back(outcomes[i].id);
  }
  return rejected;
}

std::vector<int64_t> job_store::renew(const std::vector<int64_t>& ids,
                                      const std::string& owner,
                                      std::chrono::milliseconds lease,
                                      wall_time now) {
  std::vector<int64_t> held;
  if (ids.empty())
    return held;
  array_literal arr;
  for (auto id : ids)
    arr.add(id);
  auto t = to_micros(now);
  auto conn = db_->acquire(acquire_timeout_);
  conn->prepare("jobs.renew", renew_sql);
  auto res = conn->exec_prepared("jobs.renew", arr.str(), owner, iso(t),
                                 iso(to_micros(t + lease)));
  std::unordered_set<int64_t> ok;
  for (int r = 0; r < res.rows(); ++r)
    ok.insert(res.get<int64_t>(r, 0));
  for (auto id : ids)
    if (ok.erase(id) > 0)
      held.push_back(id);
  return held;
}

bool job_store::save_progress(int64_t id, const std::string& owner,
                              int32_t attempt, const std::string& progress,
                              wall_time now) {
  auto conn = db_->acquire(acquire_timeout_);
  conn->prepare("jobs.save_progress", save_progress_sql);
  std::optional<std::string> value;
  if (!progress.empty())
    value = progress;
  auto res = conn->exec_prepared("jobs.save_progress", id, owner, attempt,
                                 value, iso(now));
  return res.affected_rows() == 1;
}

std::string job_store::schema_mismatch() {
  auto conn = db_->acquire(acquire_timeout_);
  return pg::schema_mismatch(*conn);
}

std::map<std::string, std::chrono::milliseconds>
job_store::provider_activity_ages(std::chrono::seconds horizon) {
  auto conn = db_->acquire(acquire_timeout_);
  auto res = conn->exec(
    "jobs.provider_activity",
    "SELECT provider, (1000 * extract(epoch FROM now() - max(t)))::bigint"
    " FROM (SELECT provider, CASE WHEN state = 'processing' THEN now()"
    " ELSE updated_at END AS t FROM ledgerd.jobs WHERE state = 'processing'"
    " OR updated_at > now() - make_interval(secs => $1)"
    " UNION ALL SELECT provider, finished_at FROM ledgerd.jobs_done"
    " WHERE finished_at > now() - make_interval(secs => $1)) a"
    " GROUP BY provider",
    static_cast<int64_t>(horizon.count()));
  std::map<std::string, std::chrono::milliseconds> out;
  for (int row = 0; row < res.rows(); ++row)
    out[res.get<std::string>(row, 0)] = std::chrono::milliseconds{
      std::max<int64_t>(res.get<int64_t>(row, 1), 0)};
  return out;
}

int64_t job_store::reap_expired(wall_time now) {
  auto conn = db_->acquire(acquire_timeout_);
  conn->prepare("jobs.reap", reap_sql);
  auto ts = iso(now);
  int64_t total = 0;
  for (;;) {
    auto n
      = conn->exec_prepared("jobs.reap", ts, reap_chunk).get<int64_t>(0, 0);
    total += n;
    if (n < reap_chunk)
      return total;
  }
}

bool job_store::cancel(int64_t id, wall_time now) {
  auto conn = db_->acquire(acquire_timeout_);
  conn->prepare("jobs.cancel", cancel_sql);
  return conn->exec_prepared("jobs.cancel", id, iso(now)).get<int64_t>(0, 0)
         == 1;
}

std::optional<batch_status> job_store::batch(int64_t id) {
  auto conn = db_->acquire(acquire_timeout_);
  auto res = conn->exec("jobs.batch",
                        "SELECT id, tenant, kind, total, completed, failed, "
                        "state, "
                          + micros("finished_at")
                          + " FROM ledgerd.batches WHERE id = $1",
                        id);
  if (res.empty())
    return std::nullopt;
  batch_status b;
  b.id = res.get<int64_t>(0, 0);
  b.tenant = res.get<std::string>(0, 1);
  b.kind = res.get<std::string>(0, 2);
  b.total = res.get<int64_t>(0, 3);
  b.completed = res.get<int64_t>(0, 4);
  b.failed = res.get<int64_t>(0, 5);
  b.state = res.get<std::string>(0, 6);
  if (auto fin = res.get_optional<int64_t>(0, 7))
    b.finished_at = from_micros(*fin);
  return b;
}

int64_t job_store::retry_failed(int64_t batch_id, wall_time now) {
  auto conn = db_->acquire(acquire_timeout_);
  conn->prepare("jobs.retry_failed", retry_failed_sql);
  // A concurrent enqueue may take a key between the check and the update;
  // the statement then fails as a whole (23505) and the next try skips it.
  for (int attempt = 1;; ++attempt) {
    try {
      return conn->exec_prepared("jobs.retry_failed", batch_id, iso(now))
        .get<int64_t>(0, 0);
    } catch (const error& e) {
      if (e.sqlstate() != "23505" || attempt == 3)
        throw;
    }
  }
}

retry_result job_store::retry(int64_t id, wall_time now) {
  auto conn = db_->acquire(acquire_timeout_);
  conn->prepare("jobs.retry", retry_sql);
  // A concurrent enqueue may take the key between the check and the update;
  // the statement then fails (23505) and the next try sees the live job.
  for (int attempt = 1;; ++attempt) {
    try {
      if (conn->exec_prepared("jobs.retry", id, iso(now)).get<int64_t>(0, 0)
          == 1)
        return retry_result::retried;
      break;
    } catch (const error& e) {
      if (e.sqlstate() != "23505" || attempt == 3)
        throw;
    }
  }
  conn.release();
  auto row = find(id);
  if (!row)
    return retry_result::not_found;
  if (row->state != "failed")
    return retry_result::not_failed;
  return retry_result::key_live;
}

std::vector<job_row> job_store::list(const job_filter& filter) {
  std::vector<job_row> out;
  if (filter.limit == 0)
    return out;
  std::vector<param> params;
  params.push_back(to_param(clamp_size(filter.limit)));
  // Newest of each table (each served by its primary key backwards), then
  // the newest of both.
  std::string sql;
  for (bool archive : {false, true}) {
    auto where = filter_where(filter, archive, params);
    if (!where)
      continue;
    if (!sql.empty())
      sql += " UNION ALL ";
    sql += "(SELECT " + row_columns(archive) + " FROM "
           + (archive ? "ledgerd.jobs_done" : "ledgerd.jobs") + *where
           + " ORDER BY id DESC LIMIT $1)";
  }
  sql = "SELECT * FROM (" + sql + ") u ORDER BY id DESC LIMIT $1";
  auto conn = db_->acquire(acquire_timeout_);
  auto res = conn->exec_params("jobs.list", sql, params);
  out.reserve(static_cast<size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r)
    out.push_back(read_row(res, r));
  return out;
}

std::optional<job_row> job_store::find(int64_t id) {
  auto conn = db_->acquire(acquire_timeout_);
  auto res = conn->exec("jobs.find",
                        "SELECT " + row_columns(false)
                          + " FROM ledgerd.jobs WHERE id = $1 UNION ALL "
                            "SELECT "
                          + row_columns(true)
                          + " FROM ledgerd.jobs_done WHERE id = $1",
                        id);
  if (res.empty())
    return std::nullopt;
  return read_row(res, 0);
}

std::optional<job_row>
job_store::newest_by_dedup_key(const std::string& dedup_key) {
  auto conn = db_->acquire(acquire_timeout_);
  auto res = conn->exec("jobs.newest_by_dedup_key",
                        "SELECT " + row_columns(false)
                          + " FROM ledgerd.jobs WHERE dedup_key = $1 "
                            "ORDER BY id DESC LIMIT 1",
                        dedup_key);
  if (res.empty())
    return std::nullopt;
  return read_row(res, 0);
}

std::vector<job_event_row> job_store::events(int64_t job_id) {
  auto conn = db_->acquire(acquire_timeout_);
  auto res
    = conn->exec("jobs.events",
                 "SELECT from_state, to_state, attempt, error, " + micros("at")
                   + " FROM ledgerd.job_events WHERE job_id = $1 "
                     "ORDER BY at, id",
                 job_id);
  std::vector<job_event_row> out;
  for (int r = 0; r < res.rows(); ++r) {
    job_event_row e;
    e.from_state = res.get_optional<std::string>(r, 0).value_or("");
    e.to_state = res.get<std::string>(r, 1);
    e.attempt = res.get<int32_t>(r, 2);
    e.error = res.get_optional<std::string>(r, 3).value_or("");
    e.at = from_micros(res.get<int64_t>(r, 4));
    out.push_back(std::move(e));
  }
  return out;
}

std::map<std::string, int64_t>
job_store::count_by_state(const job_filter& filter) {
  std::map<std::string, int64_t> out{
    {"pending", 0}, {"processing", 0}, {"completed", 0}, {"failed", 0}};
  std::vector<param> params;
  std::string sql;
  if (auto where = filter_where(filter, false, params))
    sql += "SELECT state, count(*) FROM ledgerd.jobs" + *where
           + " GROUP BY state";
  if (auto where = filter_where(filter, true, params)) {
    if (!sql.empty())
      sql += " UNION ALL ";
    sql += "SELECT 'completed', count(*) FROM ledgerd.jobs_done" + *where;
  }
  auto conn = db_->acquire(acquire_timeout_);
  auto res = conn->exec_params("jobs.count_by_state", sql, params);
  for (int r = 0; r < res.rows(); ++r)
    out[res.get<std::string>(r, 0)] += res.get<int64_t>(r, 1);
  return out;
}

prune_report job_store::prune(wall_time now,
                              std::chrono::milliseconds retain_completed,
                              std::chrono::milliseconds retain_failed,
                              size_t chunk) {
  prune_report out;
  auto n = clamp_size(std::max<size_t>(chunk, 1));
  auto conn = db_->acquire(acquire_timeout_);
  conn->prepare("jobs.prune_completed", prune_completed_sql);
  conn->prepare("jobs.prune_failed", prune_failed_sql);
  auto run = [&](const std::string& name, wall_time cutoff) {
    auto ts = iso(cutoff);
    int64_t total = 0;
    for (;;) {
      auto k = conn->exec_prepared(name, ts, n).get<int64_t>(0, 0);
      total += k;
      if (k < n)
        return total;
    }
  };
  out.completed = run("jobs.prune_completed", now - retain_completed);
  out.failed = run("jobs.prune_failed", now - retain_failed);
  return out;
}

} // namespace ledgerd::pg
