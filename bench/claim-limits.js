// npm run build && node bench/claim-limits.js [--jobs=2000] [--rounds=5] [--batch=64] [--stores=sqlite,postgres]
//
// The claim path's own cost with concurrency limits configured (issue 17), without HTTP,
// robots or a load generator around it: jobs are created in the store, then claimed in
// batches (as a robot with `batch` free slots asks) and completed, until none is left; the
// rounds alternate between a process without limits and one with limits that never throttle
// (maxConcurrentJobs and a per-key limit of 10,000, concurrencyKey /x), so the machine's
// noise falls on both alike. Reports claimed jobs per second of claiming, and the ratio.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { SqliteStore } from "../dist/store/sqlite/SqliteStore.js";
import { PostgresStore } from "../dist/store/postgres/PostgresStore.js";
import { databaseUrl, dropSchema, freshSchema } from "./pg.js";

const { values: opts } = parseArgs({
  options: {
    jobs: { type: "string", default: "2000" }, rounds: { type: "string", default: "5" }, batch: { type: "string", default: "64" },
    stores: { type: "string", default: "sqlite,postgres" },
  },
});
const JOBS = Number(opts.jobs);
const ROUNDS = Number(opts.rounds);
const BATCH = Number(opts.batch);
const at = () => new Date().toISOString();

async function measure(store) {
  await store.migrate();
  const { tenant } = await store.ensureTenant("bench", "claims");
  const folder = { key: randomUUID(), tenantId: tenant.id, name: "Bench", createdAt: at() };
  await store.createFolder(folder);
  const process = (name, limits) => ({
    id: randomUUID(), tenantId: tenant.id, folderKey: folder.key, name, description: "", defaultInputArguments: {}, inputSchema: null, outputSchema: null,
    priority: "Normal", maxDurationSeconds: null, retry: { maxAttempts: 1, backoff: { type: "Fixed", delaySeconds: 0, maxDelaySeconds: 0, jitter: false } }, createdAt: at(), updatedAt: at(),
    maxConcurrentJobs: null, concurrencyKey: null, maxConcurrentJobsPerKey: null, ...limits,
  });
  await store.createProcess(process("Plain", {}));
  await store.createProcess(process("Limited", { maxConcurrentJobs: 10_000, concurrencyKey: "/x", maxConcurrentJobsPerKey: 10_000 }));
  const session = (name) => ({
    id: randomUUID(), tenantId: tenant.id, robotKeyId: null, robotName: "bench", version: null, processes: [name], slots: BATCH,
    leaseExpiresAt: new Date(Date.now() + 3_600_000).toISOString(), createdAt: at(), folderKeys: null,
  });
  const sessions = { Plain: session("Plain"), Limited: session("Limited") };
  for (const s of Object.values(sessions)) await store.createSession(s);

  const round = async (name) => {
    await Promise.all(Array.from({ length: JOBS }, () => store.createJob({
      key: randomUUID(), tenantId: tenant.id, folderKey: folder.key, processName: name, triggerId: null, source: "Api", callMode: "FireAndForget",
      state: "Pending", priority: "Normal", inputArguments: { x: 1 }, outputArguments: null, error: null, robot: null, sessionId: null, attempt: 0,
      createdAt: at(), startedAt: null, endedAt: null, info: null, maxDurationSeconds: null, deadlineAt: null, idempotencyKey: null,
      concurrencyKey: name === "Limited" ? "1" : null,
    })));
    let claimed = 0;
    let claimMs = 0;
    for (;;) {
      const t0 = performance.now();
      const jobs = await store.claimJobs(sessions[name], BATCH, at(), 60);
      claimMs += performance.now() - t0;
      if (jobs.length === 0) break;
      claimed += jobs.length;
      await Promise.all(jobs.map((j) => store.updateJob(tenant.id, j.key, ["Running"], null, { state: "Successful", endedAt: at(), sessionId: null })));
    }
    if (claimed !== JOBS) throw new Error(`${name}: ${claimed} of ${JOBS} claimed`);
    return (claimed / claimMs) * 1000;
  };
  const rates = { Plain: [], Limited: [] };
  await round("Plain"); // warm-up: statements prepared, caches filled
  await round("Limited");
  for (let i = 0; i < ROUNDS; i++) for (const name of i % 2 ? ["Limited", "Plain"] : ["Plain", "Limited"]) rates[name].push(await round(name));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { plain: Math.round(median(rates.Plain)), limited: Math.round(median(rates.Limited)), ratio: Number((median(rates.Limited) / median(rates.Plain)).toFixed(3)) };
}

for (const engine of opts.stores.split(",")) {
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "baton-claims-"));
    const store = new SqliteStore(join(dir, "baton.db"));
    try {
      console.log("sqlite", await measure(store));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    const schema = freshSchema("bench_claims");
    const store = new PostgresStore({ url: databaseUrl(schema) });
    try {
      console.log("postgres", await measure(store));
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  }
}
