import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";
import { cleanupChildren, repoRoot, tempDir, watchProcess, type Exit, type WatchedProcess } from "./helpers/child.js";
import {
  alive, call, createJob, createProcess, createRobotKey, fixture, jobLogs, listJobs, stopJob, until, waitForJob, type Orchestrator,
} from "./helpers/robot.js";

/**
 * Issue 15, "any language" proven: examples/python-robot/baton_robot.py (Python 3.11, standard
 * library only) as a child process against a real Baton on a real socket, speaking nothing but
 * docs/robot-protocol.md. Every outcome is read back through the management API; state is
 * polled for, never slept for.
 */

const SCRIPT = join(repoRoot, "examples", "python-robot", "baton_robot.py");
const HELLO = join(repoRoot, "examples", "hello.py");
const NOT_FINAL = "state=Pending,Running,Stopping,Terminating";

let b: TestBaton;
let o: Orchestrator;
let robotKey: string;
/** where the stop fixtures (term-trap.sh, term-ignore.sh) leave their pid and marker files */
let markerDir: string;

interface PyRobot extends WatchedProcess { name: string; pid: number; proc: ChildProcess }
const robots: PyRobot[] = [];
let counter = 0;

interface SessionView { id: string; robotName: string; slots: number; processes: string[] }

async function sessionsOf(name: string): Promise<SessionView[]> {
  const { items } = await call<{ items: SessionView[] }>(o, "GET", "/api/v1/robots/sessions");
  return items.filter((s) => s.robotName === name);
}

/** Spawns the Python robot (2 slots, a 1 s stop grace, Hello and the stop fixtures as commands). */
function spawnPyRobot(options: { url?: string; key?: string } = {}): PyRobot {
  const name = `py-robot-${++counter}`;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("BATON_")) env[k] = v;
  const args = [
    SCRIPT, "--url", options.url ?? b.tenantUrl, "--name", name, "--slots", "2", "--stop-grace", "1",
    "--command", `Hello=python3 ${HELLO}`,
    "--command", `Trap=sh ${fixture("term-trap.sh")}`,
    "--command", `Stubborn=sh ${fixture("term-ignore.sh")}`,
  ];
  // the key in the environment, not in the arguments (where ps would show it)
  const proc = spawn("python3", args, { cwd: repoRoot, env: { ...env, BATON_ROBOT_KEY: options.key ?? robotKey, MARKER_DIR: markerDir }, stdio: ["ignore", "pipe", "pipe"] });
  const robot: PyRobot = { ...watchProcess(proc, `python robot ${name}`), name, pid: proc.pid!, proc };
  robots.push(robot);
  return robot;
}

/** Spawns the Python robot and resolves once the orchestrator lists its session. */
async function startPyRobot(options: { url?: string } = {}): Promise<PyRobot> {
  const robot = spawnPyRobot(options);
  let exit: Exit | null = null;
  void robot.exited.then((e) => { exit = e; });
  await until(`the session of ${robot.name}`, 15_000, async () => {
    if (exit) throw new Error(`${robot.name} exited (${exit.code ?? exit.signal}):\n${robot.stderr()}`);
    return (await sessionsOf(robot.name)).length === 1;
  });
  return robot;
}

/** Ends a robot: SIGTERM (it closes its session and ends its commands), SIGKILL if it has not exited within 10 s. */
async function endRobot(robot: PyRobot): Promise<Exit> {
  robot.proc.kill("SIGTERM");
  const exit = await Promise.race([robot.exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
  return exit ?? robot.stop("SIGKILL");
}

/** The pid a stop fixture writes once its SIGTERM disposition is set. */
function fixturePid(jobKey: string): Promise<number> {
  return until(`the pid file of ${jobKey}`, 15_000, () => {
    const file = join(markerDir, `${jobKey}.pid`);
    const pid = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : 0;
    return pid > 0 ? pid : null;
  });
}

const messages = async (key: string) => (await jobLogs(o, key)).map((l) => ({ level: l.level, message: l.message }));

beforeAll(async () => {
  // a heartbeat a second: the loss of a session is noticed at once; a lease of 6 heartbeats for a loaded machine
  b = await startTestBaton({ heartbeatSeconds: 1, leaseSeconds: 6 }, { demo: false });
  o = { tenantUrl: b.tenantUrl, base: b.base, token: b.token, folderKey: b.sharedKey };
  robotKey = await createRobotKey(o, "python-robots");
  markerDir = tempDir("baton-pyrobot-");
  for (const name of ["Greet", "Countdown", "Hello", "Trap", "Stubborn"]) await createProcess(o, name);
});

afterEach(async () => {
  // nothing left for the next test's robot: a job that is not final is stopped (a Pending one at once)
  for (const job of await listJobs(o, NOT_FINAL)) await stopJob(o, job.key, "Kill").catch(() => undefined);
  await Promise.all(robots.splice(0).map(endRobot));
});

afterAll(async () => {
  await b?.close();
  await cleanupChildren();
});

describe("the Python robot (examples/python-robot)", () => {
  it("runs a Python callable: Successful with its output arguments, its log lines kept", async () => {
    const robot = await startPyRobot();
    const created = await createJob(o, "Greet", { name: "Ada" });
    const job = await waitForJob(o, created.key);
    expect(job).toMatchObject({ state: "Successful", outputArguments: { greeting: "Hello, Ada!" }, error: null, robot: robot.name, attempt: 1 });
    expect(await messages(job.key)).toEqual([{ level: "info", message: "Greeting Ada" }]);
  });

  it("a callable that raises JobFailed faults its job with that error code", async () => {
    await startPyRobot();
    const job = await waitForJob(o, (await createJob(o, "Greet", {})).key);
    expect(job).toMatchObject({ state: "Faulted", outputArguments: null, error: { code: "MissingName", message: "Greet needs a name: the input argument `name`.", retryable: false } });
  });

  it("runs a command: input on stdin, output from BATON_OUTPUT_FILE, stdout and stderr as logs; a non-zero exit is ProcessExitCode", async () => {
    await startPyRobot();
    const [ok, failing] = await Promise.all([createJob(o, "Hello", { name: "Grace" }), createJob(o, "Hello", { name: "Lin", fail: true })]);
    expect(await waitForJob(o, ok.key)).toMatchObject({ state: "Successful", outputArguments: { greeting: "Hello, Grace!" } });
    expect(await messages(ok.key)).toEqual([{ level: "info", message: "greeting Grace" }]);
    expect(await waitForJob(o, failing.key)).toMatchObject({
      state: "Faulted",
      error: { code: "ProcessExitCode", message: "The command exited with code 2: asked to fail", details: { exitCode: 2, signal: null, stderrTail: "asked to fail" } },
    });
    expect(await messages(failing.key)).toEqual(expect.arrayContaining([{ level: "info", message: "greeting Lin" }, { level: "error", message: "asked to fail" }]));
  });

  it("SoftStop: the callable is told to stop, the command gets SIGTERM; both jobs end Stopped", async () => {
    await startPyRobot();
    const [callable, command] = await Promise.all([createJob(o, "Countdown", { seconds: 60 }), createJob(o, "Trap")]);
    await until("the countdown to start", 15_000, async () => (await messages(callable.key)).some((l) => l.message === "60 ..."));
    await fixturePid(command.key);
    await Promise.all([stopJob(o, callable.key, "SoftStop"), stopJob(o, command.key, "SoftStop")]);
    expect((await waitForJob(o, callable.key)).state).toBe("Stopped");
    expect((await waitForJob(o, command.key)).state).toBe("Stopped");
    // how far it counted depends on how soon the stop arrived: not asserted
    expect(await messages(callable.key)).toContainEqual({ level: "info", message: expect.stringMatching(/^stop requested with \d+ s to go: stopping cleanly$/) });
    expect(existsSync(join(markerDir, `${command.key}.trapped`))).toBe(true);
    expect(await messages(command.key)).toContainEqual({ level: "info", message: "trapped SIGTERM, cleaning up" });
  });

  it("Kill ends a command that ignores SIGTERM (SIGKILL to its group), and so does a SoftStop once its grace runs out: both Stopped", async () => {
    await startPyRobot();
    const [killed, softStopped] = await Promise.all([createJob(o, "Stubborn"), createJob(o, "Stubborn")]);
    const pids = await Promise.all([fixturePid(killed.key), fixturePid(softStopped.key)]);
    await Promise.all([stopJob(o, killed.key, "Kill"), stopJob(o, softStopped.key, "SoftStop")]);
    expect(await waitForJob(o, killed.key)).toMatchObject({ state: "Stopped", error: null });
    expect(await waitForJob(o, softStopped.key)).toMatchObject({ state: "Stopped", error: null });
    // the robot reaps what it killed
    await until("the stubborn commands to be gone", 10_000, () => pids.every((pid) => !alive(pid)));
  });

  it("SIGTERM: the robot closes its session; the jobs it had not finished go back to Pending, their commands ended", async () => {
    const robot = await startPyRobot();
    const [callable, command] = await Promise.all([createJob(o, "Countdown", { seconds: 60 }), createJob(o, "Stubborn")]);
    await until("the countdown to start", 15_000, async () => (await messages(callable.key)).some((l) => l.message === "60 ..."));
    const pid = await fixturePid(command.key);
    robot.proc.kill("SIGTERM");
    expect(await robot.exited).toEqual({ code: 0, signal: null });
    expect(await sessionsOf(robot.name)).toEqual([]);
    for (const key of [callable.key, command.key]) {
      expect(await waitForJob(o, key, ["Pending"])).toMatchObject({
        state: "Pending", attempt: 1, robot: null, info: `Handed back by robot ${robot.name} during attempt 1.`,
      });
    }
    // SIGKILLed and reaped by the robot before it exited
    await until("the stubborn command to be gone", 10_000, () => !alive(pid));
  });

  it("a session the orchestrator ended (404 session-not-found) is opened again; an unreachable first URL is passed over", async () => {
    // port 9 (discard) on loopback: nothing listens there, the connection is refused
    const robot = await startPyRobot({ url: `http://127.0.0.1:9/default/DefaultTenant,${b.tenantUrl}` });
    const [first] = await sessionsOf(robot.name);
    const res = await fetch(`${b.base}/api/robot/v1/sessions/${first!.id}`, { method: "DELETE", headers: { authorization: `Bearer ${robotKey}` } });
    expect(res.status).toBe(204);
    const [second] = await until("a new session", 15_000, async () => {
      const now = await sessionsOf(robot.name);
      return now.length === 1 && now[0]!.id !== first!.id ? now : null;
    });
    expect(second).toMatchObject({ robotName: robot.name, slots: 2 });
    const job = await waitForJob(o, (await createJob(o, "Greet", { name: "again" })).key);
    expect(job).toMatchObject({ state: "Successful", outputArguments: { greeting: "Hello, again!" } });
    expect(robot.stderr()).toMatch(/session-not-found/);
  });

  it("a key the orchestrator refuses (401) is not retried: the robot exits 2 saying why", async () => {
    const robot = spawnPyRobot({ key: "not-a-robot-key" });
    expect(await robot.exited).toEqual({ code: 2, signal: null });
    expect(robot.stderr()).toMatch(/the orchestrator refused the session: 401 /);
    expect(await sessionsOf(robot.name)).toEqual([]);
  });

  it("waits as Retry-After says: a 503 on opening the session, a 429 on a result", async () => {
    const proxy = await startProxy(b.url, (method, path) => {
      if (method === "POST" && path.endsWith("/api/robot/v1/sessions")) return { status: 503, code: "shutting-down" };
      if (method === "POST" && path.endsWith("/complete")) return { status: 429, code: "rate-limited" };
      return null;
    });
    try {
      const robot = await startPyRobot({ url: `${proxy.url}${new URL(b.tenantUrl).pathname}` });
      const job = await waitForJob(o, (await createJob(o, "Greet", { name: "Kay" })).key);
      expect(job).toMatchObject({ state: "Successful", outputArguments: { greeting: "Hello, Kay!" } });
      expect(proxy.refused).toEqual(["POST /sessions 503", "POST /complete 429"]);
      // the robot's own backoffs are 0.5 s (sessions) and 0.2 s (results): these pauses are the answers' Retry-After
      expect(robot.stderr()).toMatch(/cannot open a session \(.*503 shutting-down.*\); retrying in 1\.0 s/);
      expect(robot.stderr()).toMatch(new RegExp(`job ${job.key}: .*429 rate-limited.*; retrying in 1\\.0 s`));
    } finally {
      // the robot first: it closes its session through the proxy
      await Promise.all(robots.splice(0).map(endRobot));
      await proxy.close();
    }
  });
});

/**
 * A proxy in front of the orchestrator: the first request each rule matches is answered with
 * its status and `Retry-After: 1`; everything else is passed through.
 */
async function startProxy(target: string, rule: (method: string, path: string) => { status: number; code: string } | null) {
  const refused: string[] = [];
  const used = new Set<string>();
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    const answer = rule(req.method ?? "GET", path);
    const id = answer ? `${req.method} /${path.split("/").pop()} ${answer.status}` : "";
    if (answer && !used.has(id)) {
      used.add(id);
      refused.push(id);
      req.resume();
      res.writeHead(answer.status, { "content-type": "application/problem+json", "retry-after": "1" });
      res.end(JSON.stringify({ status: answer.status, code: answer.code, title: "Try later", detail: "Retry after Retry-After." }));
      return;
    }
    const upstream = httpRequest(new URL(path, target), { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    // a long-poll whose robot went away ends upstream too
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
