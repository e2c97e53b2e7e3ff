// Child processes of the bench: the orchestrator (`node bin/baton.js start`) and the bare
// node:http baseline, each in its own process so the load generator never shares their
// event loop. Also reads a child's memory from /proc.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
      if (m) { clearTimeout(timer); child.stdout.off("data", onData); resolve(m); }
    };
    const fail = (err) => { clearTimeout(timer); child.kill("SIGKILL"); reject(new Error(`${err.message}\n--- ${name} output ---\n${output}`)); };
    child.stdout.on("data", onData);
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
 * The orchestrator with its in-process demo robot, on a fresh temporary data directory and
 * a random free port, quiet (BATON_LOG_LEVEL=silent). Returns the URLs of the demo triggers
 * (the Shared folder's key is read from the management API, not from the banner).
 */
export async function startBaton({ demoSlots = 100, nodeArgs = [] } = {}) {
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
  });
  const proc = spawnNode("baton", [...nodeArgs, join(ROOT, "bin", "baton.js"), "start"], env, /tenant base:\s+(\S+)/);
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
    origin: new URL(tenantBase).origin,
    urls: { echo: invoke("echo"), sleep: invoke("sleep"), fail: invoke("fail") },
    async stop() {
      const result = await proc.stop();
      rmSync(dataDir, { recursive: true, force: true });
      return result;
    },
  };
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
