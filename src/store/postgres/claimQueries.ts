import type { RobotSession } from "../../core/types.js";
import type { Executor, Row } from "../sql/Executor.js";
import { json } from "../sql/rows.js";
import { sql } from "../sql/sql.js";

/**
 * The claim's one round trip: the function baton_claim (migration 000011) takes the
 * session's lock, counts its held jobs after it, picks jobs (FOR UPDATE SKIP LOCKED) and sets
 * them Running. For a session with a limited process it claims nothing and answers one row
 * with no key (`limitedAnswer`): the claim then goes through `claimWithinLimits`.
 */
export function claimCall(session: RobotSession, max: number, now: string, longPollingMaxSeconds: number) {
  return sql`
    SELECT * FROM baton_claim(${session.tenantId}, ${session.id}, ${session.robotName}, CAST(${json(session.processes)} AS jsonb),
                              CAST(${json(session.folderKeys)} AS jsonb), CAST(${session.slots} AS integer), CAST(${max} AS integer),
                              CAST(${now} AS timestamptz), CAST(${longPollingMaxSeconds} AS double precision))`;
}

/** baton_claim's answer for a session with a limited process: one row with no key (no job has one) */
export const limitedAnswer = (rows: readonly Row[]): boolean => rows.length === 1 && rows[0]!.key === null;

/** a robot key limited to some folders runs only their jobs; a session of every folder (the usual one) has no condition at all */
export function folderCondition(session: RobotSession) {
  return session.folderKeys ? sql`AND folder_key IN ${sql.list(session.folderKeys)}` : sql.empty;
}

/** sets the jobs of `picked` (a CTE of their seqs) Running for the session */
function claimUpdate(session: RobotSession, now: string, longPollingMaxSeconds: number, extra = sql.empty) {
  return sql`
    UPDATE jobs j SET state = 'Running', session_id = ${session.id}, robot = ${session.robotName}, started_at = GREATEST(CAST(${now} AS timestamptz), j.created_at),
           attempt = j.attempt + 1, not_before = NULL, info = NULL,
           deadline_at = LEAST(
             CASE WHEN j.call_mode = 'LongPolling' THEN j.created_at + make_interval(secs => ${longPollingMaxSeconds}) END,
             CASE WHEN j.max_duration_seconds IS NOT NULL THEN CAST(${now} AS timestamptz) + make_interval(secs => j.max_duration_seconds) END)
      FROM picked WHERE j.seq = picked.seq
    RETURNING j.*${extra}`;
}

/**
 * The claim when some of the session's processes have concurrency limits (SPEC §9). Their
 * rows are locked first (FOR NO KEY UPDATE, in id order, so two claims never wait for each
 * other in a cycle): every claim that could start a job of a limited process takes its turn
 * here. SKIP LOCKED alone could not make the count exact: two claims would each count the
 * running jobs before the other's commit. The statements after the lock (READ COMMITTED: a
 * snapshot per statement) see the jobs the previous holder started; each one counts the
 * running jobs, reads Pending jobs in claim order past the full processes and keys, admits
 * them as src/store/sql/concurrencyBudget.ts says (a job is admitted while its key, then its
 * process, has room, in claim order) and sets them Running. A job a full bucket turned
 * away in one statement is passed over by the next, which counts what this one started.
 */
export async function claimWithinLimits(db: Executor, session: RobotSession, max: number, now: string, longPollingMaxSeconds: number): Promise<Row[]> {
  const locked = await db.all(sql`
    SELECT id, (SELECT COUNT(*) FROM jobs WHERE session_id = ${session.id} AND state IN ('Running', 'Stopping', 'Terminating')) AS held FROM processes
     WHERE tenant_id = ${session.tenantId} AND name IN ${sql.list(session.processes)} ${folderCondition(session)}
       AND (max_concurrent_jobs IS NOT NULL OR max_concurrent_jobs_per_key IS NOT NULL)
     ORDER BY id FOR NO KEY UPDATE`);
  // the process lost its limits meanwhile: the plain claim (nothing, should it have gained them again)
  if (locked.length === 0) {
    const rows = await db.all(claimCall(session, max, now, longPollingMaxSeconds));
    return limitedAnswer(rows) ? [] : rows;
  }
  const room = Math.min(max, session.slots - Number(locked[0]!.held));
  const ids = locked.map((r) => String(r.id));
  const claimed: Row[] = [];
  while (claimed.length < room) {
    const want = room - claimed.length;
    const rows = await db.all(sql`
      WITH limits AS (
        SELECT folder_key, name, max_concurrent_jobs AS max_jobs, max_concurrent_jobs_per_key AS max_per_key FROM processes WHERE id IN ${sql.list(ids)}
      ), running AS (
        SELECT r.folder_key, r.process_name, r.concurrency_key, COUNT(*) AS n FROM jobs r
         WHERE r.tenant_id = ${session.tenantId} AND r.process_name IN (SELECT name FROM limits) AND r.state IN ('Running', 'Stopping', 'Terminating')
         GROUP BY r.folder_key, r.process_name, r.concurrency_key
      ), process_room AS (
        SELECT l.folder_key, l.name, l.max_per_key,
               l.max_jobs - COALESCE((SELECT SUM(n) FROM running r WHERE r.folder_key = l.folder_key AND r.process_name = l.name), 0) AS room
          FROM limits l
      ), candidates AS (
        SELECT j.seq, j.priority, j.folder_key, j.process_name, j.concurrency_key FROM jobs j
         WHERE j.tenant_id = ${session.tenantId} AND j.state = 'Pending' AND j.process_name IN ${sql.list(session.processes)} ${folderCondition(session)}
           AND (j.not_before IS NULL OR j.not_before <= CAST(${now} AS timestamptz))
           AND NOT EXISTS (SELECT 1 FROM process_room p WHERE p.folder_key = j.folder_key AND p.name = j.process_name AND p.room <= 0)
           AND (j.concurrency_key IS NULL OR NOT EXISTS (
             SELECT 1 FROM process_room p JOIN running r ON r.folder_key = p.folder_key AND r.process_name = p.name
              WHERE p.folder_key = j.folder_key AND p.name = j.process_name AND r.concurrency_key = j.concurrency_key AND r.n >= p.max_per_key))
         ORDER BY j.priority DESC, j.seq
         LIMIT CAST(${want} AS integer)
         FOR UPDATE OF j SKIP LOCKED
      ), by_key AS (
        SELECT c.*, row_number() OVER (PARTITION BY c.folder_key, c.process_name, c.concurrency_key ORDER BY c.priority DESC, c.seq) AS key_rank FROM candidates c
      ), key_admitted AS (
        SELECT k.* FROM by_key k
          LEFT JOIN process_room p ON p.folder_key = k.folder_key AND p.name = k.process_name
          LEFT JOIN running r ON r.folder_key = k.folder_key AND r.process_name = k.process_name AND r.concurrency_key = k.concurrency_key
         WHERE p.max_per_key IS NULL OR k.concurrency_key IS NULL OR k.key_rank <= p.max_per_key - COALESCE(r.n, 0)
      ), picked AS (
        SELECT a.seq FROM (
          SELECT k.*, row_number() OVER (PARTITION BY k.folder_key, k.process_name ORDER BY k.priority DESC, k.seq) AS process_rank FROM key_admitted k
        ) a LEFT JOIN process_room p ON p.folder_key = a.folder_key AND p.name = a.process_name
         WHERE p.room IS NULL OR a.process_rank <= p.room
      )
      ${claimUpdate(session, now, longPollingMaxSeconds, sql`, (SELECT COUNT(*) FROM candidates) AS candidates`)}`);
    claimed.push(...rows);
    // no job, or fewer candidates than asked for: none is left; the first candidate is always admitted
    if (rows.length === 0 || Number(rows[0]!.candidates) < want) break;
  }
  return claimed.map(({ candidates: _, ...job }) => job);
}
