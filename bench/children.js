// Child processes of the bench: orchestrators (`node bin/baton.js start` or `serve`, on
// SQLite or PostgreSQL), external robots (`node bin/baton.js robot`), the bare node:http
// baseline and the graphile-worker peer, each in its own process so the load generator never
// shares their event loop. Also reads a child's memory and CPU from /proc.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const BENCH_TOKEN = "baton_pat_bench_only_token";

const live = new Set();
let childCpuSeconds = 0;

/** CPU seconds used by the children stopped so far (read just before each was stopped). */
export const stoppedChildrenCpuSeconds = () => childCpuSeconds;

/** Kills whatever is still running when the bench itself is interrupted. */
export function killAllChildren() {
  for (const child of live) child.kill("SIGKILL");
}

/**
 * Spawns `node <args>`, resolves once a stdout line matches `ready` (with the match), and
 * keeps the last output for error messages. The child is stopped by `stop()`.
 */
function spawnNode(name, args, env, ready, timeoutMs = 20_000) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let output = "";
  const keep = (chunk) => { output = (output + chunk.toString()).slice(-8000); };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.once("close", (code, signal) => { live.delete(child); resolve({ code, signal }); }));

  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    const onData = () => {
      const m = ready.exec(output);
      if (m) { clearTimeout(timer); child.stdout.off("data", onData); child.stderr.off("data", onData); resolve(m); }
    };
    const fail = (err) => { clearTimeout(timer); child.kill("SIGKILL"); reject(new Error(`${err.message}\n--- ${name} output ---\n${output}`)); };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    exited.then(({ code, signal }) => fail(new Error(`${name} exited (code ${code}, signal ${signal}) before it was ready`)));
  });

  return {
    child,
    started,
    /** the last 8 kB of the child's stdout and stderr */
    output: () => output,
    /** SIGTERM, then SIGKILL after `graceMs`. */
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      const cpu = cpuSecondsOf(child.pid);
      if (Number.isFinite(cpu)) childCpuSeconds += cpu;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** The bare node:http baseline. */
export async function startBareServer() {
  const proc = spawnNode("bare node:http server", [join(ROOT, "bench", "bare-server.js")], { ...process.env }, /listening (\d+)/);
  const m = await proc.started;
  return { ...proc, pid: proc.child.pid, url: `http://127.0.0.1:${m[1]}` };
}

/**
 * An orchestrator node on a fresh temporary data directory and a random free port, quiet
 * (BATON_LOG_LEVEL=silent). `command` is "start" (the orchestrator and its in-process demo
 * robot, as `npm start`) or "serve" (a node alone, as in production). `databaseUrl` selects
 * PostgreSQL (else SQLite in the data directory). Returns the tenant base and the Shared
 * folder's key (read from the management API, not from the banner), and with "start" the
 * URLs of the demo triggers. `env` adds variables to the node's environment (BATON_* ones
 * included, e.g. BATON_REQUEST_TIMEOUT_SECONDS); none by default.
 */
export async function startBaton({ command = "start", databaseUrl = null, demoSlots = 100, nodeArgs = [], name = "baton", env: extraEnv = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "baton-bench-"));
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("BATON_")) delete env[k];
  Object.assign(env, {
    BATON_PORT: "0",
    BATON_HOST: "127.0.0.1",
    BATON_DATA_DIR: dataDir,
    BATON_BOOTSTRAP_TOKEN: BENCH_TOKEN,
    BATON_ADMIN_PASSWORD: "bench-only-password",
    BATON_LOG_LEVEL: "silent",
    BATON_DEMO_SLOTS: String(demoSlots),
    BATON_SHUTDOWN_GRACE_SECONDS: "2",
    ...(databaseUrl ? { BATON_DATABASE_URL: databaseUrl } : {}),
    ...(process.env.BENCH_SQLITE_SYNCHRONOUS ? { BATON_SQLITE_SYNCHRONOUS: process.env.BENCH_SQLITE_SYNCHRONOUS } : {}),
    ...extraEnv,
  });
  const proc = spawnNode(name, [...nodeArgs, join(ROOT, "bin", "baton.js"), command], env, /tenant base:\s+(\S+)/);
  let tenantBase;
  try {
    tenantBase = (await proc.started)[1];
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const headers = { authorization: `Bearer ${BENCH_TOKEN}` };
  const res = await fetch(`${tenantBase}/orchestrator_/api/v1/folders`, { headers });
  if (res.status !== 200) throw new Error(`GET folders answered ${res.status}: ${await res.text()}`);
  const shared = (await res.json()).items.find((f) => f.name === "Shared");
  if (!shared) throw new Error("The Shared folder is missing.");
  const invoke = (slug) => `${tenantBase}/orchestrator_/t/${shared.key}/${slug}`;
  return {
    ...proc,
    pid: proc.child.pid,
    dataDir,
    tenantBase,
    sharedKey: shared.key,
    origin: new URL(tenantBase).origin,
    invokeUrl: invoke,
    urls: { echo: invoke("echo"), sleep: invoke("sleep"), fail: invoke("fail") },
    async stop() {
      const result = await proc.stop();
      rmSync(dataDir, { recursive: true, force: true });
      return result;
    },
  };
}

/**
 * An external robot, `node bin/baton.js robot --config FILE`, serving `processes` (name →
 * module path) with `slots` slots, connected to the tenant bases `orchestrators` in that
 * order. Resolves once it has opened its session.
 */
export async function startRobot({ orchestrators, robotKey, name, slots, processes, nodeArgs = [] }) {
  const dir = mkdtempSync(join(tmpdir(), "baton-bench-robot-"));
  const config = join(dir, "robot.json");
  writeFileSync(config, JSON.stringify({
    orchestrator: orchestrators, key: robotKey, name, slots,
    processes: Object.fromEntries(Object.entries(processes).map(([p, module]) => [p, { module }])),
  }));
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("BATON_")) delete env[k];
  const proc = spawnNode(`robot ${name}`, [...nodeArgs, join(ROOT, "bin", "baton.js"), "robot", "--config", config], env, /"robot [^"]* serving /);
  try {
    await proc.started;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...proc,
    pid: proc.child.pid,
    async stop() {
      const result = await proc.stop();
      rmSync(dir, { recursive: true, force: true });
      return result;
    },
  };
}

/**
 * The peer of issue 4: a node:http endpoint that enqueues into graphile-worker, with the
 * worker in the same process (bench/graphile-peer.js).
 */
export async function startGraphilePeer({ connectionString, schema, concurrency, nodeArgs = [] }) {
  const env = { ...process.env, PEER_DATABASE_URL: connectionString, PEER_SCHEMA: schema, PEER_CONCURRENCY: String(concurrency) };
  const proc = spawnNode("graphile-worker peer", [...nodeArgs, join(ROOT, "bench", "graphile-peer.js")], env, /listening (\d+)/, 60_000);
  const m = await proc.started;
  return { ...proc, pid: proc.child.pid, url: `http://127.0.0.1:${m[1]}` };
}

/** The BullMQ peer (bench/bullmq-peer.js) on the machine's Redis, with a queue of its own. */
export async function startBullmqPeer({ redisUrl = "redis://127.0.0.1:6379", queue, concurrency, nodeArgs = [] }) {
  const env = { ...process.env, PEER_REDIS_URL: redisUrl, PEER_QUEUE: queue, PEER_CONCURRENCY: String(concurrency) };
  const proc = spawnNode("BullMQ peer", [...nodeArgs, join(ROOT, "bench", "bullmq-peer.js")], env, /listening (\d+)/, 60_000);
  const m = await proc.started;
  return { ...proc, pid: proc.child.pid, url: `http://127.0.0.1:${m[1]}` };
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN once it is gone. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds() {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu[7] ?? 0);
  return busy / CLOCK_TICKS;
}

const CLOCK_TICKS = 100;

/** Resets the kernel's peak-RSS counter (VmHWM) of a process; false when not allowed. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU seconds PostgreSQL's processes have used so far (the postmaster, the backends it has
 * reaped, and its live children), so the database's work counts as the scenario's, not as
 * other processes' noise. 0 when no PostgreSQL runs on this machine (or /proc is not readable).
 */
export function postgresCpuSeconds() {
  const procs = [];
  let entries;
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return 0;
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (comm !== "postgres") continue;
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.push({ pid: Number(pid), ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) });
    } catch {
      // the process ended meanwhile
    }
  }
  const pids = new Set(procs.map((p) => p.pid));
  let ticks = 0;
  for (const p of procs) {
    ticks += p.own;
    if (!pids.has(p.ppid)) ticks += p.reaped; // the postmaster: its ended backends' CPU
  }
  return ticks / CLOCK_TICKS;
}
