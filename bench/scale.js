// Scenario 7 of bench/run.js (issue 18): cost flat as work grows. The same measures on an
// empty store and after filling it with `--fill` jobs (default 1,000,000; --quick 200,000),
// waiting and finished, written straight into the jobs table: invoke throughput, invoke →
// claim latency through an external robot, and the console's filtered job reads (by
// process, trigger, state, folder and time window; the first page and a deep page).
import Database from "better-sqlite3";
import { performance } from "node:perf_hooks";
import { URLSearchParams } from "node:url";
import { schemaPool } from "./pg.js";

const READ_FILTERS = ["process", "trigger", "state", "folder", "time"];

/** Rows of the fill, by share: most wait for a process nobody serves or are done; a few are rare. */
const FILL = { faultedEvery: 25, rareEvery: 10_000 };

/**
 * Inserts `n` jobs in one statement per 100,000. Job i is created `stepMs` after job i-1,
 * the last one `stepMs` before `endMs`. Every 10,000th is the rare process's (folder
 * BenchScale, its trigger), every 25th other one Faulted, half of the rest Pending for the
 * process BenchWaiting, the others Successful for BenchDone.
 */
export async function fillJobs(db, { shared, rare, n, endMs, stepMs, rareEvery = FILL.rareEvery, keyPrefix = "fill-" }) {
  const startMs = endMs - n * stepMs;
  if (!/^[a-z-]+$/.test(keyPrefix) || !Number.isInteger(rareEvery)) throw new Error("fillJobs: bad keyPrefix or rareEvery");
  const batch = 100_000;
  const args = (from, to, tenantId) => ({
    from, to, startMs, stepMs, tenantId, sharedKey: shared.folderKey, rareKey: rare.folderKey,
    waitingTrigger: shared.waitingTriggerId, doneTrigger: shared.doneTriggerId, rareTrigger: rare.triggerId,
  });
  if (db.store === "sqlite") {
    const conn = new Database(db.file, { fileMustExist: true });
    conn.pragma("busy_timeout = 60000");
    const tenantId = conn.prepare("SELECT tenant_id FROM folders WHERE key = ?").get(shared.folderKey).tenant_id;
    const stmt = conn.prepare(`
      WITH RECURSIVE n(i) AS (SELECT @from UNION ALL SELECT i + 1 FROM n WHERE i < @to)
      INSERT INTO jobs (key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority,
        input_arguments, output_arguments, error, attempt, created_at, started_at, ended_at)
      SELECT '${keyPrefix}' || i, @tenantId,
        CASE WHEN i % ${rareEvery} = 0 THEN @rareKey ELSE @sharedKey END,
        CASE WHEN i % ${rareEvery} = 0 THEN 'BenchRare' WHEN i % 2 = 0 THEN 'BenchWaiting' ELSE 'BenchDone' END,
        CASE WHEN i % ${rareEvery} = 0 THEN @rareTrigger WHEN i % 2 = 0 THEN @waitingTrigger ELSE @doneTrigger END,
        'ApiTrigger', 'AsyncRequestReply',
        CASE WHEN i % ${rareEvery} = 0 THEN 'Successful' WHEN i % ${FILL.faultedEvery} = 0 THEN 'Faulted' WHEN i % 2 = 0 THEN 'Pending' ELSE 'Successful' END,
        1, '{"i":' || i || '}',
        CASE WHEN i % 2 = 0 AND i % ${rareEvery} <> 0 THEN NULL ELSE '{}' END,
        CASE WHEN i % ${FILL.faultedEvery} = 0 AND i % ${rareEvery} <> 0 THEN '{"code":"Bench","message":"filled"}' ELSE NULL END,
        CASE WHEN i % 2 = 0 AND i % ${rareEvery} <> 0 THEN 0 ELSE 1 END,
        strftime('%Y-%m-%dT%H:%M:%fZ', (@startMs + i * @stepMs) / 1000.0, 'unixepoch'),
        CASE WHEN i % 2 = 0 AND i % ${rareEvery} <> 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', (@startMs + i * @stepMs + 1) / 1000.0, 'unixepoch') END,
        CASE WHEN i % 2 = 0 AND i % ${rareEvery} <> 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', (@startMs + i * @stepMs + 2) / 1000.0, 'unixepoch') END
      FROM n`);
    try {
      for (let from = 1; from <= n; from += batch) stmt.run(args(from, Math.min(n, from + batch - 1), tenantId));
      conn.exec("ANALYZE");
    } finally {
      conn.close();
    }
    return;
  }
  const pool = schemaPool(db.schema);
  const tenantId = (await pool.query("SELECT tenant_id FROM folders WHERE key = $1", [shared.folderKey])).rows[0].tenant_id;
  const pending = `(i % 2 = 0 AND i % ${rareEvery} <> 0)`;
  try {
    for (let from = 1; from <= n; from += batch) {
      const a = args(from, Math.min(n, from + batch - 1), tenantId);
      await pool.query(`
        INSERT INTO jobs (key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority,
          input_arguments, output_arguments, error, attempt, created_at, started_at, ended_at)
        SELECT '${keyPrefix}' || i, $1,
          CASE WHEN i % ${rareEvery} = 0 THEN $2 ELSE $3 END,
          CASE WHEN i % ${rareEvery} = 0 THEN 'BenchRare' WHEN i % 2 = 0 THEN 'BenchWaiting' ELSE 'BenchDone' END,
          CASE WHEN i % ${rareEvery} = 0 THEN $4 WHEN i % 2 = 0 THEN $5 ELSE $6 END,
          'ApiTrigger', 'AsyncRequestReply',
          CASE WHEN i % ${rareEvery} = 0 THEN 'Successful' WHEN i % ${FILL.faultedEvery} = 0 THEN 'Faulted' WHEN i % 2 = 0 THEN 'Pending' ELSE 'Successful' END,
          1, json_build_object('i', i),
          CASE WHEN ${pending} THEN NULL ELSE '{}'::json END,
          CASE WHEN i % ${FILL.faultedEvery} = 0 AND i % ${rareEvery} <> 0 THEN '{"code":"Bench","message":"filled"}'::json ELSE NULL END,
          CASE WHEN ${pending} THEN 0 ELSE 1 END,
          to_timestamp(($7::bigint + i * $8::bigint) / 1000.0),
          CASE WHEN ${pending} THEN NULL ELSE to_timestamp(($7::bigint + i * $8::bigint + 1) / 1000.0) END,
          CASE WHEN ${pending} THEN NULL ELSE to_timestamp(($7::bigint + i * $8::bigint + 2) / 1000.0) END
        FROM generate_series($9::bigint, $10::bigint) AS i`,
      [a.tenantId, a.rareKey, a.sharedKey, a.rareTrigger, a.waitingTrigger, a.doneTrigger, a.startMs, a.stepMs, a.from, a.to]);
    }
    // what autovacuum would do shortly after such a load
    await pool.query("ANALYZE jobs");
  } finally {
    await pool.end();
  }
}

/** The highest job seq in the store (for a deep page's cursor). */
export async function maxSeq(db) {
  if (db.store === "sqlite") {
    const conn = new Database(db.file, { readonly: true, fileMustExist: true });
    try {
      return Number(conn.prepare("SELECT MAX(seq) AS s FROM jobs").get().s ?? 0);
    } finally {
      conn.close();
    }
  }
  const pool = schemaPool(db.schema);
  try {
    return Number((await pool.query("SELECT MAX(seq) AS s FROM jobs")).rows[0].s ?? 0);
  } finally {
    await pool.end();
  }
}

/** Counts the jobs of one process only (the fill's waiting jobs never end). */
export function processCounter(db, processName) {
  const sql = "SELECT COUNT(*) AS total, COUNT(CASE WHEN state = 'Successful' THEN 1 END) AS ok, COUNT(CASE WHEN state NOT IN ('Successful', 'Faulted', 'Stopped') THEN 1 END) AS open FROM jobs WHERE process_name = ";
  if (db.store === "sqlite") {
    const conn = new Database(db.file, { readonly: true, fileMustExist: true });
    const q = conn.prepare(`${sql}?`);
    return { count: async () => { const r = q.get(processName); return { total: r.total, ok: r.ok, open: r.open }; }, close: async () => conn.close() };
  }
  const pool = schemaPool(db.schema);
  return {
    count: async () => { const r = (await pool.query(`${sql}$1`, [processName])).rows[0]; return { total: Number(r.total), ok: Number(r.ok), open: Number(r.open) }; },
    close: () => pool.end(),
  };
}

const cursorOf = (seq) => Buffer.from(JSON.stringify({ s: seq })).toString("base64url");

/** The query string of each filtered read; `deepSeq` makes it a deep page. */
export function readQueries({ shared, rare, windowFrom, windowTo, deepSeq }) {
  const q = {
    process: { processName: "BenchRare" },
    trigger: { triggerId: rare.triggerId },
    state: { state: "Faulted" },
    folder: { folderKey: rare.folderKey },
    time: { createdAfter: windowFrom, createdBefore: windowTo },
  };
  void shared;
  const out = {};
  for (const name of READ_FILTERS) {
    out[`${name}, first page`] = new URLSearchParams({ ...q[name], limit: "25" }).toString();
    out[`${name}, deep page`] = new URLSearchParams({ ...q[name], limit: "25", cursor: cursorOf(deepSeq) }).toString();
  }
  // a rare combination of common values: half the jobs are BenchWaiting's, most of the rest
  // Successful, and no BenchWaiting job is (no index answers it alone: a page looks at
  // JOB_LIST_SCAN_ROWS jobs at most, and answers a short page and a cursor)
  out["combination, first page"] = new URLSearchParams({ processName: "BenchWaiting", state: "Successful", limit: "25" }).toString();
  out["combination, deep page"] = new URLSearchParams({ processName: "BenchWaiting", state: "Successful", limit: "25", cursor: cursorOf(deepSeq) }).toString();
  return out;
}

/** `calls` sequential reads of each query through the API, after a few warm-up ones: p50 and p99 in ms. */
export async function timeReads(node, queries, calls, headers, summarize) {
  const out = {};
  for (const [name, query] of Object.entries(queries)) {
    const url = `${node.tenantBase}/orchestrator_/api/v1/jobs?${query}`;
    const times = [];
    for (let i = 0; i < calls + 10; i++) {
      const t0 = performance.now();
      const res = await fetch(url, { headers });
      const body = await res.text();
      const t = performance.now() - t0;
      if (res.status !== 200) throw new Error(`GET /jobs?${query} answered ${res.status}: ${body}`);
      if (i >= 10) times.push(t);
    }
    out[name] = summarize(times);
  }
  return out;
}
