// npm run bench: the performance figures of Baton, each next to its baseline or target, on
// SQLite and on PostgreSQL side by side. See bench/README.md for what is measured and how.
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, URLSearchParams } from "node:url";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { buildConnector, Pool } from "undici";
import {
  BENCH_TOKEN, killAllChildren, machineBusySeconds, memoryOf, postgresCpuSeconds, resetPeakRss, startBaton, startBareServer, startBullmqPeer, startGraphilePeer, startRobot,
  stoppedChildrenCpuSeconds,
} from "./children.js";
import { fillJobs, maxSeq, processCounter, readQueries, timeReads } from "./scale.js";
import { BENCH_DATABASE_URL, databaseTransactions, databaseUrl, dropAllSchemas, dropSchema, freshSchema, pingPostgres, schemaPool } from "./pg.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ["invoke", "idempotency", "latency", "concurrent", "e2e", "e2e-limits", "peer", "bullmq", "scale", "webhooks"];
const STORES = ["sqlite", "postgres"];

const { values: opts } = parseArgs({
  options: {
    only: { type: "string" },
    stores: { type: "string", default: STORES.join(",") },
    quick: { type: "boolean", default: false },
    duration: { type: "string" },
    warmup: { type: "string" },
    connections: { type: "string", default: "50" },
    calls: { type: "string" },
    callers: { type: "string" },
    "sleep-seconds": { type: "string", default: "2" },
    "connect-window": { type: "string", default: "256" },
    robots: { type: "string", default: "2" },
    "robot-slots": { type: "string", default: "64" },
    "paced-rate": { type: "string", default: "200" },
    "peer-concurrency": { type: "string", default: "32" },
    fill: { type: "string" },
    reads: { type: "string" },
    "cpu-prof": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: npm run bench [-- options]
  --only=invoke,idempotency,latency,concurrent,e2e,e2e-limits,peer,bullmq,scale,webhooks   run some scenarios only (default: all)
                                     idempotency: invoke throughput without and with a new Idempotency-Key on every call (ABBA)
                                     e2e-limits: scenario 4's throughput without and with concurrency limits that never
                                     throttle (maxConcurrentJobs and a per-key limit of 10,000), rounds in ABBA order: the
                                     limited claim's cost
  --stores=sqlite,postgres           the stores to run them on (default: both; peer needs postgres)
  --quick                            shorter runs, 2,000 concurrent callers (about 2 minutes)
  --duration=5 --warmup=2            seconds of measured / warm-up load (scenarios 1, 4, 5)
  --connections=50                   autocannon connections (scenarios 1, 4, 5)
  --calls=2000                       sequential LongPolling calls in scenario 2
  --callers=10000 --sleep-seconds=2  concurrent LongPolling callers in scenario 3
  --connect-window=256               connections opening at a time while scenario 3's callers connect
  --robots=2 --robot-slots=64        external \`baton robot\` processes and their slots (scenarios 4, 5)
  --paced-rate=200                   invocations per second of scenario 4's claim-latency run
  --peer-concurrency=32              graphile-worker's concurrency in scenario 5, BullMQ's in scenario 6
  --fill=1000000 --reads=200         scenario 7: jobs written into the store; sequential calls per filtered read (--quick: 200,000; 100)
  BENCH_SQLITE_SYNCHRONOUS           FULL (Baton's default) or NORMAL: the orchestrators' BATON_SQLITE_SYNCHRONOUS
  BENCH_REDIS_URL                    the Redis of scenario 6 (default redis://127.0.0.1:6379)
  --cpu-prof                         run orchestrators and robots with --cpu-prof (profiles in bench/results/profiles)
  BENCH_DATABASE_URL                 the PostgreSQL to use (default ${BENCH_DATABASE_URL}); each run uses fresh schemas, dropped afterwards`);
  process.exit(0);
}

const quick = opts.quick;
const settings = {
  quick,
  durationSeconds: Number(opts.duration ?? (quick ? 3 : 5)),
  warmupSeconds: Number(opts.warmup ?? (quick ? 1 : 2)),
  connections: Number(opts.connections),
  latencyCalls: Number(opts.calls ?? (quick ? 500 : 2000)),
  latencyWarmupCalls: quick ? 100 : 300,
  concurrentCallers: Number(opts.callers ?? (quick ? 2000 : 10000)),
  sleepSeconds: Number(opts["sleep-seconds"]),
  connectWindow: Number(opts["connect-window"]),
  robots: Number(opts.robots),
  robotSlots: Number(opts["robot-slots"]),
  pacedRate: Number(opts["paced-rate"]),
  pacedSeconds: quick ? 2 : 3,
  peerConcurrency: Number(opts["peer-concurrency"]),
  fillJobs: Number(opts.fill ?? (quick ? 200_000 : 1_000_000)),
  reads: Number(opts.reads ?? (quick ? 100 : 200)),
  cpuProf: opts["cpu-prof"],
  databaseUrl: BENCH_DATABASE_URL,
};
const only = opts.only ? opts.only.split(",").map((s) => s.trim()) : SCENARIOS;
for (const s of only) if (!SCENARIOS.includes(s)) { console.error(`Unknown scenario '${s}'; known: ${SCENARIOS.join(", ")}.`); process.exit(2); }
const stores = opts.stores.split(",").map((s) => s.trim());
for (const s of stores) if (!STORES.includes(s)) { console.error(`Unknown store '${s}'; known: ${STORES.join(", ")}.`); process.exit(2); }

const profileDir = join(HERE, "results", "profiles");
const profArgs = () => (settings.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []);

const auth = { authorization: `Bearer ${BENCH_TOKEN}`, "content-type": "application/json" };
const MB = 1024 * 1024;
const log = (msg) => console.log(msg);
const round = (n, digits = 2) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summarize(latenciesMs) {
  const s = Float64Array.from(latenciesMs).sort();
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { count: s.length, mean: round(mean, 3), p50: round(percentile(s, 50), 3), p90: round(percentile(s, 90), 3), p99: round(percentile(s, 99), 3), max: round(s[s.length - 1] ?? NaN, 3) };
}

function cannon(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/**
 * Calls at a steady `rate` per second for `seconds`, each sent at its own time whatever the
 * answers before it (an open loop: one every 1/rate s, round-robin over `urls`). autocannon's
 * `overallRate` is a quota per connection per second that each connection spends as fast as
 * it can: 200/s over 10 connections is 10 calls at once, back to back, at the start of every
 * second, which measures queueing rather than the latency of a call that does not queue.
 */
async function paced({ urls, rate, seconds, headers, body }) {
  const list = Array.isArray(urls) ? urls : [urls];
  const pools = list.map((u) => { const url = new URL(u); return { pool: new Pool(url.origin, { connections: 50, pipelining: 1 }), path: url.pathname + url.search }; });
  const total = Math.round(rate * seconds);
  const statuses = {};
  let errors = 0;
  // calls sent and not answered yet, and their most at once: past the pools' 50 connections
  // each, calls queue in the client, and the rate is no longer what the server gets
  let open = 0;
  let peak = 0;
  const inFlight = [];
  const t0 = performance.now();
  try {
    for (let sent = 0; sent < total;) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      for (; sent < due; sent++) {
        const { pool, path } = pools[sent % pools.length];
        peak = Math.max(peak, ++open);
        inFlight.push(pool.request({ method: "POST", path, headers: { ...headers, "content-type": "application/json" }, body, headersTimeout: 10_000, bodyTimeout: 10_000 })
          .then(async (r) => { await r.body.dump(); statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1; })
          .catch(() => { errors++; })
          .finally(() => { open--; }));
      }
      const next = t0 + (sent / rate) * 1000;
      await sleep(Math.max(0, next - performance.now()));
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.all(pools.map((p) => p.pool.close()));
  }
  const ok = Object.entries(statuses).reduce((n, [code, c]) => n + (code.startsWith("2") ? c : 0), 0);
  return { "2xx": ok, statuses, errors, peakInFlight: peak, seconds: round((performance.now() - t0) / 1000, 2) };
}

// ---- orchestrators on either store

/**
 * Starts `nodes` orchestrator nodes (`baton start` or `baton serve`) on one store, runs
 * `work(nodes, db)`, and stops them. PostgreSQL: a fresh schema (created by the first node's
 * migrations, dropped afterwards); nodes after the first start once it is up. SQLite: one
 * node, with its database file in a temporary data directory.
 */
async function withCluster(store, { command, nodes = 1, demoSlots, env = {} } , work) {
  if (store === "sqlite" && nodes !== 1) throw new Error("SQLite runs one node.");
  const schema = store === "postgres" ? freshSchema("bench") : null;
  const url = schema ? databaseUrl(schema) : null;
  const started = [];
  try {
    for (let i = 0; i < nodes; i++) {
      started.push(await startBaton({ command, databaseUrl: url, demoSlots, nodeArgs: profArgs(), name: `baton ${command} ${store} node ${i + 1}`, env }));
    }
    const db = schema ? { store, schema } : { store, file: join(started[0].dataDir, "baton.db") };
    return await work(started, db);
  } finally {
    for (const node of started) await node.stop();
    if (schema) await dropSchema(schema).catch((err) => log(`  could not drop schema ${schema}: ${err.message}`));
  }
}

async function api(node, method, path, body) {
  const res = await fetch(`${node.tenantBase}/orchestrator_/api/v1${path}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Creates a process and its POST trigger in Shared; returns the trigger's invoke URL on each node. */
async function createTrigger(nodes, { processName, slug, callMode, processFields = {} }) {
  const folder = `/folders/${nodes[0].sharedKey}`;
  await api(nodes[0], "POST", `${folder}/processes`, { name: processName, ...processFields });
  await api(nodes[0], "POST", `${folder}/triggers`, { name: processName, slug, verb: "POST", processName, callMode });
  return nodes.map((n) => n.invokeUrl(slug));
}

// ---- scenario 1: invoke throughput, AsyncRequestReply, Baton vs bare node:http

async function loadTest(url, label, extra = {}) {
  const base = { url, method: "POST", headers: auth, body: JSON.stringify({ x: 1 }), connections: settings.connections, pipelining: 1, timeout: 10, ...extra };
  log(`  ${label}: warm-up ${settings.warmupSeconds}s`);
  await cannon({ ...base, duration: settings.warmupSeconds });
  log(`  ${label}: measuring ${settings.durationSeconds}s with ${settings.connections} connections`);
  const r = await cannon({ ...base, duration: settings.durationSeconds });
  return cannonSummary(r);
}

function cannonSummary(r) {
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  return {
    requestsPerSecond: round(r.requests.average, 1),
    totalRequests: r.requests.total,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCodes,
  };
}

async function scenarioInvoke(store) {
  log(`[1] invoke throughput (AsyncRequestReply), ${store}`);
  const bare = await startBareServer();
  let bareResult;
  try {
    bareResult = await loadTest(`${bare.url}/default/DefaultTenant/orchestrator_/t/00000000-0000-4000-8000-000000000000/echo`, "bare node:http");
  } finally {
    await bare.stop();
  }
  // The primary figure: a node alone (`baton serve`), as in production, where robots run
  // elsewhere; the jobs stay Pending, no robot competes for the event loop.
  const serve = await withCluster(store, { command: "serve" }, async (nodes) => {
    const [url] = await createTrigger(nodes, { processName: "BenchInvoke", slug: "bench-invoke", callMode: "AsyncRequestReply" });
    const result = await loadTest(url, `baton serve (${store}), invoke only`);
    const probe = await fetch(url, { method: "POST", headers: auth, body: "{\"x\":1}" });
    const body = await probe.json();
    if (probe.status !== 202 || !probe.headers.get("location") || !body.jobKey) throw new Error(`The Baton invoke did not answer 202 with a Location (status ${probe.status}).`);
    return result;
  });
  // Secondary: `npm start`, the in-process robot claiming and completing every Echo job in
  // the same process meanwhile.
  const start = await withCluster(store, { command: "start" }, (nodes) => loadTest(nodes[0].urls.echo, `baton start (${store}), in-process robot runs every job`));
  return {
    bare: bareResult, serve, start,
    ratio: round(serve.requestsPerSecond / bareResult.requestsPerSecond, 3),
    startRatio: round(start.requestsPerSecond / bareResult.requestsPerSecond, 3),
  };
}

// ---- scenario 1b: the cost of idempotency keys on the invoke path (issue 16)

/**
 * Invoke throughput (AsyncRequestReply, `baton serve`) without an Idempotency-Key, with a new
 * random-ordered one on every call (autocannon's `[<id>]`: a fixed prefix and a counter, in
 * text order scattered over the index like UUID v4s) and with a new time-ordered one (a UUID
 * v7, as Baton's client makes them), on one node, rounds in the order without, random,
 * ordered, ordered, random, without (twice without --quick), so the machine's drift falls on
 * all alike. Target: with a random key >= 0.9 x without (the time-ordered figure is reported).
 */
async function scenarioIdempotency(store) {
  log(`[1b] invoke throughput without and with an Idempotency-Key on every call, ${store}`);
  return withCluster(store, { command: "serve" }, async (nodes) => {
    const [url] = await createTrigger(nodes, { processName: "BenchIdem", slug: "bench-idem", callMode: "AsyncRequestReply" });
    const probe = await fetch(url, { method: "POST", headers: { ...auth, "Idempotency-Key": "bench-probe" }, body: "{\"x\":1}" });
    const again = await fetch(url, { method: "POST", headers: { ...auth, "Idempotency-Key": "bench-probe" }, body: "{\"x\":1}" });
    if (probe.status !== 202 || again.status !== 202 || again.headers.get("idempotent-replayed") !== "true") {
      throw new Error(`An invocation with an Idempotency-Key was not answered 202, then replayed (statuses ${probe.status}, ${again.status}).`);
    }
    // every arm builds each request the same way, so that the load generator, which shares the
    // machine's two cores with the node, spends the same CPU on each (measured against the bare
    // server: no key 67,000 req/s, autocannon's [<id>] 48,000, a setupRequest with the client's
    // newIdempotencyKey() 38,000: the keyed arms took more of the CPU the node needs)
    const eachRequest = (key) => ({ requests: [{ setupRequest: (req) => ({ ...req, headers: key ? { ...req.headers, "Idempotency-Key": key() } : { ...req.headers } }) }] });
    const arms = {
      without: eachRequest(null),
      // a UUID v4, as most clients send
      random: eachRequest(randomUUID),
      // a UUID v7 as Baton's client makes them (newIdempotencyKey), from randomUUID's output at the same cost: the time in milliseconds, then random bits
      ordered: eachRequest(() => {
        const t = Date.now().toString(16).padStart(12, "0");
        return `${t.slice(0, 8)}-${t.slice(8)}-7${randomUUID().slice(15)}`;
      }),
    };
    const round1 = ["without", "random", "ordered", "ordered", "random", "without"];
    const order = settings.quick ? round1 : [...round1, ...round1];
    const runs = { without: [], random: [], ordered: [] };
    for (const [i, arm] of order.entries()) {
      const r = await loadTest(url, `${arm === "without" ? "without a key" : `with ${arm} keys`} (${store}, round ${i + 1}/${order.length})`, arms[arm]);
      if (r.non2xx > 0) throw new Error(`${r.non2xx} invocations were not answered 2xx (${JSON.stringify(r.statusCodes)}).`);
      runs[arm].push(r);
    }
    const rate = (list) => round(list.reduce((a, r) => a + r.totalRequests, 0) / (list.length * settings.durationSeconds), 1);
    const without = rate(runs.without);
    const withKey = rate(runs.random);
    const withOrderedKey = rate(runs.ordered);
    return {
      without, withKey, withOrderedKey, ratio: round(withKey / without, 3), orderedRatio: round(withOrderedKey / without, 3),
      rounds: Object.fromEntries(Object.entries(runs).map(([arm, list]) => [arm, list.map((r) => r.requestsPerSecond)])),
    };
  });
}

// ---- scenario 2: LongPolling round trip of an Echo job, one sequential client

function scenarioLatency(store) {
  log(`[2] LongPolling round trip (Echo, one sequential keep-alive client), ${store}`);
  return withCluster(store, { command: "start" }, ([baton]) => latencyOn(baton));
}

async function latencyOn(baton) {
  const pool = new Pool(baton.origin, { connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });
  const path = new URL(baton.urls.echo).pathname;
  let wrong = 0;
  const call = async (i) => {
    const t0 = process.hrtime.bigint();
    const res = await pool.request({ path, method: "POST", headers: auth, body: `{"i":${i},"$callMode":"LongPolling"}` });
    const text = await res.body.text();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.statusCode !== 200 || text !== `{"i":${i}}`) wrong++;
    return ms;
  };
  try {
    for (let i = 0; i < settings.latencyWarmupCalls; i++) await call(i);
    wrong = 0;
    log(`  ${settings.latencyCalls} calls after ${settings.latencyWarmupCalls} warm-up calls`);
    const latencies = [];
    const started = performance.now();
    for (let i = 0; i < settings.latencyCalls; i++) latencies.push(await call(i));
    const elapsed = performance.now() - started;
    return { ...summarize(latencies), wrongAnswers: wrong, callsPerSecond: round(settings.latencyCalls / (elapsed / 1000), 1) };
  } finally {
    await pool.close();
  }
}

// ---- scenario 3: 10,000 concurrent LongPolling callers on Sleep jobs

/**
 * undici's connector, with at most `window` connections opening whose first answer has not
 * come back yet (`answered()` is called for each). Opening 10,000 sockets at once overflows
 * the listen queue (Node's default backlog is 511): the kernel drops the handshakes it
 * cannot queue and the callers retry after 1 s, 3 s, 7 s..., which would measure SYN
 * retransmission, not the orchestrator.
 */
function windowedConnector(window) {
  const connect = buildConnector({ timeout: 60_000 });
  const queue = [];
  let opening = 0;
  let windowed = false;
  const pump = () => {
    while ((!windowed || opening < window) && queue.length) {
      opening++;
      const [options, callback] = queue.shift();
      connect(options, callback);
    }
  };
  return {
    /** only between start() and stop() are connections held back */
    start() { windowed = true; },
    stop() { windowed = false; pump(); },
    connect(options, callback) {
      queue.push([options, callback]);
      pump();
    },
    answered() {
      opening = Math.max(0, opening - 1);
      pump();
    },
  };
}

function scenarioConcurrent(store) {
  const n = settings.concurrentCallers;
  log(`[3] ${n} concurrent LongPolling callers on Sleep jobs of ${settings.sleepSeconds}s, ${store}`);
  const fds = openFilesLimit();
  if (fds < n + 1000) throw new Error(`${n} callers need ${n + 1000} open files in this process and in the orchestrator; the limit is ${fds} (raise it: ulimit -n 20000).`);
  return withCluster(store, { command: "start", demoSlots: Math.max(100, Math.ceil(n * 1.2)) }, ([baton]) => concurrentOn(baton));
}

async function concurrentOn(baton) {
  const n = settings.concurrentCallers;
  const seconds = settings.sleepSeconds;
  let opened = 0;
  const connector = windowedConnector(settings.connectWindow);
  const pool = new Pool(baton.origin, {
    connections: n + 100, pipelining: 1, keepAliveTimeout: 300_000, keepAliveMaxTimeout: 300_000, headersTimeout: 180_000, bodyTimeout: 180_000,
    connect: (options, callback) => { opened++; connector.connect(options, callback); },
  });
  const path = new URL(baton.urls.sleep).pathname;
  const waitPath = (location) => new URL(location).pathname + new URL(location).search;
  const failures = {};
  const fail = (why) => { failures[why] = (failures[why] ?? 0) + 1; };
  let redirects = 0;

  const call = async (body, expected, via = pool) => {
    const t0 = performance.now();
    try {
      let res = await via.request({ path, method: "POST", headers: auth, body });
      // past the tenant's longPollTimeoutSeconds the answer is a 303 to the wait URI: follow it
      for (let hops = 0; res.statusCode === 303 && hops < 20; hops++) {
        redirects++;
        await res.body.dump();
        res = await via.request({ path: waitPath(res.headers.location), method: "GET", headers: { authorization: auth.authorization } });
      }
      const text = await res.body.text();
      if (res.statusCode !== 200) fail(`status ${res.statusCode}`);
      else if (JSON.stringify(JSON.parse(text)) !== expected) fail("wrong result");
      else return performance.now() - t0;
    } catch (err) {
      fail(err.code ?? err.name ?? "error");
    }
    return null;
  };

  try {
    // warm-up: JIT and statements, with jobs that end at once, on connections of its own
    log("  warm-up: 500 concurrent LongPolling calls of Sleep 0s");
    const warmPool = new Pool(baton.origin, { connections: 500, pipelining: 1 });
    await Promise.all(Array.from({ length: 500 }, () => call(`{"seconds":0,"$callMode":"LongPolling"}`, JSON.stringify({ sleptSeconds: 0 }), warmPool)));
    await warmPool.close();
    const warmupFailures = { ...failures };
    for (const k of Object.keys(failures)) delete failures[k];
    await new Promise((r) => setTimeout(r, 500));

    // the baseline is taken before the callers' connections exist: their memory counts as growth
    const overflowsBefore = listenOverflows();
    const before = memoryOf(baton.pid);
    const peakReset = resetPeakRss(baton.pid);
    let sampledPeak = before.rss;
    const sampler = setInterval(() => {
      try { sampledPeak = Math.max(sampledPeak, memoryOf(baton.pid).rss); } catch { /* the child is gone */ }
    }, 50);

    // the callers connect first (see windowedConnector), then all call at once, each on its
    // own connection
    log(`  opening ${n} connections (at most ${settings.connectWindow} at a time)`);
    const connectStarted = performance.now();
    connector.start();
    const opening = await Promise.all(Array.from({ length: n }, async () => {
      try {
        const res = await pool.request({ path: "/healthz", method: "GET" });
        await res.body.dump();
        return res.statusCode === 200;
      } catch {
        return false;
      } finally {
        connector.answered();
      }
    }));
    connector.stop();
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const connectFailures = opening.filter((ok) => !ok).length;
    const connectionsOpened = opened;
    const connected = memoryOf(baton.pid);

    log(`  ${n} callers`);
    const started = performance.now();
    const body = `{"seconds":${seconds},"$callMode":"LongPolling"}`;
    const expected = JSON.stringify({ sleptSeconds: seconds });
    const results = await Promise.all(Array.from({ length: n }, () => call(body, expected)));
    const wallSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const after = memoryOf(baton.pid);
    const overflows = listenOverflows() - overflowsBefore;
    const peak = Math.max(sampledPeak, peakReset ? after.hwm : 0, after.rss);
    const latencies = results.filter((ms) => ms !== null);
    return {
      callers: n,
      sleepSeconds: seconds,
      ok: latencies.length,
      failed: n - latencies.length,
      failures,
      warmupFailures,
      redirectsFollowed: redirects,
      connections: { opened: connectionsOpened, seconds: round(connectSeconds, 2), failures: connectFailures, window: settings.connectWindow },
      // connections the kernel dropped because an accept queue was full (machine-wide
      // counter): each costs its caller a SYN/ACK retransmission (1 s, 3 s, ...)
      listenOverflows: overflows,
      wallSeconds: round(wallSeconds, 2),
      latencyMs: summarize(latencies),
      memory: {
        rssBeforeMB: round(before.rss / MB, 1),
        rssWithConnectionsOpenMB: round(connected.rss / MB, 1),
        rssPeakMB: round(peak / MB, 1),
        rssAfterMB: round(after.rss / MB, 1),
        growthMB: round((peak - before.rss) / MB, 1),
        peakFrom: peakReset ? "VmHWM after reset, and VmRSS sampled every 50 ms" : "VmRSS sampled every 50 ms",
      },
    };
  } finally {
    await pool.close();
  }
}

/** The soft limit of open files of this process (Node raises it to the hard limit at start). */
function openFilesLimit() {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return !m || m[1] === "unlimited" ? Infinity : Number(m[1]);
  } catch {
    return Infinity;
  }
}

/** TcpExt ListenOverflows of the machine (accept queue full), from /proc/net/netstat. */
function listenOverflows() {
  try {
    const lines = readFileSync("/proc/net/netstat", "utf8").split("\n").filter((l) => l.startsWith("TcpExt:"));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    return Number(values[names.indexOf("ListenOverflows")]);
  } catch {
    return NaN;
  }
}

// ---- scenario 4: end-to-end no-op jobs through external robots over HTTP (issue 3)
// ---- scenario 5: the same measure against graphile-worker behind node:http (issue 4)

const FINAL_STATES = "('Successful', 'Faulted', 'Stopped')";

/**
 * Counts jobs straight from the store (never through the orchestrator, so polling costs its
 * event loop nothing): `total` jobs, `ok` Successful ones, `open` ones not final yet.
 */
function batonCounter(db) {
  if (db.store === "sqlite") {
    const conn = new Database(db.file, { readonly: true, fileMustExist: true });
    const q = conn.prepare(`SELECT COUNT(*) AS total, COALESCE(SUM(state = 'Successful'), 0) AS ok, COALESCE(SUM(state NOT IN ${FINAL_STATES}), 0) AS open FROM jobs`);
    return { count: async () => { const r = q.get(); return { total: r.total, ok: r.ok, open: r.open }; }, close: async () => conn.close() };
  }
  const pool = schemaPool(db.schema);
  const sql = `SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE state = 'Successful') AS ok, COUNT(*) FILTER (WHERE state NOT IN ${FINAL_STATES}) AS open FROM jobs`;
  return {
    count: async () => { const r = (await pool.query(sql)).rows[0]; return { total: Number(r.total), ok: Number(r.ok), open: Number(r.open) }; },
    close: () => pool.end(),
  };
}

/** graphile-worker deletes a job's row once it has run: `open` is the rows left; accepted and done come from the peer. */
function peerCounter(peer, schema) {
  const pool = schemaPool(schema);
  return {
    count: async () => {
      const [stats, rows] = await Promise.all([
        fetch(`${peer.url}/stats`).then((r) => r.json()),
        pool.query("SELECT COUNT(*) AS n FROM _private_jobs"),
      ]);
      return { total: stats.accepted, ok: stats.done, open: Number(rows.rows[0].n) };
    },
    close: () => pool.end(),
  };
}

/** Polls every 100 ms until no job is open (or `timeoutMs`); the time is when that was seen. */
async function drained(counter, timeoutMs = 120_000) {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const c = await counter.count();
    if (c.open === 0) return { at: performance.now(), counts: c };
    if (performance.now() > until) throw new Error(`${c.open} jobs were still not done ${timeoutMs / 1000} s after the load.`);
    await sleep(100);
  }
}

/**
 * The counts once nothing moves: no job open and no new one for 200 ms. autocannon abandons
 * the calls in flight when a phase ends; the node still creates their jobs a moment later.
 * Counted from before they land, they would be done without being accepted in the next phase.
 */
async function quiet(counter, timeoutMs = 30_000) {
  const until = performance.now() + timeoutMs;
  let last = (await drained(counter)).counts;
  for (;;) {
    await sleep(200);
    const c = (await drained(counter)).counts;
    if (c.total === last.total) return c;
    if (performance.now() > until) throw new Error(`Jobs were still being created ${timeoutMs / 1000} s after the load (${last.total} then ${c.total}).`);
    last = c;
  }
}

/**
 * "HTTP call → job done": FireAndForget calls for `durationSeconds` from autocannon, then
 * the time until every accepted job has run. jobs/s = jobs done / (load time + drain time).
 * Call warmUp() first.
 */
function fireAndForgetLoad(urls) {
  return {
    url: urls.length === 1 ? urls[0] : urls, method: "POST", headers: auth, body: JSON.stringify({ x: 1 }),
    connections: settings.connections, pipelining: 1, timeout: 10,
  };
}

/** The warm-up of scenarios 4 and 5: the same load for `warmupSeconds`, then until every job is done. */
async function warmUp(urls, counter, label) {
  log(`  ${label}: warm-up ${settings.warmupSeconds}s, then until done`);
  await cannon({ ...fireAndForgetLoad(urls), duration: settings.warmupSeconds });
  await drained(counter);
}

async function throughput(urls, counter, label) {
  const base = fireAndForgetLoad(urls);
  log(`  ${label}: measuring ${settings.durationSeconds}s of FireAndForget calls with ${settings.connections} connections, then until every job is done`);
  const c0 = await quiet(counter);
  const t0 = performance.now();
  const startedAt = new Date();
  const r = await cannon({ ...base, duration: settings.durationSeconds });
  const t1 = performance.now();
  const c1 = await counter.count();
  const { at: t2, counts: c2 } = await drained(counter);
  const accepted = c2.total - c0.total;
  const done = c2.ok - c0.ok;
  const loadSeconds = (t1 - t0) / 1000;
  const totalSeconds = (t2 - t0) / 1000;
  return {
    startedAt: startedAt.toISOString(),
    loadSeconds: round(loadSeconds, 2),
    drainSeconds: round((t2 - t1) / 1000, 2),
    acknowledged: r["2xx"],
    accepted,
    done,
    notSuccessful: accepted - done,
    jobsPerSecond: round(done / totalSeconds, 1),
    acceptedPerSecondDuringLoad: round(accepted / loadSeconds, 1),
    donePerSecondDuringLoad: round((c1.ok - c0.ok) / loadSeconds, 1),
    backlogAtLoadEnd: c1.open,
    http: cannonSummary(r),
  };
}

/**
 * invoke → claim (job.startedAt − job.createdAt) of the jobs of `processName` created since
 * `since`, read through the job list API, and invoke → running on a robot (the no-op's
 * `ranAt` − createdAt). startedAt is the time the claim began, never before the job was
 * created: a claim already under way when the job came, and picking it up, counts 0 ms, so
 * a slower claim can look faster there; the time on the robot has no such bias.
 */
async function claimLatencies(node, processName, since, maxJobs = 50_000) {
  const latencies = [];
  const onRobot = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ processName, createdAfter: since, limit: "1000", ...(cursor ? { cursor } : {}) });
    const page = await api(node, "GET", `/jobs?${q}`);
    for (const j of page.items) {
      if (j.startedAt) latencies.push(Date.parse(j.startedAt) - Date.parse(j.createdAt));
      if (typeof j.outputArguments?.ranAt === "number") onRobot.push(j.outputArguments.ranAt - Date.parse(j.createdAt));
    }
    cursor = page.nextCursor;
  } while (cursor && latencies.length < maxJobs);
  return { ...summarize(latencies), onRobot: summarize(onRobot) };
}

/** Invocations at a steady `pacedRate` per second, well under capacity: the claim latency of a job that does not queue. */
async function pacedClaimLatency(urls, counter, node, processName, store = null) {
  await drained(counter);
  const since = new Date(Date.now() - 1).toISOString();
  log(`  claim latency: ${settings.pacedRate} invocations/s for ${settings.pacedSeconds}s`);
  // PostgreSQL: the database's transactions (statements, in autocommit) per job of the paced
  // run, every client's (the bench's own polling too: a few per second)
  const before = store === "postgres" ? await settle(databaseTransactions) : null;
  const r = await paced({ urls, rate: settings.pacedRate, seconds: settings.pacedSeconds, headers: auth, body: "{\"x\":1}" });
  await drained(counter);
  const after = store === "postgres" ? await settle(databaseTransactions) : null;
  const perJob = before === null ? null : (after - before) / Math.max(1, r["2xx"]);
  return { rate: settings.pacedRate, invocations: r["2xx"], peakInFlight: r.peakInFlight, postgresTransactionsPerJob: perJob, ...(await claimLatencies(node, processName, since)) };
}

/** `read()` once the statistics it reads have caught up: PostgreSQL's backends report them at most every 0.5 s, when idle */
async function settle(read) {
  await sleep(600);
  return read();
}

/**
 * Orchestrator node(s) started by `baton serve` (no in-process robot), a FireAndForget
 * trigger of the no-op process BenchNoop, and `settings.robots` external `baton robot`
 * processes with `settings.robotSlots` slots each; robot i lists the nodes starting at
 * node i, so with two nodes each node has robots connected to it.
 */
async function withRobots(store, nodeCount, work, env = {}, processFields = {}) {
  return withCluster(store, { command: "serve", nodes: nodeCount, env }, async (nodes, db) => {
    const urls = await createTrigger(nodes, { processName: "BenchNoop", slug: "bench-noop", callMode: "FireAndForget", processFields });
    const { key } = await api(nodes[0], "POST", "/robots", { name: "bench-robot" });
    const robots = [];
    const counter = batonCounter(db);
    try {
      for (let i = 0; i < settings.robots; i++) {
        const orchestrators = nodes.map((_, k) => nodes[(i + k) % nodes.length].tenantBase);
        robots.push(await startRobot({
          orchestrators, robotKey: key, name: `bench-robot-${i + 1}`, slots: settings.robotSlots,
          processes: { BenchNoop: join(HERE, "noop.mjs") }, nodeArgs: profArgs(),
        }));
      }
      return await work({ nodes, urls, counter, robots, db });
    } finally {
      for (const r of robots) await r.stop();
      await counter.close();
    }
  });
}

async function scenarioE2E(store, nodeCount = 1) {
  const label = `${settings.robots} robot(s) x ${settings.robotSlots} slots, ${nodeCount} node(s), ${store}`;
  log(`[4] end-to-end no-op jobs through external robots over HTTP: ${label}`);
  return withRobots(store, nodeCount, async ({ nodes, urls, counter }) => {
    const label = `baton serve x${nodeCount} + robots (${store})`;
    await warmUp(urls, counter, label);
    // the paced run first, on a table that the full load has not yet filled with dead rows
    const claimPaced = await pacedClaimLatency(urls, counter, nodes[0], "BenchNoop", store);
    const run = await throughput(urls, counter, label);
    const claimUnderLoad = await claimLatencies(nodes[0], "BenchNoop", run.startedAt);
    return { nodes: nodeCount, robots: settings.robots, robotSlots: settings.robotSlots, ...run, claimLatencyUnderLoadMs: claimUnderLoad, claimLatencyPacedMs: claimPaced };
  });
}

/**
 * The claim's cost with concurrency limits configured (issue 17): scenario 4's throughput
 * on a process without limits and on one with limits large enough never to hold a job
 * back (maxConcurrentJobs 10,000; concurrencyKey /x, the load's one argument, with a
 * per-key limit of 10,000), each on a fresh cluster, in the same run. The rounds run in
 * the order without, with, with, without (ABBA; twice that without --quick), so a drift of
 * the machine's load over the run falls on both alike; the ratio is of the summed jobs over
 * the summed seconds of each side. Target: >= 0.9.
 */
async function scenarioE2ELimits(store) {
  const measure = (label, fields) => withRobots(store, 1, async ({ urls, counter }) => {
    await warmUp(urls, counter, label);
    return throughput(urls, counter, label);
  }, {}, fields);
  log(`[4b] end-to-end jobs/s without and with concurrency limits (${store})`);
  const limits = { maxConcurrentJobs: 10_000, concurrencyKey: "/x", maxConcurrentJobsPerKey: 10_000 };
  const order = settings.quick ? [false, true, true, false] : [false, true, true, false, false, true, true, false];
  const rounds = { without: [], withLimits: [] };
  for (const [i, limited] of order.entries()) {
    const label = `${limited ? "with limits" : "no limits"} (${store}, round ${i + 1}/${order.length})`;
    (limited ? rounds.withLimits : rounds.without).push(await measure(label, limited ? limits : {}));
  }
  const combine = (runs) => {
    const done = runs.reduce((a, r) => a + r.done, 0);
    const seconds = runs.reduce((a, r) => a + r.done / r.jobsPerSecond, 0);
    return { jobsPerSecond: round(done / seconds, 1), accepted: runs.reduce((a, r) => a + r.accepted, 0), done, rounds: runs.map((r) => r.jobsPerSecond) };
  };
  const without = combine(rounds.without);
  const withLimits = combine(rounds.withLimits);
  return { limits, order: order.map((l) => (l ? "with" : "without")), without, withLimits, ratio: round(withLimits.jobsPerSecond / without.jobsPerSecond, 3), runs: rounds };
}

async function scenarioPeer() {
  log("[5] HTTP call -> job done: graphile-worker behind node:http, and Baton on PostgreSQL (same load, alternating rounds)");
  await pingPostgres();
  const peer = async () => {
    const schema = freshSchema("bench_gw");
    const gw = await startGraphilePeer({ connectionString: BENCH_DATABASE_URL, schema, concurrency: settings.peerConcurrency, nodeArgs: profArgs() });
    const counter = peerCounter(gw, schema);
    try {
      const label = `graphile-worker peer (concurrency ${settings.peerConcurrency})`;
      await warmUp([`${gw.url}/noop`], counter, label);
      return await throughput([`${gw.url}/noop`], counter, label);
    } finally {
      await counter.close();
      await gw.stop();
      await dropSchema(schema).catch((err) => log(`  could not drop schema ${schema}: ${err.message}`));
    }
  };
  const baton = () => withRobots("postgres", 1, async ({ urls, counter: c }) => {
    await warmUp(urls, c, "baton serve + robots (postgres)");
    return throughput(urls, c, "baton serve + robots (postgres)");
  });
  const { peer: peerResult, baton: batonResult, ratio } = await alternating(peer, baton);
  return { graphileWorker: { concurrency: settings.peerConcurrency, ...peerResult }, baton: { robots: settings.robots, robotSlots: settings.robotSlots, ...batonResult }, ratio };
}

/**
 * Scenarios 5 and 6: the peer and Baton in alternating rounds, peer, Baton, Baton, peer (twice
 * that without --quick), each round on fresh processes, so that the machine's drift during the
 * scenario falls on both alike (a shared 2-core VM: a peer measured once, before Baton, moved
 * 7,739 → 12,575 jobs/s between two runs of one build). Each side's jobs/s is its summed jobs
 * done over its summed seconds (load + drain); the rounds' own figures are kept in `rounds`.
 */
async function alternating(peer, baton) {
  const once = ["peer", "baton", "baton", "peer"];
  const order = settings.quick ? once : [...once, ...once];
  const runs = { peer: [], baton: [] };
  for (const [i, side] of order.entries()) {
    log(`  round ${i + 1}/${order.length}: ${side}`);
    runs[side].push(await (side === "peer" ? peer() : baton()));
  }
  const combined = (list) => {
    const sum = (f) => list.reduce((a, r) => a + f(r), 0);
    const seconds = sum((r) => r.loadSeconds + r.drainSeconds);
    return {
      jobsPerSecond: round(sum((r) => r.done) / seconds, 1),
      loadSeconds: round(sum((r) => r.loadSeconds) / list.length, 2),
      drainSeconds: round(sum((r) => r.drainSeconds) / list.length, 2),
      accepted: sum((r) => r.accepted),
      done: sum((r) => r.done),
      rounds: list,
    };
  };
  const p = combined(runs.peer);
  const b = combined(runs.baton);
  return { peer: p, baton: b, ratio: round(b.jobsPerSecond / p.jobsPerSecond, 3) };
}

// ---- scenario 6: HTTP call -> job done on one machine, BullMQ vs `npm start`'s embedded default

/** BullMQ removes a completed job: accepted, done and the jobs still open come from the peer. */
function bullmqCounter(peer) {
  return {
    count: async () => {
      const stats = await fetch(`${peer.url}/stats`).then((r) => r.json());
      return { total: stats.accepted, ok: stats.done, open: stats.open };
    },
    close: async () => {},
  };
}

async function scenarioBullmq() {
  log("[6] HTTP call -> job done: BullMQ behind node:http on Redis, and `baton start` on SQLite with its in-process robot (same load, alternating rounds)");
  const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
  const peer = async () => {
    const bull = await startBullmqPeer({ redisUrl, queue: `bench-${process.pid}-${Date.now()}`, concurrency: settings.peerConcurrency, nodeArgs: profArgs() });
    const counter = bullmqCounter(bull);
    try {
      const label = `BullMQ peer (concurrency ${settings.peerConcurrency})`;
      await warmUp([`${bull.url}/noop`], counter, label);
      return await throughput([`${bull.url}/noop`], counter, label);
    } finally {
      await counter.close();
      await bull.stop();
    }
  };
  // `npm start`: one process, the embedded store and the in-process robot running the Echo
  // module; a FireAndForget trigger of Echo, the same load
  const baton = () => withCluster("sqlite", { command: "start" }, async (nodes, db) => {
    await api(nodes[0], "POST", `/folders/${nodes[0].sharedKey}/triggers`, { name: "BenchEchoFireAndForget", slug: "bench-echo-ff", verb: "POST", processName: "Echo", callMode: "FireAndForget" });
    const c = batonCounter(db);
    try {
      const urls = [nodes[0].invokeUrl("bench-echo-ff")];
      await warmUp(urls, c, "baton start (sqlite, in-process robot)");
      return await throughput(urls, c, "baton start (sqlite, in-process robot)");
    } finally {
      await c.close();
    }
  });
  const { peer: peerResult, baton: batonResult, ratio } = await alternating(peer, baton);
  return { bullmq: { concurrency: settings.peerConcurrency, ...peerResult }, baton: batonResult, ratio };
}

// ---- scenario 7: cost flat as work grows (bench/scale.js)

/** jobs in scenario 7's "empty" store (26 of them of the rare process: a full page of 25 and one more) */
const SEED_JOBS = 2_600;

async function scenarioScale(store) {
  log(`[7] an empty store, then ${settings.fillJobs.toLocaleString("en-US")} jobs in it (waiting and finished): invoke, claim latency, filtered reads (${store})`);
  return withRobots(store, 1, async ({ nodes, urls, db }) => {
    const node = nodes[0];
    const sharedKey = node.sharedKey;
    // what the fill refers to: processes and triggers in Shared, a second folder with the rare process
    const [invokeUrl] = await createTrigger(nodes, { processName: "BenchInvoke", slug: "bench-invoke", callMode: "AsyncRequestReply" });
    const trigger = async (folderKey, processName) => {
      await api(node, "POST", `/folders/${folderKey}/processes`, { name: processName });
      return (await api(node, "POST", `/folders/${folderKey}/triggers`, { name: processName, slug: processName.toLowerCase(), verb: "POST", processName, callMode: "AsyncRequestReply" })).id;
    };
    const shared = { folderKey: sharedKey, waitingTriggerId: await trigger(sharedKey, "BenchWaiting"), doneTriggerId: await trigger(sharedKey, "BenchDone") };
    const folder = await api(node, "POST", "/folders", { name: "BenchScale" });
    const rare = { folderKey: folder.key, triggerId: await trigger(folder.key, "BenchRare") };
    const counter = processCounter(db, "BenchNoop");
    const headers = { authorization: auth.authorization };
    const stepMs = 500;
    const endMs = Date.now() - 60_000;
    const windowOf = () => {
      const mid = endMs - (settings.fillJobs / 2) * stepMs;
      return { windowFrom: new Date(mid - 30 * 60_000).toISOString(), windowTo: new Date(mid + 30 * 60_000).toISOString() };
    };
    const measure = async (label) => {
      log(`  ${label}: invoke`);
      const invoke = await loadTest(invokeUrl, `${label}: baton serve (${store}), invoke only`);
      const claim = await pacedClaimLatency(urls, counter, node, "BenchNoop");
      const top = await maxSeq(db);
      log(`  ${label}: filtered reads, ${settings.reads} calls each`);
      const reads = await timeReads(node, readQueries({ shared, rare, ...windowOf(), deepSeq: Math.max(1, Math.floor(top / 2)) }), settings.reads, headers, summarize);
      return { invoke, claim, reads };
    };
    try {
      // the "empty" store holds a small seed of the fill's kinds of jobs, spread over the same
      // hours (the rare process every 100th), so that each read answers a full page on both
      // stores (an empty page costs less to answer than a full one whatever the store holds)
      await fillJobs(db, { shared, rare, n: SEED_JOBS, endMs, stepMs: Math.round((settings.fillJobs * stepMs) / SEED_JOBS), rareEvery: 100, keyPrefix: "seed-" });
      await warmUp(urls, counter, `baton serve + robots (${store})`);
      const empty = await measure("empty store");
      log(`  filling ${settings.fillJobs.toLocaleString("en-US")} jobs`);
      const t0 = performance.now();
      await fillJobs(db, { shared, rare, n: settings.fillJobs, endMs, stepMs });
      const fillSeconds = round((performance.now() - t0) / 1000, 1);
      const filled = await measure(`${settings.fillJobs.toLocaleString("en-US")} jobs`);
      return { fillJobs: settings.fillJobs, fillSeconds, empty, filled };
    } finally {
      await counter.close();
    }
  });
}

// ---- scenario 8: webhooks (issue 16): a job.completed subscription to a local receiver

/** A receiver in this process: each delivery's job key, and its delay from the job's end (`endedAt`) to its arrival. */
async function startWebhookReceiver() {
  const { createServer } = await import("node:http");
  const r = { keys: new Set(), received: 0, delays: { load: [], paced: [] }, phase: "load", url: "" };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const at = Date.now();
      res.writeHead(204).end();
      const job = JSON.parse(Buffer.concat(chunks).toString("utf8")).data.job;
      r.received++;
      if (r.keys.has(job.key)) return;
      r.keys.add(job.key);
      r.delays[r.phase].push(at - Date.parse(job.endedAt));
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  r.url = `http://127.0.0.1:${server.address().port}/hook`;
  r.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return r;
}

async function scenarioWebhooks(store) {
  log(`[8] webhooks: no-op jobs through ${settings.robots} external robot(s), a job.completed subscription to a local receiver (${store})`);
  const receiver = await startWebhookReceiver();
  try {
    return await withRobots(store, 1, async ({ nodes, urls, counter }) => {
      await warmUp(urls, counter, "without a subscription");
      const without = await throughput(urls, counter, "without a subscription");
      const hook = await api(nodes[0], "POST", "/webhooks", { url: receiver.url, events: ["job.completed"] });
      const okBefore = (await quiet(counter)).ok;
      await warmUp(urls, counter, "with the subscription");
      const withSub = await throughput(urls, counter, "with the subscription");
      // the full load leaves deliveries queued: they are made first (how long that takes is
      // reported), so that the paced run measures the delay of a delivery that does not queue
      const drainStarted = performance.now();
      const loadJobs = (await counter.count()).ok - okBefore;
      const drainDeadline = drainStarted + 120_000;
      while (receiver.keys.size < loadJobs && performance.now() < drainDeadline) await sleep(20);
      const backlogDrainMs = Math.round(performance.now() - drainStarted);
      log(`  the load's ${loadJobs} deliveries made ${backlogDrainMs} ms after it ended`);
      // 1,000 jobs/s, paced (under capacity): the delay of a delivery that does not queue
      receiver.phase = "paced";
      const pacedRate = 1000;
      log(`  paced: ${pacedRate} invocations/s for ${settings.pacedSeconds}s with the subscription`);
      const pacedRun = await paced({ urls: urls[0], rate: pacedRate, seconds: settings.pacedSeconds, headers: auth, body: "{\"x\":1}" });
      const expected = (await quiet(counter)).ok - okBefore;
      const deadline = performance.now() + 120_000;
      while (receiver.keys.size < expected && performance.now() < deadline) await sleep(100);
      await api(nodes[0], "DELETE", `/webhooks/${hook.id}`);
      const again = await throughput(urls, counter, "without a subscription, again");
      const baseline = (without.acceptedPerSecondDuringLoad + again.acceptedPerSecondDuringLoad) / 2;
      return {
        jobsCompletedWithSubscription: expected, deliveredJobs: receiver.keys.size, deliveriesReceived: receiver.received, allDelivered: receiver.keys.size >= expected,
        pacedRate, pacedInvocations: pacedRun["2xx"], pacedPeakInFlight: pacedRun.peakInFlight, backlogDrainMs,
        delayPacedMs: summarize(receiver.delays.paced), delayUnderLoadMs: summarize(receiver.delays.load),
        invokePerSecondWithout: round(baseline, 1), invokePerSecondWith: withSub.acceptedPerSecondDuringLoad,
        invokeRatio: round(withSub.acceptedPerSecondDuringLoad / baseline, 3),
        jobsPerSecondWithout: round((without.jobsPerSecond + again.jobsPerSecond) / 2, 1), jobsPerSecondWith: withSub.jobsPerSecond,
        runs: { without, withSubscription: withSub, withoutAgain: again },
      };
    }, { BATON_WEBHOOKS_ALLOW_PRIVATE: "true" });
  } finally {
    await receiver.close();
  }
}

// ---- the run

/** The commit measured, with "+changes" when the working tree differs from it. */
function gitDescribe() {
  try {
    const git = (...args) => execFileSync("git", args, { cwd: HERE, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return git("rev-parse", "--short", "HEAD") + (git("status", "--porcelain", "--untracked-files=no") ? "+changes" : "");
  } catch {
    return null;
  }
}

/** The steps of the run: each scenario on each selected store. */
function plan() {
  const steps = [];
  const on = (scenario, store, run, key = store) => { if (only.includes(scenario) && stores.includes(store)) steps.push({ scenario, key, run }); };
  for (const store of STORES) on("invoke", store, () => scenarioInvoke(store));
  for (const store of STORES) on("idempotency", store, () => scenarioIdempotency(store));
  for (const store of STORES) on("latency", store, () => scenarioLatency(store));
  for (const store of STORES) on("concurrent", store, () => scenarioConcurrent(store));
  for (const store of STORES) on("e2e", store, () => scenarioE2E(store, 1));
  on("e2e", "postgres", () => scenarioE2E("postgres", 2), "postgresTwoNodes");
  for (const store of STORES) on("e2e-limits", store, () => scenarioE2ELimits(store));
  on("peer", "postgres", () => scenarioPeer(), "postgres");
  on("bullmq", "sqlite", () => scenarioBullmq(), "sqlite");
  for (const store of STORES) on("scale", store, () => scenarioScale(store));
  for (const store of STORES) on("webhooks", store, () => scenarioWebhooks(store));
  return steps;
}

const fmt = (n, unit = "") => (Number.isFinite(n) ? `${n.toLocaleString("en-US")}${unit}` : n === undefined ? "" : String(n));
const verdict = (passes) => passes.filter((p) => p !== undefined && p !== null).map((p) => (p ? "PASS" : "FAIL")).join(" / ");

function buildTable(results, errors) {
  const rows = [];
  const ms = (n) => fmt(Number.isFinite(n) && n >= 100 ? Math.round(n) : n, " ms");
  const add = (scenario, figure, pick, target = "", test = null, keys = STORES) => {
    const res = results[scenario] ?? {};
    const err = errors[scenario] ?? {};
    if (!keys.some((k) => res[k] || err[k])) return;
    const cell = {};
    const passes = [];
    for (const store of STORES) {
      const key = keys[STORES.indexOf(store)] ?? null;
      if (!key) { cell[store] = "-"; continue; }
      if (err[key]) { cell[store] = "CRASHED"; passes.push(false); continue; }
      if (!res[key]) { cell[store] = "-"; continue; }
      cell[store] = pick(res[key]);
      if (test) passes.push(test(res[key]));
    }
    rows.push({ figure, sqlite: cell.sqlite, postgres: cell.postgres, target, result: verdict(passes) });
  };
  const pg = (key) => [null, key];

  add("invoke", "1. invoke req/s, bare node:http (same run)", (r) => fmt(r.bare.requestsPerSecond));
  add("invoke", "1. invoke req/s, `baton serve` (invoke only, no robot)", (r) => fmt(r.serve.requestsPerSecond));
  add("invoke", "1. ratio `baton serve` / bare (primary)", (r) => fmt(r.ratio), ">= 0.5", (r) => r.ratio >= 0.5);
  add("invoke", "1. invoke req/s, `baton start` (in-process robot runs every job)", (r) => fmt(r.start.requestsPerSecond));
  add("invoke", "1. ratio `baton start` / bare (secondary)", (r) => fmt(r.startRatio), "(>= 0.5)", null);
  add("invoke", "1. Baton errors + non-2xx (serve, start)", (r) => `${fmt(r.serve.errors + r.serve.non2xx)}, ${fmt(r.start.errors + r.start.non2xx)}`, "0",
    (r) => r.serve.errors + r.serve.non2xx + r.start.errors + r.start.non2xx === 0);
  add("idempotency", "1b. invoke req/s without / random keys / time-ordered keys", (r) => `${fmt(r.without)} / ${fmt(r.withKey)} / ${fmt(r.withOrderedKey)}`);
  add("idempotency", "1b. ratio with a random key / without", (r) => fmt(r.ratio), ">= 0.9", (r) => r.ratio >= 0.9);
  add("idempotency", "1b. ratio with a time-ordered key (Baton's client) / without", (r) => fmt(r.orderedRatio));

  add("latency", "2. LongPolling round trip p50", (r) => ms(r.p50), "<= 3 ms", (r) => r.p50 <= 3);
  add("latency", "2. LongPolling round trip p99", (r) => ms(r.p99), "<= 15 ms", (r) => r.p99 <= 15);
  add("latency", "2. wrong answers", (r) => fmt(r.wrongAnswers), "0", (r) => r.wrongAnswers === 0);

  add("concurrent", "3. LongPolling callers answered 200 + right result", (r) => `${fmt(r.ok)} of ${fmt(r.callers)}`, "all", (r) => r.failed === 0);
  add("concurrent", "3. failures", (r) => (r.failed === 0 ? "0" : `${r.failed} ${JSON.stringify(r.failures)}`), "0", (r) => r.failed === 0);
  add("concurrent", "3. all answered after (wall, from the first call)", (r) => fmt(r.wallSeconds, " s"));
  add("concurrent", "3. callers' connections opened in", (r) => `${fmt(r.connections.seconds, " s")} (${fmt(r.connections.opened)} sockets)`);
  add("concurrent", "3. handshakes dropped, accept queue full", (r) => fmt(r.listenOverflows));
  add("concurrent", "3. caller latency p50 / p99", (r) => `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p99)}`);
  add("concurrent", "3. orchestrator RSS before -> connected -> peak", (r) => `${fmt(r.memory.rssBeforeMB)} -> ${fmt(r.memory.rssWithConnectionsOpenMB)} -> ${fmt(r.memory.rssPeakMB, " MB")}`);
  add("concurrent", "3. orchestrator RSS growth", (r) => fmt(r.memory.growthMB, " MB"), "<= 300 MB", (r) => r.memory.growthMB <= 300);

  const robotsLabel = `${settings.robots} x \`baton robot\` (${settings.robotSlots} slots)`;
  add("e2e", `4. e2e no-op jobs/s, 1 node + ${robotsLabel}: done / (load + drain)`, (r) => fmt(r.jobsPerSecond), ">= 2,000", (r) => r.jobsPerSecond >= 2000);
  add("e2e", "4. e2e jobs done/s while loaded; invocations accepted/s", (r) => `${fmt(r.donePerSecondDuringLoad)}; ${fmt(r.acceptedPerSecondDuringLoad)}`);
  add("e2e", "4. e2e backlog at load end; drain time", (r) => `${fmt(r.backlogAtLoadEnd)}; ${fmt(r.drainSeconds, " s")}`);
  add("e2e", "4. e2e jobs accepted = done Successful", (r) => `${fmt(r.accepted)} = ${fmt(r.done)}`, "equal", (r) => r.accepted === r.done && r.done > 0);
  add("e2e", `4. invoke -> claim p50, paced ${settings.pacedRate}/s`, (r) => ms(r.claimLatencyPacedMs.p50), "<= 2 ms", (r) => r.claimLatencyPacedMs.p50 <= 2);
  add("e2e", `4. invoke -> claim p99, paced ${settings.pacedRate}/s`, (r) => ms(r.claimLatencyPacedMs.p99));
  add("e2e", `4. invoke -> running on a robot p50 / p99, paced ${settings.pacedRate}/s`, (r) => `${ms(r.claimLatencyPacedMs.onRobot.p50)} / ${ms(r.claimLatencyPacedMs.onRobot.p99)}`);
  add("e2e", `4. PostgreSQL transactions per job, paced ${settings.pacedRate}/s`, (r) => (r.claimLatencyPacedMs.postgresTransactionsPerJob == null ? "-" : r.claimLatencyPacedMs.postgresTransactionsPerJob.toFixed(2)));
  add("e2e", "4. invoke -> claim p50 / p99 under the full load (queueing)", (r) => `${ms(r.claimLatencyUnderLoadMs.p50)} / ${ms(r.claimLatencyUnderLoadMs.p99)}`);
  add("e2e", `4. e2e jobs/s, 2 nodes (load split) + ${robotsLabel} on both`, (r) => fmt(r.jobsPerSecond), ">= 2,000", (r) => r.jobsPerSecond >= 2000, pg("postgresTwoNodes"));
  add("e2e", "4. 2 nodes: done/s while loaded; accepted = done", (r) => `${fmt(r.donePerSecondDuringLoad)}; ${fmt(r.accepted)} = ${fmt(r.done)}`, "equal", (r) => r.accepted === r.done && r.done > 0, pg("postgresTwoNodes"));
  add("e2e", "4. 2 nodes: invoke -> claim p50 / p99, paced", (r) => `${ms(r.claimLatencyPacedMs.p50)} / ${ms(r.claimLatencyPacedMs.p99)}`, "", null, pg("postgresTwoNodes"));
  add("e2e", "4. 2 nodes: invoke -> running on a robot p50 / p99, paced", (r) => `${ms(r.claimLatencyPacedMs.onRobot.p50)} / ${ms(r.claimLatencyPacedMs.onRobot.p99)}`, "", null, pg("postgresTwoNodes"));

  add("e2e-limits", "4b. e2e jobs/s without limits; with limits that never throttle", (r) => `${fmt(r.without.jobsPerSecond)}; ${fmt(r.withLimits.jobsPerSecond)}`);
  add("e2e-limits", "4b. ratio with / without concurrency limits", (r) => fmt(r.ratio), ">= 0.9", (r) => r.ratio >= 0.9);
  add("e2e-limits", "4b. accepted = done (without; with)", (r) => `${fmt(r.without.accepted)} = ${fmt(r.without.done)}; ${fmt(r.withLimits.accepted)} = ${fmt(r.withLimits.done)}`, "equal",
    (r) => r.without.accepted === r.without.done && r.withLimits.accepted === r.withLimits.done && r.withLimits.done > 0);

  add("peer", `5. graphile-worker (concurrency ${settings.peerConcurrency}) behind node:http: jobs/s, call -> done`, (r) => fmt(r.graphileWorker.jobsPerSecond), "", null, pg("postgres"));
  add("peer", `5. Baton, 1 node + ${robotsLabel}: jobs/s, same measure`, (r) => fmt(r.baton.jobsPerSecond), "", null, pg("postgres"));
  add("peer", "5. ratio Baton / graphile-worker", (r) => fmt(r.ratio), ">= 2.0", (r) => r.ratio >= 2, pg("postgres"));
  add("peer", "5. rounds' jobs/s, peer; Baton", (r) => `${r.graphileWorker.rounds.map((x) => fmt(x.jobsPerSecond)).join(" / ")}; ${r.baton.rounds.map((x) => fmt(x.jobsPerSecond)).join(" / ")}`, "", null, pg("postgres"));
  add("peer", "5. load + drain seconds, mean of the rounds (peer; Baton)", (r) => `${fmt(r.graphileWorker.loadSeconds)} + ${fmt(r.graphileWorker.drainSeconds)}; ${fmt(r.baton.loadSeconds)} + ${fmt(r.baton.drainSeconds)}`, "", null, pg("postgres"));
  add("peer", "5. accepted = done, all rounds (peer; Baton)", (r) => `${fmt(r.graphileWorker.accepted)} = ${fmt(r.graphileWorker.done)}; ${fmt(r.baton.accepted)} = ${fmt(r.baton.done)}`, "equal",
    (r) => [...r.graphileWorker.rounds, ...r.baton.rounds].every((x) => x.accepted === x.done), pg("postgres"));
  const filledLabel = `${Math.round(settings.fillJobs / 1000).toLocaleString("en-US")}k jobs`;
  const ratioOf = (a, b) => round(a / b, 2);
  add("scale", `7. fill: ${filledLabel} written (s)`, (r) => fmt(r.fillSeconds));
  add("scale", "7. invoke req/s, empty; filled; ratio", (r) => `${fmt(r.empty.invoke.requestsPerSecond)}; ${fmt(r.filled.invoke.requestsPerSecond)}; ${fmt(ratioOf(r.filled.invoke.requestsPerSecond, r.empty.invoke.requestsPerSecond))}`,
    ">= 0.83", (r) => r.filled.invoke.requestsPerSecond >= r.empty.invoke.requestsPerSecond / 1.2);
  add("scale", "7. invoke -> claim p50 (paced), empty; filled", (r) => `${ms(r.empty.claim.p50)}; ${ms(r.filled.claim.p50)}`, "<= 1.2x", (r) => r.filled.claim.p50 <= Math.max(1.2 * r.empty.claim.p50, r.empty.claim.p50 + 1));
  for (const name of ["process", "trigger", "state", "folder", "time"]) {
    for (const page of ["first page", "deep page"]) {
      const key = `${name}, ${page}`;
      add("scale", `7. GET /jobs by ${key}: p50 empty; filled`, (r) => `${ms(r.empty.reads[key].p50)}; ${ms(r.filled.reads[key].p50)}`, "<= 5 ms, <= 1.2x",
        (r) => r.filled.reads[key].p50 <= 5 && r.filled.reads[key].p50 <= Math.max(1.2 * r.empty.reads[key].p50, r.empty.reads[key].p50 + 0.5));
    }
  }
  for (const page of ["first page", "deep page"]) {
    const key = `combination, ${page}`;
    // with no index of its own, a page looks at 5,000 jobs at most: its cost is bounded, not the empty store's
    add("scale", `7. GET /jobs, a rare combination (processName and state), ${page}: p50 empty; filled`, (r) => `${ms(r.empty.reads[key].p50)}; ${ms(r.filled.reads[key].p50)}`, "<= 5 ms",
      (r) => r.filled.reads[key].p50 <= 5);
  }
  const lite = ["sqlite"];
  add("bullmq", `6. BullMQ (concurrency ${settings.peerConcurrency}) behind node:http: jobs/s, call -> done`, (r) => fmt(r.bullmq.jobsPerSecond), "", null, lite);
  add("bullmq", "6. Baton `npm start` (in-process robot): jobs/s, same measure", (r) => fmt(r.baton.jobsPerSecond), "", null, lite);
  add("bullmq", "6. ratio Baton / BullMQ", (r) => fmt(r.ratio), ">= 1.0", (r) => r.ratio >= 1, lite);
  add("bullmq", "6. rounds' jobs/s, peer; Baton", (r) => `${r.bullmq.rounds.map((x) => fmt(x.jobsPerSecond)).join(" / ")}; ${r.baton.rounds.map((x) => fmt(x.jobsPerSecond)).join(" / ")}`, "", null, lite);
  add("bullmq", "6. load + drain seconds, mean of the rounds (peer; Baton)", (r) => `${fmt(r.bullmq.loadSeconds)} + ${fmt(r.bullmq.drainSeconds)}; ${fmt(r.baton.loadSeconds)} + ${fmt(r.baton.drainSeconds)}`, "", null, lite);
  add("bullmq", "6. accepted = done, all rounds (peer; Baton)", (r) => `${fmt(r.bullmq.accepted)} = ${fmt(r.bullmq.done)}; ${fmt(r.baton.accepted)} = ${fmt(r.baton.done)}`, "equal",
    (r) => [...r.bullmq.rounds, ...r.baton.rounds].every((x) => x.accepted === x.done), lite);
  add("webhooks", "8. webhooks: jobs completed with the subscription = deliveries (unique; received)", (r) => `${fmt(r.jobsCompletedWithSubscription)} = ${fmt(r.deliveredJobs)} (${fmt(r.deliveriesReceived)})`, "all", (r) => r.allDelivered);
  add("webhooks", "8. webhooks: job end -> delivery p50 / p99, paced 1,000 jobs/s", (r) => `${ms(r.delayPacedMs.p50)} / ${ms(r.delayPacedMs.p99)}`, "p50 <= 50 ms", (r) => r.delayPacedMs.p50 <= 50);
  add("webhooks", "8. webhooks: job end -> delivery p50 / p99 under the full load", (r) => `${ms(r.delayUnderLoadMs.p50)} / ${ms(r.delayUnderLoadMs.p99)}`);
  add("webhooks", "8. webhooks: the full load's queued deliveries made, after its end", (r) => ms(r.backlogDrainMs));
  add("webhooks", "8. webhooks: invocations accepted/s with / without the subscription", (r) => `${fmt(r.invokePerSecondWith)} / ${fmt(r.invokePerSecondWithout)} = ${fmt(r.invokeRatio)}`, ">= 0.9", (r) => r.invokeRatio >= 0.9);
  add("webhooks", "8. webhooks: e2e jobs/s with / without", (r) => `${fmt(r.jobsPerSecondWith)} / ${fmt(r.jobsPerSecondWithout)}`);
  return rows;
}

function printTable(rows) {
  const cols = ["figure", "sqlite", "postgres", "target", "result"];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length))]));
  const line = (r) => cols.map((c) => String(r[c] ?? "").padEnd(width[c])).join("  ").trimEnd();
  console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
  console.log(cols.map((c) => "-".repeat(width[c])).join("  "));
  for (const r of rows) console.log(line(r));
}

async function main() {
  const started = new Date();
  const results = {};
  const errors = {};
  const noise = {};
  const steps = plan();
  if (steps.some((s) => s.key.startsWith("postgres"))) {
    try {
      await pingPostgres();
    } catch (err) {
      log(`note: ${err.message}`);
    }
  }
  for (const step of steps) {
    const name = `${step.scenario}/${step.key}`;
    const before = { wall: performance.now(), machine: machineBusySeconds(), self: process.cpuUsage(), children: stoppedChildrenCpuSeconds(), pg: postgresCpuSeconds() };
    try {
      (results[step.scenario] ??= {})[step.key] = await step.run();
    } catch (err) {
      (errors[step.scenario] ??= {})[step.key] = err.stack ?? String(err);
      log(`  ${name} crashed: ${err.stack ?? err}`);
    }
    // CPU the rest of the machine used meanwhile (other processes): the figures are only as
    // good as the machine was quiet. PostgreSQL's CPU is the scenario's own.
    const wall = (performance.now() - before.wall) / 1000;
    const self = process.cpuUsage(before.self);
    const own = (self.user + self.system) / 1e6 + (stoppedChildrenCpuSeconds() - before.children);
    const pgCpu = Math.max(0, postgresCpuSeconds() - before.pg);
    const foreign = Math.max(0, machineBusySeconds() - before.machine - own - pgCpu);
    noise[name] = {
      wallSeconds: round(wall, 1), benchCpuSeconds: round(own, 1), postgresCpuSeconds: round(pgCpu, 1),
      otherProcessesCpuSeconds: round(foreign, 1), otherProcessesCores: round(foreign / wall, 2),
    };
    log(`  ${name}: ${round(wall, 1)} s`);
    if (foreign / wall > 0.2) log(`  note: other processes used ${round(foreign / wall, 2)} of ${cpus().length} cores during ${name}; its figures are disturbed`);
    globalThis.gc?.();
  }
  await dropAllSchemas();

  const rows = buildTable(results, errors);
  // one row per scenario that other processes disturbed, its figures in the store's column
  const disturbed = new Map();
  for (const [name, n] of Object.entries(noise)) {
    if (n.otherProcessesCores <= 0.2) continue;
    const [scenario, key] = name.split("/");
    const row = disturbed.get(scenario) ?? { figure: `other processes' CPU (cores) during ${scenario}`, sqlite: "", postgres: "", target: "~0", result: "NOISY" };
    const col = key === "sqlite" ? "sqlite" : "postgres";
    row[col] = [row[col], `${key === "postgresTwoNodes" ? "2 nodes " : ""}${n.otherProcessesCores}`].filter(Boolean).join(", ");
    disturbed.set(scenario, row);
  }
  rows.push(...disturbed.values());

  console.log("");
  printTable(rows);

  const finished = new Date();
  const report = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    environment: {
      node: process.version, platform: process.platform, arch: process.arch, cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemoryMB: Math.round(totalmem() / MB),
      commit: gitDescribe(),
      sqliteSynchronous: process.env.BENCH_SQLITE_SYNCHRONOUS || "FULL (default)",
    },
    settings,
    stores,
    results,
    noise,
    errors,
    table: rows,
  };
  mkdirSync(join(HERE, "results"), { recursive: true });
  const file = join(HERE, "results", `bench-${started.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nTargets are reported, not asserted. ${round((finished - started) / 1000, 0)} s. Full results: ${file}`);
  if (settings.cpuProf) console.log(`CPU profiles of the orchestrators and robots: ${profileDir}`);
  process.exitCode = Object.keys(errors).length ? 1 : 0;
}

process.once("SIGINT", () => { killAllChildren(); dropAllSchemas().finally(() => process.exit(130)); });
main().catch(async (err) => {
  killAllChildren();
  await dropAllSchemas();
  console.error(err);
  process.exit(1);
});
