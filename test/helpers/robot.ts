import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { batonBin, repoRoot, tempDir, watchProcess, type Exit } from "./child.js";

/**
 * `baton robot --config FILE` as a child process, and what the robot tests need around it:
 * an orchestrator client (in-process TestBaton or a child's banner alike), jobs, logs, and
 * polling for conditions instead of sleeping.
 */

export const fixturesDir = join(repoRoot, "test", "fixtures");
export const fixture = (name: string) => join(fixturesDir, name);

/** Where a robot talks to and how the tests manage the tenant. */
export interface Orchestrator {
  /** tenant base, e.g. http://127.0.0.1:43125/default/DefaultTenant */
  tenantUrl: string;
  /** `{tenantUrl}/orchestrator_` */
  base: string;
  /** admin token */
  token: string;
  /** the Shared folder */
  folderKey: string;
}

export interface JobView {
  key: string;
  processName: string;
  state: string;
  priority: string;
  inputArguments: Record<string, unknown>;
  outputArguments: Record<string, any> | null;
  error: { code: string; message: string; details?: any; retryable?: false } | null;
  robot: string | null;
  attempt: number;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  info: string | null;
}

export interface LogLine {
  seq: number;
  at: string;
  level: "info" | "error";
  message: string;
}

export const FINAL = ["Successful", "Faulted", "Stopped"];

/** fetch under `base` with the admin token; JSON in, JSON out; throws on a non-2xx answer. */
export async function call<T = any>(o: Orchestrator, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${o.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${o.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function createRobotKey(o: Orchestrator, name: string): Promise<string> {
  return (await call<{ key: string }>(o, "POST", "/api/v1/robots", { name })).key;
}

export async function createProcess(o: Orchestrator, name: string, fields: Record<string, unknown> = {}): Promise<void> {
  await call(o, "POST", `/api/v1/folders/${o.folderKey}/processes`, { name, ...fields });
}

/** POST /jobs (source Api) in the Shared folder. */
export function createJob(o: Orchestrator, processName: string, inputArguments: Record<string, unknown> = {}, priority?: string): Promise<JobView> {
  return call<JobView>(o, "POST", "/api/v1/jobs", { folderKey: o.folderKey, processName, inputArguments, ...(priority ? { priority } : {}) });
}

export function getJob(o: Orchestrator, key: string): Promise<JobView> {
  return call<JobView>(o, "GET", `/api/v1/jobs/${key}`);
}

export function stopJob(o: Orchestrator, key: string, strategy: "SoftStop" | "Kill"): Promise<JobView> {
  return call<JobView>(o, "POST", `/api/v1/jobs/${key}/stop`, { strategy });
}

/** Every log line of a job, through the cursor pages. */
export async function jobLogs(o: Orchestrator, key: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: LogLine[]; nextCursor: string | null } = await call(o, "GET", `/api/v1/jobs/${key}/logs?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    lines.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return lines;
}

/** Every job matching the query (e.g. `processName=Bulk`), through the cursor pages. */
export async function listJobs(o: Orchestrator, query: string): Promise<JobView[]> {
  const jobs: JobView[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: JobView[]; nextCursor: string | null } = await call(o, "GET", `/api/v1/jobs?limit=1000&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    jobs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return jobs;
}

/** Polls `probe` every `intervalMs` until it returns something truthy. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until the job is in one of `states` (by default: final). */
export function waitForJob(o: Orchestrator, key: string, states: string[] = FINAL, timeoutMs = 20_000): Promise<JobView> {
  return until(`job ${key} to be ${states.join("/")}`, timeoutMs, async () => {
    const job = await getJob(o, key);
    return states.includes(job.state) ? job : null;
  });
}

/** Is a process (or, with a negative pid, a process group) still there? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A TCP port that is free, for a server that must come back on the same port after a
 * restart (an orchestrator, a private PostgreSQL). It is drawn below Linux's ephemeral range
 * (32768–60999): a port from `listen(0)` would go back to that range when released, where
 * any other test's server or outgoing connection, running in parallel, could take it before
 * the restart.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 20_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
    if (attempt > 100) throw new Error("no free port found between 10000 and 30000");
  }
}

// ---- robots as child processes

export interface RobotConfigFile {
  orchestrator?: string[];
  key?: string;
  name: string;
  slots?: number;
  stopGraceSeconds?: number;
  processes: Record<string, { command: string[]; cwd?: string; env?: Record<string, string>; timeoutSeconds?: number; noRetryExitCodes?: number[] } | { module: string }>;
}

export interface RobotChild {
  name: string;
  proc: ChildProcess;
  pid: number;
  configFile: string;
  stdout(): string;
  stderr(): string;
  /** resolves when the robot has exited and its output is read (never rejects) */
  exited: Promise<Exit>;
  /** resolves once `pattern` matches the robot's log (stderr, JSON lines); rejects if it exits first or on timeout */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** sends the signal (if still running) and waits for the exit */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const robots = new Set<RobotChild>();

/** The parent's environment without BATON_* variables, plus `env`. */
function robotEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("BATON_")) out[k] = v;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Spawns `node bin/baton.js robot --config <configFile>` (cwd: the repository root). */
export function spawnRobot(name: string, configFile: string, env: Record<string, string | undefined> = {}): RobotChild {
  const proc = spawn(process.execPath, [batonBin, "robot", "--config", configFile], { cwd: repoRoot, env: robotEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  const watched = watchProcess(proc, `robot ${name}`);
  const robot: RobotChild = {
    name,
    proc,
    pid: proc.pid!,
    configFile,
    stdout: watched.stdout,
    stderr: watched.stderr,
    exited: watched.exited,
    waitForLog: (pattern, timeoutMs) => watched.waitFor("stderr", pattern, timeoutMs),
    stop: watched.stop,
  };
  const exited = watched.exited;
  robots.add(robot);
  void exited.then(() => robots.delete(robot));
  return robot;
}

/**
 * Writes a robot config (orchestrator and key from `o` unless given) to a temp folder, starts
 * `baton robot` on it and resolves once its session is open (it logs "robot … serving …").
 */
export async function startRobot(
  o: Orchestrator | null,
  config: RobotConfigFile,
  options: { env?: Record<string, string | undefined>; key?: string } = {},
): Promise<RobotChild> {
  const file = join(tempDir("baton-robot-"), `${config.name}.json`);
  const full = { orchestrator: o ? [o.tenantUrl] : undefined, key: options.key, ...config };
  writeFileSync(file, JSON.stringify(full, null, 2));
  const robot = spawnRobot(config.name, file, options.env);
  try {
    await robot.waitForLog(/"msg":"robot \S+ serving /);
  } catch (err) {
    await robot.stop("SIGKILL");
    throw err;
  }
  return robot;
}

/** SIGKILLs every robot still running (afterAll; temp folders go with child.ts's cleanupChildren). */
export async function cleanupRobots(): Promise<void> {
  await Promise.all([...robots].map((r) => r.stop("SIGKILL")));
}
