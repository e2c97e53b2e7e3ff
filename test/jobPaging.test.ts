import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { JobCursor } from "../src/core/listQuery.js";
import type { JobFilter, Store } from "../src/core/store.js";
import { PostgresStore } from "../src/store/postgres/PostgresStore.js";
import { SqliteStore } from "../src/store/sqlite/SqliteStore.js";
import { dropSchema, testDatabaseUrl } from "./helpers/baton.js";

/**
 * The console pages through a tenant's jobs with `limit` and an opaque cursor (the last
 * `seq` seen). With 100,000 jobs, a page deep in the list must cost what the first one
 * costs: the query walks an index from the cursor (by seq) and stops after `limit` rows,
 * never sorts, never skips an OFFSET. Checked on each store by its own plan (PostgreSQL:
 * the rows the scan actually read, those of another tenant included: a second tenant's
 * jobs are interleaved with the first's). Runs once; covers both stores.
 */
const JOBS = 100_000;
const PAGE = 50;

interface Engine {
  name: string;
  store: Store;
  tenantId: string;
  seed(): Promise<void>;
  /** the plan of one page after `cursor` */
  plan(cursor: number): Promise<string>;
  cleanup(): Promise<void>;
}

async function sqlite(): Promise<Engine> {
  const dir = mkdtempSync(join(tmpdir(), "baton-paging-"));
  const store = new SqliteStore(join(dir, "baton.db"));
  await store.migrate();
  const { tenant } = await store.ensureTenant("paging", "t");
  const { tenant: other } = await store.ensureTenant("paging", "other");
  const db = store.connection;
  return {
    name: "sqlite", store, tenantId: tenant.id,
    async seed() {
      db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${JOBS})
        INSERT INTO jobs (key, tenant_id, folder_key, process_name, source, call_mode, state, priority, input_arguments, created_at, ended_at)
        SELECT printf('00000000-0000-4000-8000-%012d', i), CASE WHEN i % 2 = 0 THEN '${other.id}' ELSE '${tenant.id}' END, 'f', 'P', 'Api', 'FireAndForget', 'Successful', 1, '{}',
               strftime('%Y-%m-%dT%H:%M:%fZ', '2030-01-01', '+' || i || ' seconds'), strftime('%Y-%m-%dT%H:%M:%fZ', '2030-01-01', '+' || i || ' seconds')
          FROM n`);
      db.exec("ANALYZE");
    },
    async plan(cursor) {
      const rows = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM jobs WHERE tenant_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?").all(tenant.id, cursor, PAGE + 1) as { detail: unknown }[];
      return rows.map((r) => String(r.detail)).join("\n");
    },
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgres(): Promise<Engine> {
  const { url, schema } = testDatabaseUrl();
  const store = new PostgresStore({ url });
  await store.migrate();
  const { tenant } = await store.ensureTenant("paging", "t");
  const { tenant: other } = await store.ensureTenant("paging", "other");
  return {
    name: "postgres", store, tenantId: tenant.id,
    async seed() {
      await store.pool.query(
        `INSERT INTO jobs (key, tenant_id, folder_key, process_name, source, call_mode, state, priority, input_arguments, created_at, ended_at)
         SELECT format('00000000-0000-4000-8000-%s', lpad(i::text, 12, '0')), CASE WHEN i % 2 = 0 THEN $2 ELSE $1 END, 'f', 'P', 'Api', 'FireAndForget', 'Successful', 1, '{}',
                timestamptz '2030-01-01' + make_interval(secs => i), timestamptz '2030-01-01' + make_interval(secs => i)
           FROM generate_series(1, ${JOBS}) AS i`,
        [tenant.id, other.id],
      );
      await store.pool.query("ANALYZE jobs");
    },
    async plan(cursor) {
      const { rows } = await store.pool.query(
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM jobs WHERE tenant_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
        [tenant.id, cursor, PAGE + 1],
      );
      return JSON.stringify(rows[0]["QUERY PLAN"]);
    },
    async cleanup() {
      await store.close();
      await dropSchema(schema);
    },
  };
}

type PlanNode = { "Node Type": string; "Index Name"?: string; "Actual Rows": number; "Rows Removed by Filter"?: number };

/** Runs `work` with the statements sent through `pool` whose text `keep` accepts recorded (PostgreSQL; no pool: none). */
async function sentDuring<T>(pool: PostgresStore["pool"] | null, keep: (text: string) => boolean, work: () => Promise<T>): Promise<{ result: T; sent: { text: string; values: unknown[] }[] }> {
  const sent: { text: string; values: unknown[] }[] = [];
  const original = pool?.query.bind(pool) as ((...a: unknown[]) => unknown) | undefined;
  const spy = pool ? vi.spyOn(pool, "query").mockImplementation(((...args: unknown[]) => {
    const q = args[0] as { text?: string; values?: unknown[] } | string;
    if (typeof q === "object" && q.text !== undefined && keep(q.text)) sent.push({ text: q.text, values: q.values ?? [] });
    return original!(...args);
  }) as never) : null;
  try {
    return { result: await work(), sent };
  } finally {
    spy?.mockRestore();
  }
}

/** The nodes of a statement's plan as PostgreSQL ran it (EXPLAIN ANALYZE), and the plan as text for the failure message. */
async function planNodes(pool: PostgresStore["pool"], statement: { text: string; values: unknown[] }): Promise<{ nodes: PlanNode[]; plan: string }> {
  const { rows } = await pool.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`, statement.values);
  const nodes: PlanNode[] = [];
  const walk = (n: Record<string, unknown>) => {
    nodes.push(n as never);
    for (const child of (n.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((rows[0]["QUERY PLAN"] as { Plan: Record<string, unknown> }[])[0]!.Plan);
  return { nodes, plan: JSON.stringify(rows[0]) };
}

for (const make of [sqlite, postgres]) {
  describe(`paging through ${JOBS.toLocaleString("en")} jobs (${make.name})`, () => {
    let e: Engine;
    beforeAll(async () => {
      e = await make();
      await e.seed();
    }, 120_000);
    afterAll(async () => { await e?.cleanup(); });

    it("walks pages by cursor: consecutive, without repeats, newest first", async () => {
      let cursor: JobCursor | null = null;
      const seen = new Set<string>();
      let previous = Infinity;
      for (let page = 0; page < 5; page++) {
        const { items, next } = await e.store.listJobs(e.tenantId, {}, PAGE, cursor);
        expect(items).toHaveLength(PAGE);
        for (const job of items) {
          expect(seen.has(job.key)).toBe(false);
          seen.add(job.key);
          const n = Number(job.key.slice(-12));
          expect(n).toBeLessThan(previous);
          previous = n;
        }
        cursor = next;
      }
      // a page deep in the list, of this tenant's (odd) jobs: the cursor of job 201 gives 199 and below
      const deep = await e.store.listJobs(e.tenantId, {}, PAGE, { seq: 201 });
      expect(deep.items.map((j) => Number(j.key.slice(-12)))).toEqual(Array.from({ length: PAGE }, (_, i) => 199 - 2 * i));
      expect(deep.next).toEqual({ seq: 101 });
    });

    it("a deep page costs what the first one does: an index walk from the cursor, no sort", async () => {
      for (const cursor of [JOBS + 1, JOBS / 2, 200]) {
        const plan = await e.plan(cursor);
        if (e.name === "sqlite") {
          // a seek to the cursor (the (tenant_id, seq) index or seq itself), never a scan or a sort
          expect(plan).toMatch(/^SEARCH jobs USING (INDEX jobs_tenant_seq \(tenant_id=\? AND seq<\?\)|INTEGER PRIMARY KEY \(rowid<\?\))$/);
        } else {
          const nodes: { "Node Type": string; "Index Name"?: string; "Actual Rows": number; "Rows Removed by Filter"?: number }[] = [];
          const walk = (n: Record<string, unknown>) => {
            nodes.push(n as never);
            for (const child of (n.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
          };
          walk((JSON.parse(plan) as { Plan: Record<string, unknown> }[])[0]!.Plan);
          expect(nodes.map((n) => n["Node Type"])).not.toContain("Sort");
          const scan = nodes.find((n) => n["Node Type"] === "Index Scan" && (n["Index Name"] === "jobs_tenant_seq" || n["Index Name"] === "jobs_pkey"));
          expect(scan, plan).toBeTruthy();
          // the scan read about one page (and the row that tells there is a next one; with the
          // seq index, the other tenant's rows in between), wherever the cursor is
          expect(scan!["Actual Rows"] + (scan!["Rows Removed by Filter"] ?? 0), plan).toBeLessThanOrEqual(2 * (PAGE + 1));
        }
      }
    });

    it("a rare combination of common values (no job of process P is Faulted) looks at scanRows jobs a page, and pages on below them", async () => {
      const filter: JobFilter = { processName: "P", state: ["Faulted"] };
      const pool = e.name === "postgres" ? (e.store as PostgresStore).pool : null;
      // PostgreSQL: the page's own statement as the store sends it (not its bound's, with OFFSET), to read its plan
      const { result: first, sent } = await sentDuring(pool, (text) => text.includes("FROM jobs") && !text.includes("OFFSET"),
        () => e.store.listJobs(e.tenantId, filter, PAGE, null, 1000));
      expect(first.items).toEqual([]);
      expect(first.next).toEqual({ seq: expect.any(Number) });
      // the tenant's 50,000 jobs in 50 walks of 1,000, and a last look below them that finds none
      let cursor = first.next;
      let pages = 1;
      while (cursor) {
        const page = await e.store.listJobs(e.tenantId, filter, PAGE, cursor, 1000);
        expect(page.items).toEqual([]);
        cursor = page.next;
        pages++;
        expect(pages).toBeLessThanOrEqual(51);
      }
      expect(pages).toBe(51);
      if (pool) {
        // the page's own statement read at most the walk's 1,000 rows of P, not every job newer than them
        expect(sent).toHaveLength(1);
        const { nodes, plan } = await planNodes(pool, sent[0]!);
        // whichever index the planner takes (here the state's, where no job is Faulted): no more rows than the walk's
        const scans = nodes.filter((n) => /Scan/.test(n["Node Type"]));
        expect(scans.length, plan).toBeGreaterThan(0);
        expect(scans.reduce((a, n) => a + n["Actual Rows"] + (n["Rows Removed by Filter"] ?? 0), 0), plan).toBeLessThanOrEqual(1000);
      }
    });

    it("a deep page of a time window starts at the cursor's time: the walk is bounded by it, not by the window's end", async () => {
      const window = { createdAfter: "2030-01-01T01:00:00.000Z", createdBefore: "2030-01-01T20:00:00.000Z" };
      const key = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
      // PostgreSQL: the statement as the store sends it, to read its plan
      const pool = e.name === "postgres" ? (e.store as PostgresStore).pool : null;
      // the cursor a list by seq hands out (no time in it): its job's creation is looked up
      const { result: page, sent } = await sentDuring(pool, (text) => text.includes("ORDER BY created_at DESC"),
        () => e.store.listJobs(e.tenantId, window, PAGE, { seq: 40_001 }));
      // this tenant's jobs are the odd ones (the other tenant's are interleaved)
      expect(page.items.map((j) => j.key)).toEqual(Array.from({ length: PAGE }, (_, n) => key(39_999 - 2 * n)));
      if (pool) {
        expect(sent).toHaveLength(1);
        const { nodes, plan } = await planNodes(pool, sent[0]!);
        const scan = nodes.find((n) => n["Index Name"] === "jobs_created");
        expect(scan, plan).toBeTruthy();
        // about a page (with the other tenant's rows in between); without the bound: every job of the window newer than the cursor
        expect(scan!["Actual Rows"] + (scan!["Rows Removed by Filter"] ?? 0), plan).toBeLessThanOrEqual(2 * (PAGE + 1));
      }
    });
  });
}

/**
 * A filtered list (by process, trigger, folder, state) reads its own index on SQLite, whatever
 * the statistics say. SQLite plans from averages: with most jobs of one process, a rare
 * process looks common, and a deep page was read by walking the table back from the cursor
 * (25 ms at 200,000 jobs in bench scenario 7). The plan is read for the statement the store
 * actually prepares.
 */
describe("a filtered deep page on SQLite, with statistics that make a rare value look common", () => {
  let dir: string;
  let store: SqliteStore;
  let tenantId: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-paging-rare-"));
    store = new SqliteStore(join(dir, "baton.db"));
    await store.migrate();
    tenantId = (await store.ensureTenant("paging", "rare")).tenant.id;
    const db = store.connection;
    // 20,000 jobs of one process, folder, trigger and state, then 5 of a rare process, in a
    // folder and trigger of its own, Faulted
    const insert = (from: number, to: number, rare: boolean) => db.exec(`WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to})
      INSERT INTO jobs (key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, input_arguments, created_at)
      SELECT printf('00000000-0000-4000-8000-%012d', i), '${tenantId}', '${rare ? "rare-folder" : "f"}', '${rare ? "Rare" : "Common"}',
             '${rare ? "rare-trigger" : "common-trigger"}', 'Api', 'FireAndForget', '${rare ? "Faulted" : "Successful"}', 1, '{}',
             strftime('%Y-%m-%dT%H:%M:%fZ', '2030-01-01', '+' || i || ' seconds')
        FROM n`);
    insert(1, 20_000, false);
    insert(20_001, 20_005, true);
    // statistics as a young node's PRAGMA optimize leaves them until the table has grown
    // manyfold (seen in bench scenario 7): every value of these columns stands for every row
    db.exec("ANALYZE");
    db.exec("DELETE FROM sqlite_stat4");
    db.exec("UPDATE sqlite_stat1 SET stat = '20005 20005 20005' WHERE idx IN ('jobs_process_seq', 'jobs_trigger_seq', 'jobs_folder_seq', 'jobs_state_seq')");
    db.exec("ANALYZE sqlite_schema");
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, JobFilter, string][] = [
    ["process", { processName: "Rare" }, "jobs_process_seq"],
    ["trigger", { triggerId: "rare-trigger" }, "jobs_trigger_seq"],
    ["folder", { folderKey: "rare-folder" }, "jobs_folder_seq"],
    ["state", { state: ["Faulted"] }, "jobs_state_seq"],
  ];
  for (const [name, filter, index] of cases) {
    it(`by ${name}: the page's rows from ${index}, from the cursor on`, async () => {
      const db = store.connection;
      const prepared: string[] = [];
      const prepare = db.prepare.bind(db);
      const spy = vi.spyOn(db, "prepare").mockImplementation(((text: string) => { prepared.push(text); return prepare(text); }) as typeof db.prepare);
      let page;
      try {
        page = await store.listJobs(tenantId, filter, 25, { seq: 20_004 });
      } finally {
        spy.mockRestore();
      }
      expect(page.items.map((j) => j.key)).toEqual([20_003, 20_002, 20_001].map((i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`));
      const text = prepared.find((t) => /FROM jobs .*WHERE/s.test(t) && t.includes("ORDER BY seq DESC"));
      expect(text, "the list's statement").toBeTruthy();
      const params = [tenantId, Object.values(filter)[0] instanceof Array ? "Faulted" : Object.values(filter)[0], 20_004, 26];
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as { detail: string }[]).map((r) => r.detail).join("\n");
      expect(plan).toMatch(new RegExp(`^SEARCH jobs USING INDEX ${index} \\(tenant_id=\\? AND \\w+=\\? AND rowid<\\?\\)$`));
    });
  }
});
