import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobCursor } from "../../src/core/listQuery.js";
import type { JobFilter } from "../../src/core/store.js";
import type { Sql } from "../../src/store/sql/sql.js";
import { PostgresStore } from "../../src/store/postgres/PostgresStore.js";
import { SqliteStore } from "../../src/store/sqlite/SqliteStore.js";
import { dropSchema, TEST_STORE, testDatabaseUrl } from "../helpers/baton.js";

/**
 * Issue 18: every filter the job list offers reads an index that starts with it, newest
 * first, so a page costs the same with a million other jobs as with none (bench scenario 7
 * measures it). The plan of the store's own query is checked, not a copy of it. A time
 * window is ordered by creation time (then seq), the order of its index, jobs_created.
 */
const FILTERS: [name: string, filter: JobFilter, index: string][] = [
  ["process", { processName: "P" }, "jobs_process_seq"],
  ["trigger", { triggerId: "00000000-0000-4000-8000-000000000001" }, "jobs_trigger_seq"],
  ["time trigger", { timeTriggerId: "00000000-0000-4000-8000-000000000002" }, "jobs_time_trigger"],
  ["state", { state: ["Faulted"] }, "jobs_state_seq"],
  ["folder", { folderKey: "f" }, "jobs_folder_seq"],
  ["time window", { createdAfter: "2026-01-01T00:00:00.000Z", createdBefore: "2026-01-02T00:00:00.000Z" }, "jobs_created"],
];

describe(`the job list's filters read their indexes (${TEST_STORE})`, () => {
  let plan: (filter: JobFilter, cursor: JobCursor | null) => Promise<string>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (TEST_STORE === "sqlite") {
      const dir = mkdtempSync(join(tmpdir(), "baton-plans-"));
      const store = new SqliteStore(join(dir, "baton.db"));
      await store.migrate();
      plan = async (filter, cursor) => {
        let captured: Sql | null = null;
        const runNow = store.executor.runNow.bind(store.executor);
        store.executor.runNow = ((query: Sql, how: "all" | "get" | "run") => { captured ??= query; return runNow(query, how); }) as typeof runNow;
        try {
          await store.listJobs("t", filter, 25, cursor);
        } finally {
          store.executor.runNow = runNow;
        }
        const { text, values } = captured!.compile(store.executor.dialect);
        const rows = store.connection.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...values.map((v) => (typeof v === "boolean" ? Number(v) : v ?? null))) as { detail: string }[];
        return rows.map((r) => r.detail).join(" | ");
      };
      cleanup = async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); };
    } else {
      const { url, schema } = testDatabaseUrl();
      const store = new PostgresStore({ url });
      await store.migrate();
      plan = async (filter, cursor) => {
        let captured: Sql | null = null;
        const all = store.executor.all.bind(store.executor);
        store.executor.all = (async (query: Sql) => { captured ??= query; return all(query); }) as typeof all;
        try {
          await store.listJobs("t", filter, 25, cursor);
        } finally {
          store.executor.all = all;
        }
        const { text, values } = captured!.compile(store.executor.dialect);
        const client = await store.executor.pool.connect();
        try {
          // an empty table is read whole whatever its indexes: ask which index the planner would use
          await client.query("SET enable_seqscan = off");
          const rows = await client.query(`EXPLAIN ${text}`, values);
          return rows.rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join(" | ");
        } finally {
          await client.query("RESET enable_seqscan");
          client.release();
        }
      };
      cleanup = async () => { await store.close(); await dropSchema(schema); };
    }
  });
  afterAll(async () => { await cleanup(); });

  for (const [name, filter, index] of FILTERS) {
    it(`by ${name}: the first page and a deep page read ${index}`, async () => {
      expect(await plan(filter, null)).toContain(index);
      expect(await plan(filter, { seq: 500_000, ...(filter.createdAfter ? { createdAt: "2026-01-01T12:00:00.000Z" } : {}) })).toContain(index);
    });
  }
});
