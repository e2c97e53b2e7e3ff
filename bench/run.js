// npm run bench: the performance figures of Baton, each next to its baseline or target.
// See bench/README.md for what is measured and how to read it.
import autocannon from "autocannon";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { buildConnector, Pool } from "undici";
import {
  BENCH_TOKEN, killAllChildren, machineBusySeconds, memoryOf, resetPeakRss, startBaton, startBareServer, stoppedChildrenCpuSeconds,
} from "./children.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ["invoke", "latency", "concurrent"];

const { values: opts } = parseArgs({
  options: {
    only: { type: "string" },
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "50" },
    calls: { type: "string", default: "2000" },
    callers: { type: "string", default: "10000" },
    "sleep-seconds": { type: "string", default: "2" },
    "connect-window": { type: "string", default: "256" },
    "cpu-prof": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: npm run bench [-- options]
  --only=invoke,latency,concurrent   run some scenarios only (default: all)
  --duration=5 --warmup=2            seconds of measured / warm-up load in scenario 1
  --connections=50                   autocannon connections in scenario 1
  --calls=2000                       sequential LongPolling calls in scenario 2
  --callers=10000 --sleep-seconds=2  concurrent LongPolling callers in scenario 3
  --connect-window=256               connections opening at a time while scenario 3's callers connect
  --cpu-prof                         run the orchestrator with --cpu-prof (profiles in bench/results/profiles)`);
  process.exit(0);
}

const settings = {
  durationSeconds: Number(opts.duration),
  warmupSeconds: Number(opts.warmup),
  connections: Number(opts.connections),
  latencyCalls: Number(opts.calls),
  latencyWarmupCalls: 300,
  concurrentCallers: Number(opts.callers),
  sleepSeconds: Number(opts["sleep-seconds"]),
  connectWindow: Number(opts["connect-window"]),
  cpuProf: opts["cpu-prof"],
};
const only = opts.only ? opts.only.split(",").map((s) => s.trim()) : SCENARIOS;
for (const s of only) if (!SCENARIOS.includes(s)) { console.error(`Unknown scenario '${s}'; known: ${SCENARIOS.join(", ")}.`); process.exit(2); }

const profileDir = join(HERE, "results", "profiles");
const batonNodeArgs = () => (settings.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []);

const auth = { authorization: `Bearer ${BENCH_TOKEN}`, "content-type": "application/json" };
const MB = 1024 * 1024;
const log = (msg) => console.log(msg);
const round = (n, digits = 2) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

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

// ---- scenario 1: invoke throughput, AsyncRequestReply, Baton vs bare node:http

async function loadTest(url, label) {
  const base = { url, method: "POST", headers: auth, body: JSON.stringify({ x: 1 }), connections: settings.connections, pipelining: 1, timeout: 10 };
  log(`  ${label}: warm-up ${settings.warmupSeconds}s`);
  await cannon({ ...base, duration: settings.warmupSeconds });
  log(`  ${label}: measuring ${settings.durationSeconds}s with ${settings.connections} connections`);
  const r = await cannon({ ...base, duration: settings.durationSeconds });
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

async function scenarioInvoke() {
  log("[1/3] invoke throughput (AsyncRequestReply)");
  const bare = await startBareServer();
  let bareResult;
  try {
    bareResult = await loadTest(`${bare.url}/default/DefaultTenant/orchestrator_/t/00000000-0000-4000-8000-000000000000/echo`, "bare node:http");
  } finally {
    await bare.stop();
  }
  const baton = await startBaton({ nodeArgs: batonNodeArgs() });
  let batonResult;
  let invokeOnly;
  try {
    // Diagnostic first: a trigger of a process no robot serves, so the jobs stay Pending and
    // only the HTTP + invoke path is measured (the in-process robot claims nothing).
    invokeOnly = await loadTest(await createUnservedTrigger(baton), "baton, invoke only (no robot runs the jobs)");
    // The figure: the Echo trigger, with the in-process robot running every job meanwhile.
    batonResult = await loadTest(baton.urls.echo, "baton");
    const probe = await fetch(baton.urls.echo, { method: "POST", headers: auth, body: "{\"x\":1}" });
    const body = await probe.json();
    if (probe.status !== 202 || !probe.headers.get("location") || !body.jobKey) throw new Error(`The Baton invoke did not answer 202 with a Location (status ${probe.status}).`);
  } finally {
    await baton.stop();
  }
  const ratio = batonResult.requestsPerSecond / bareResult.requestsPerSecond;
  return { baton: batonResult, bare: bareResult, ratio: round(ratio, 3), batonInvokeOnly: invokeOnly, invokeOnlyRatio: round(invokeOnly.requestsPerSecond / bareResult.requestsPerSecond, 3) };
}

/** Creates process BenchUnserved and its POST trigger in Shared; returns the invoke URL. */
async function createUnservedTrigger(baton) {
  const folderKey = new URL(baton.urls.echo).pathname.split("/").at(-2);
  const api = `${baton.tenantBase}/orchestrator_/api/v1/folders/${folderKey}`;
  const post = async (url, body) => {
    const res = await fetch(url, { method: "POST", headers: auth, body: JSON.stringify(body) });
    if (res.status !== 201 && res.status !== 200) throw new Error(`POST ${url} answered ${res.status}: ${await res.text()}`);
  };
  await post(`${api}/processes`, { name: "BenchUnserved" });
  await post(`${api}/triggers`, { name: "BenchUnserved", slug: "bench-unserved", verb: "POST", processName: "BenchUnserved" });
  return baton.urls.echo.replace(/\/echo$/, "/bench-unserved");
}

// ---- scenario 2: LongPolling round trip of an Echo job, one sequential client

async function scenarioLatency() {
  log("[2/3] LongPolling round trip (Echo, one sequential keep-alive client)");
  const baton = await startBaton({ nodeArgs: batonNodeArgs() });
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
    await baton.stop();
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

async function scenarioConcurrent() {
  const n = settings.concurrentCallers;
  const seconds = settings.sleepSeconds;
  log(`[3/3] ${n} concurrent LongPolling callers on Sleep jobs of ${seconds}s`);
  const fds = openFilesLimit();
  if (fds < n + 1000) throw new Error(`${n} callers need ${n + 1000} open files in this process and in the orchestrator; the limit is ${fds} (raise it: ulimit -n 20000).`);
  const baton = await startBaton({ demoSlots: Math.max(100, Math.ceil(n * 1.2)), nodeArgs: batonNodeArgs() });
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
    await baton.stop();
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

function row(figure, value, target, pass) {
  return { figure, value, target, result: pass === null ? "" : pass ? "PASS" : "FAIL" };
}

function printTable(rows) {
  const cols = ["figure", "value", "target", "result"];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...rows.map((r) => String(r[c]).length))]));
  const line = (r) => cols.map((c) => String(r[c]).padEnd(width[c])).join("  ").trimEnd();
  console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
  console.log(cols.map((c) => "-".repeat(width[c])).join("  "));
  for (const r of rows) console.log(line(r));
}

async function main() {
  const started = new Date();
  const results = {};
  const errors = {};
  const runners = { invoke: scenarioInvoke, latency: scenarioLatency, concurrent: scenarioConcurrent };
  const noise = {};
  for (const name of only) {
    const before = { wall: performance.now(), machine: machineBusySeconds(), self: process.cpuUsage(), children: stoppedChildrenCpuSeconds() };
    try {
      results[name] = await runners[name]();
    } catch (err) {
      errors[name] = err.stack ?? String(err);
      log(`  scenario ${name} crashed: ${errors[name]}`);
    }
    // CPU the rest of the machine used meanwhile (other processes): the figures are only as
    // good as the machine was quiet.
    const wall = (performance.now() - before.wall) / 1000;
    const self = process.cpuUsage(before.self);
    const own = (self.user + self.system) / 1e6 + (stoppedChildrenCpuSeconds() - before.children);
    const foreign = Math.max(0, machineBusySeconds() - before.machine - own);
    noise[name] = { wallSeconds: round(wall, 1), benchCpuSeconds: round(own, 1), otherProcessesCpuSeconds: round(foreign, 1), otherProcessesCores: round(foreign / wall, 2) };
    if (foreign / wall > 0.2) log(`  note: other processes used ${round(foreign / wall, 2)} of ${cpus().length} cores during this scenario; its figures are disturbed`);
    globalThis.gc?.();
  }

  const rows = [];
  const fmt = (n, unit = "") => (Number.isFinite(n) ? `${n.toLocaleString("en-US")}${unit}` : String(n));
  if (results.invoke) {
    const r = results.invoke;
    rows.push(row("1. invoke req/s, Baton (AsyncRequestReply)", fmt(r.baton.requestsPerSecond), "", null));
    rows.push(row("1. invoke req/s, bare node:http", fmt(r.bare.requestsPerSecond), "", null));
    rows.push(row("1. ratio Baton / bare", fmt(r.ratio), ">= 0.5", r.ratio >= 0.5));
    rows.push(row("1. (diagnostic) invoke only, no robot: req/s, ratio", `${fmt(r.batonInvokeOnly.requestsPerSecond)}, ${fmt(r.invokeOnlyRatio)}`, "", null));
    rows.push(row("1. Baton errors + non-2xx", fmt(r.baton.errors + r.baton.non2xx), "0", r.baton.errors + r.baton.non2xx === 0));
  } else if (errors.invoke) rows.push(row("1. invoke throughput", "CRASHED", "", false));
  if (results.latency) {
    const r = results.latency;
    rows.push(row("2. LongPolling round trip p50", fmt(r.p50, " ms"), "<= 3 ms", r.p50 <= 3));
    rows.push(row("2. LongPolling round trip p99", fmt(r.p99, " ms"), "<= 15 ms", r.p99 <= 15));
    rows.push(row("2. wrong answers", fmt(r.wrongAnswers), "0", r.wrongAnswers === 0));
  } else if (errors.latency) rows.push(row("2. LongPolling round trip", "CRASHED", "", false));
  if (results.concurrent) {
    const r = results.concurrent;
    rows.push(row(`3. ${fmt(r.callers)} LongPolling callers answered 200 + right result`, fmt(r.ok), fmt(r.callers), r.failed === 0));
    rows.push(row("3. failures", r.failed === 0 ? "0" : `${r.failed} ${JSON.stringify(r.failures)}`, "0", r.failed === 0));
    rows.push(row("3. all answered after (wall, from the first call)", fmt(r.wallSeconds, " s"), "", null));
    rows.push(row("3. callers' connections opened in", `${fmt(r.connections.seconds, " s")} (${fmt(r.connections.opened)} sockets)`, "", null));
    rows.push(row("3. handshakes dropped, accept queue full", fmt(r.listenOverflows), "", null));
    rows.push(row("3. caller latency p50 / p99", `${fmt(r.latencyMs.p50, " ms")} / ${fmt(r.latencyMs.p99, " ms")}`, "", null));
    rows.push(row("3. orchestrator RSS before -> connected -> peak", `${fmt(r.memory.rssBeforeMB, " MB")} -> ${fmt(r.memory.rssWithConnectionsOpenMB, " MB")} -> ${fmt(r.memory.rssPeakMB, " MB")}`, "", null));
    rows.push(row("3. orchestrator RSS growth", fmt(r.memory.growthMB, " MB"), "<= 300 MB", r.memory.growthMB <= 300));
  } else if (errors.concurrent) rows.push(row("3. concurrent LongPolling", "CRASHED", "", false));
  const disturbed = Object.entries(noise).filter(([, n]) => n.otherProcessesCores > 0.2);
  if (disturbed.length) {
    rows.push({ figure: "other processes' CPU (cores) during", value: disturbed.map(([k, n]) => `${k} ${n.otherProcessesCores}`).join(", "), target: "~0", result: "NOISY" });
  }

  console.log("");
  printTable(rows);

  const finished = new Date();
  const report = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    environment: {
      node: process.version, platform: process.platform, arch: process.arch, cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemoryMB: Math.round(totalmem() / MB),
      commit: gitDescribe(),
    },
    settings,
    results,
    noise,
    errors,
    table: rows,
  };
  mkdirSync(join(HERE, "results"), { recursive: true });
  const file = join(HERE, "results", `bench-${started.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nTargets are reported, not asserted. Full results: ${file}`);
  if (settings.cpuProf) console.log(`CPU profiles of the orchestrator: ${profileDir}`);
  process.exitCode = Object.keys(errors).length ? 1 : 0;
}

process.once("SIGINT", () => { killAllChildren(); process.exit(130); });
main().catch((err) => {
  killAllChildren();
  console.error(err);
  process.exit(1);
});
