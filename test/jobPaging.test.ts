import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobCursor } from "../src/core/listQuery.js";
import type { Store } from "../src/core/store.js";
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
  });
}
