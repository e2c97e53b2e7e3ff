-- The claim in one round trip (issue 18). It was four: BEGIN, the session's row lock (with
-- the question whether a process of the session is limited), the claim, COMMIT. A single
-- statement cannot do it: its snapshot is taken before it waits for the session's lock, so
-- it would not count the jobs a concurrent claim of the same session has just taken, and the
-- session could hold more jobs than its slots. A VOLATILE function takes a new snapshot for
-- each of its statements: the count below runs after the lock is granted and sees them.
--
-- The processes and folders (NULL: every folder) come as JSON arrays of names and keys.
-- Returns the jobs set Running (none when the session has ended or expired, or is full).
-- A session with a process under a concurrency limit (SPEC §9) gets one row of NULLs (a key
-- no job has: jobs.key is NOT NULL) and nothing claimed: the store then runs the limited
-- claim (claimWithinLimits), which locks the processes' rows. A row rather than an error, so
-- that PostgreSQL's log does not get an ERROR line for every claim of such a session.
-- One process (the usual session) compares `process_name = served_processes[1]` so the
-- jobs_pending index gives the rows in claim order; several use `= ANY`, as `IN` did.
CREATE FUNCTION baton_claim(
  p_tenant text, p_session text, p_robot text, p_process_list jsonb, p_folder_list jsonb,
  p_slots integer, p_max integer, p_now timestamptz, p_long_polling_max_seconds double precision
) RETURNS SETOF jobs LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  served_processes text[] := ARRAY(SELECT jsonb_array_elements_text(p_process_list));
  -- NULL: every folder
  served_folders text[] := CASE WHEN p_folder_list IS NOT NULL THEN ARRAY(SELECT jsonb_array_elements_text(p_folder_list)) END;
  room integer;
  picked bigint[];
BEGIN
  -- holds off a concurrent close until this claim commits, and makes the claims of one
  -- session take turns
  PERFORM 1 FROM robot_sessions WHERE id = p_session AND lease_expires_at > p_now FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM processes
              WHERE tenant_id = p_tenant AND name = ANY (served_processes) AND (served_folders IS NULL OR folder_key = ANY (served_folders))
                AND (max_concurrent_jobs IS NOT NULL OR max_concurrent_jobs_per_key IS NOT NULL)) THEN
    RETURN NEXT NULL::jobs;
    RETURN;
  END IF;
  room := LEAST(p_max, p_slots - (SELECT COUNT(*) FROM jobs WHERE session_id = p_session AND state IN ('Running', 'Stopping', 'Terminating'))::integer);
  IF room <= 0 THEN
    RETURN;
  END IF;
  -- the jobs picked and locked, in claim order, by one of two statements that differ in their
  -- process condition only (the one-process form keeps the index's order for a generic plan)
  IF cardinality(served_processes) = 1 THEN
    picked := ARRAY(SELECT seq FROM jobs
                     WHERE tenant_id = p_tenant AND state = 'Pending' AND process_name = served_processes[1]
                       AND (served_folders IS NULL OR folder_key = ANY (served_folders))
                       AND (not_before IS NULL OR not_before <= p_now)
                     ORDER BY priority DESC, seq LIMIT room FOR UPDATE SKIP LOCKED);
  ELSE
    picked := ARRAY(SELECT seq FROM jobs
                     WHERE tenant_id = p_tenant AND state = 'Pending' AND process_name = ANY (served_processes)
                       AND (served_folders IS NULL OR folder_key = ANY (served_folders))
                       AND (not_before IS NULL OR not_before <= p_now)
                     ORDER BY priority DESC, seq LIMIT room FOR UPDATE SKIP LOCKED);
  END IF;
  RETURN QUERY
    UPDATE jobs j SET state = 'Running', session_id = p_session, robot = p_robot, started_at = GREATEST(p_now, j.created_at),
           attempt = j.attempt + 1, not_before = NULL, info = NULL,
           deadline_at = LEAST(
             CASE WHEN j.call_mode = 'LongPolling' THEN j.created_at + make_interval(secs => p_long_polling_max_seconds) END,
             CASE WHEN j.max_duration_seconds IS NOT NULL THEN p_now + make_interval(secs => j.max_duration_seconds) END)
     WHERE j.seq = ANY (picked)
    RETURNING j.*;
END
$$;
