import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupChildren, readBanner, repoRoot, spawnBaton, tempDir, type BatonChild, type Banner } from "./helpers/child.js";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";
import {
  FINAL, alive, call, cleanupRobots, createJob, createProcess, createRobotKey, fixture, fixturesDir, freePort, getJob, jobLogs, listJobs, spawnRobot,
  startRobot, stopJob, until, waitForJob, type JobView, type Orchestrator, type RobotChild, type RobotConfigFile,
} from "./helpers/robot.js";

/**
 * `baton robot --config FILE` as operators run it (SPEC §3, docs/robot-protocol.md): robots
 * are real child processes talking HTTP to a real orchestrator socket; commands are real
 * processes (node, sh, python3) and modules are real .js/.ts files from test/fixtures.
 * Each describe block has its own orchestrator and robots, so the blocks run concurrently;
 * the long ones come first so that they start first.
 */

const markerDirs: string[] = [];

afterAll(async () => {
  await cleanupRobots();
  // commands run detached (their own process group): a robot SIGKILLed mid-job leaves them behind
  for (const dir of markerDirs) {
    for (const f of existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".pid")) : []) {
      const pid = Number(readFileSync(join(dir, f), "utf8").trim());
      if (pid > 0) try { process.kill(-pid, "SIGKILL"); } catch { /* gone */ }
    }
  }
  await cleanupChildren();
}, 30_000);

const node = process.execPath;
const newToken = () => `baton_pat_robot_${randomBytes(16).toString("hex")}`;

function fromTestBaton(b: TestBaton): Orchestrator {
  return { tenantUrl: b.tenantUrl, base: b.base, token: b.token, folderKey: b.sharedKey };
}

async function fromBanner(banner: Banner, token: string): Promise<Orchestrator> {
  const o: Orchestrator = { tenantUrl: banner.tenantUrl, base: banner.base, token, folderKey: "" };
  const { items } = await call<{ items: { key: string; name: string }[] }>(o, "GET", "/api/v1/folders");
  return { ...o, folderKey: items.find((f) => f.name === "Shared")!.key };
}

/** An in-process orchestrator without the demo robot, plus what its afterAll must end. */
async function orchestrator(overrides: Parameters<typeof startTestBaton>[0] = {}) {
  const b = await startTestBaton(overrides, { demo: false });
  const robots: RobotChild[] = [];
  return {
    b, o: fromTestBaton(b), robots,
    async robot(config: RobotConfigFile & { env?: Record<string, string> }): Promise<RobotChild> {
      const { env, ...file } = config;
      const r = await startRobot(fromTestBaton(b), { ...file, key: await createRobotKey(fromTestBaton(b), config.name) }, { env });
      robots.push(r);
      return r;
    },
    async close() {
      await Promise.all(robots.map((r) => r.stop("SIGKILL")));
      await b.close();
    },
  };
}

/** The executions a robot's record file lists, in order (work.mjs: "<key> <attempt>" when it starts, "… done" when it ends). */
function records(file: string, which: "started" | "done" = "started"): { key: string; attempt: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => line.split(" "))
    .filter((parts) => (parts[2] === "done") === (which === "done"))
    .map(([key, attempt]) => ({ key: key!, attempt: Number(attempt) }));
}

const pidFile = (dir: string, jobKey: string) => join(dir, `${jobKey}.pid`);

/** Waits for the pid a stop fixture writes once its SIGTERM disposition is set. */
function waitForPid(dir: string, jobKey: string): Promise<number> {
  return until(`the pid file of ${jobKey}`, 15_000, () => {
    const f = pidFile(dir, jobKey);
    const pid = existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : 0;
    return pid > 0 ? pid : null;
  });
}

describe.concurrent("baton robot", { timeout: 30_000 }, () => {
  describe("an orchestrator restart (SIGKILL) while robots run jobs", () => {
    it("robots reconnect with backoff and report their results: all Successful, none retried", { timeout: 60_000 }, async () => {
      const dataDir = tempDir();
      const token = newToken();
      const port = await freePort();
      // `serve`: no in-process robot competes; heartbeat 5 s and a 30 s lease, so that the
      // restart, slow on a loaded machine, stays well inside one lease as the spec's case says
      const env = { BATON_PORT: String(port), BATON_DATA_DIR: dataDir, BATON_BOOTSTRAP_TOKEN: token, BATON_LOG_LEVEL: "warn", BATON_LEASE_SECONDS: "30" };
      const serve = async (): Promise<{ child: BatonChild; banner: Banner }> => {
        const child = spawnBaton(["serve"], env);
        return { child, banner: await readBanner(child) };
      };
      const first = await serve();
      const o = await fromBanner(first.banner, token);
      await createProcess(o, "Steady"); // maxAttempts 1: a lost lease would fault the job
      const dir = tempDir();
      const robots: RobotChild[] = [];
      for (const name of ["steady-1", "steady-2"]) {
        robots.push(await startRobot(o, {
          name, slots: 3, key: await createRobotKey(o, name), processes: { Steady: { module: fixture("work.mjs") } },
        }, { env: { RECORD_FILE: join(dir, `${name}.txt`) } }));
      }

      const jobs = await Promise.all(Array.from({ length: 8 }, (_, i) => createJob(o, "Steady", { ms: 3000, n: i, log: true })));
      await until("6 jobs Running on the two robots", 15_000, async () => (await listJobs(o, "processName=Steady&state=Running")).length === 6);

      const killedAt = Date.now();
      const before = robots.map((r) => r.stderr().length);
      await first.child.stop("SIGKILL");
      // both robots notice (their heartbeat and claim long-polls break) before the orchestrator is back
      await until("both robots to see the orchestrator gone", 10_000, () => robots.every((r, i) => /"level":"warn"/.test(r.stderr().slice(before[i]))));
      // the running jobs finish (and log) while it is down: their logs and results wait for it
      await until("the 6 running jobs to finish", 15_000, () => robots.flatMap((r) => records(join(dir, `${r.name}.txt`), "done")).length === 6);
      const second = await serve();
      const downMs = Date.now() - killedAt;
      expect(second.banner.url).toBe(first.banner.url);

      const final = await until("all 8 jobs final", 40_000, async () => {
        const all = await Promise.all(jobs.map((j) => getJob(o, j.key)));
        return all.every((j) => FINAL.includes(j.state)) ? all : null;
      }, 200);
      const doneMs = Date.now() - killedAt;
      for (const j of final) {
        expect(j.state, `${j.key}: ${JSON.stringify(j.error)} ${j.info}`).toBe("Successful");
        expect(j.attempt).toBe(1);
        expect(j.outputArguments).toMatchObject({ jobKey: j.key, attempt: 1 });
        // log lines sent while the orchestrator was down are not lost either; a batch whose
        // answer the kill cut off (stored, not yet answered) is sent again, so a line may come
        // twice in a row (logs are at least once: docs/robot-protocol.md, "Logs")
        const messages = (await jobLogs(o, j.key)).map((l) => l.message);
        expect(messages.filter((m, i) => i === 0 || m !== messages[i - 1])).toEqual(["started (attempt 1)", "half way", "done"]);
      }
      // each job ran exactly once, across both robots
      const ran = robots.flatMap((r) => records(join(dir, `${r.name}.txt`)));
      expect(ran.map((r) => r.key).sort()).toEqual(jobs.map((j) => j.key).sort());
      expect(robots.every((r) => r.proc.exitCode === null && r.proc.signalCode === null)).toBe(true);
      console.log(`orchestrator restart: down ${downMs} ms (SIGKILL → banner), all 8 jobs Successful ${doneMs} ms after the kill`);
    });
  });

  describe("1,000 jobs over two robots of 8 slots", () => {
    it("every job runs exactly once and ends Successful, and both robots work", { timeout: 60_000 }, async () => {
      const token = newToken();
      const child = spawnBaton(["serve"], { BATON_PORT: "0", BATON_DATA_DIR: tempDir(), BATON_BOOTSTRAP_TOKEN: token, BATON_LOG_LEVEL: "warn" });
      const o = await fromBanner(await readBanner(child), token);
      await createProcess(o, "Bulk");
      const dir = tempDir();
      const robots: RobotChild[] = [];
      for (const name of ["bulk-1", "bulk-2"]) {
        robots.push(await startRobot(o, {
          name, slots: 8, key: await createRobotKey(o, name), processes: { Bulk: { module: fixture("work.mjs") } },
        }, { env: { RECORD_FILE: join(dir, `${name}.txt`), ROBOT_LABEL: name } }));
      }

      const TOTAL = 1000;
      const started = Date.now();
      const keys: string[] = [];
      let next = 0;
      await Promise.all(Array.from({ length: 25 }, async () => {
        while (next < TOTAL) {
          const n = next++;
          keys.push((await createJob(o, "Bulk", { n })).key);
        }
      }));
      const createdMs = Date.now() - started;
      await until("no Bulk job Pending or Running", 45_000, async () => {
        const page = await call<{ items: JobView[] }>(o, "GET", "/api/v1/jobs?processName=Bulk&state=Pending,Running&limit=1");
        return page.items.length === 0;
      }, 100);
      const doneMs = Date.now() - started;

      const all = await listJobs(o, "processName=Bulk");
      expect(all).toHaveLength(TOTAL);
      expect(all.filter((j) => j.state !== "Successful").map((j) => `${j.key} ${j.state} ${JSON.stringify(j.error)}`)).toEqual([]);
      expect(all.filter((j) => j.attempt !== 1 || j.outputArguments?.jobKey !== j.key)).toEqual([]);
      expect(new Set(all.map((j) => j.key))).toEqual(new Set(keys));

      const perRobot = robots.map((r) => records(join(dir, `${r.name}.txt`)));
      const executions = new Map<string, number>();
      for (const rec of perRobot.flat()) executions.set(rec.key, (executions.get(rec.key) ?? 0) + 1);
      expect(executions.size).toBe(TOTAL);
      expect([...executions.entries()].filter(([, n]) => n !== 1)).toEqual([]);
      expect(new Set(executions.keys())).toEqual(new Set(keys));
      for (const rec of perRobot) expect(rec.length).toBeGreaterThan(0);
      // the robot named in each job is the one that recorded it
      const byRobot = new Map(all.map((j) => [j.key, j.robot]));
      robots.forEach((r, i) => expect(perRobot[i]!.filter((rec) => byRobot.get(rec.key) !== r.name)).toEqual([]));
      console.log(`1,000 jobs: created in ${createdMs} ms, all Successful ${doneMs} ms after the first (${Math.round(TOTAL / (doneMs / 1000))} jobs/s); bulk-1 ran ${perRobot[0]!.length}, bulk-2 ran ${perRobot[1]!.length}`);
    });
  });

  describe("command processes", () => {
    let env: Awaited<ReturnType<typeof orchestrator>>;
    beforeAll(async () => {
      env = await orchestrator();
      for (const name of ["Cmd", "CmdTimeout", "CmdMissing"]) await createProcess(env.o, name);
      await createProcess(env.o, "CmdRetried", { retry: { maxAttempts: 3, backoff: { delaySeconds: 0 } } });
      await env.robot({
        name: "cmd-robot", slots: 8,
        processes: {
          Cmd: { command: [node, "command.mjs"], cwd: fixturesDir, env: { FIXTURE_SETTING: "from-config" } },
          CmdRetried: { command: [node, "command.mjs"], cwd: fixturesDir, noRetryExitCodes: [4, 5] },
          CmdTimeout: { command: ["sleep", "30"], timeoutSeconds: 1 },
          CmdMissing: { command: ["/nonexistent/baton-no-such-command", "--flag"] },
        },
      });
    }, 30_000);
    afterAll(() => env.close(), 30_000);

    const run = async (processName: string, input: Record<string, unknown>) => waitForJob(env.o, (await createJob(env.o, processName, input)).key);

    it("gets the input arguments on stdin and in BATON_INPUT_FILE, and its output is the JSON object in BATON_OUTPUT_FILE", async () => {
      const input = { name: "Ada", nested: { list: [1, 2, { deep: true }], none: null }, text: "héllo ✓ \"quoted\"\nnew line" };
      const job = await run("Cmd", input);
      expect(job.state, JSON.stringify(job.error)).toBe("Successful");
      expect(job.outputArguments).toEqual({
        stdin: input, inputFile: input, jobKey: job.key, processName: "Cmd", configEnv: "from-config", cwd: fixturesDir,
      });
    });

    it("an absent or empty output file gives {}", async () => {
      const [none, empty] = await Promise.all([run("Cmd", { output: "none" }), run("Cmd", { output: "empty" })]);
      for (const job of [none, empty]) {
        expect(job.state).toBe("Successful");
        expect(job.outputArguments).toEqual({});
      }
    });

    it("an output file that is not a JSON object faults the job with InvalidOutput", async () => {
      const [invalid, array] = await Promise.all([run("Cmd", { output: "invalid" }), run("Cmd", { output: "array" })]);
      for (const job of [invalid, array]) {
        expect(job.state).toBe("Faulted");
        expect(job.error?.code).toBe("InvalidOutput");
        expect(job.error?.message).toMatch(/BATON_OUTPUT_FILE/);
      }
    });

    it("a non-zero exit code faults the job with ProcessExitCode and the tail of stderr", async () => {
      const stderr = Array.from({ length: 25 }, (_, i) => `problem ${i + 1}`);
      const job = await run("Cmd", { stderr, exitCode: 3, output: "none" });
      expect(job.state).toBe("Faulted");
      expect(job.error?.code).toBe("ProcessExitCode");
      expect(job.error?.message).toMatch(/exited with code 3.*problem 25/);
      expect(job.error?.details?.exitCode).toBe(3);
      expect(job.error?.details?.stderrTail).toBe(stderr.slice(-20).join("\n"));
    });

    it("a non-zero exit code is retried per the process's policy; one of noRetryExitCodes ends the job at once", async () => {
      const [retried, final] = await Promise.all([run("CmdRetried", { exitCode: 3, output: "none" }), run("CmdRetried", { exitCode: 4, output: "none" })]);
      expect(retried).toMatchObject({ state: "Faulted", attempt: 3, error: { code: "ProcessExitCode", details: { exitCode: 3 } } });
      expect(retried.error?.retryable).toBeUndefined();
      expect(final).toMatchObject({ state: "Faulted", attempt: 1, error: { code: "ProcessExitCode", retryable: false, details: { exitCode: 4 } } });
      const attempts = (await call<{ attempts: { attempt: number; outcome: string; error: { details: { exitCode: number } } }[] }>(env.o, "GET", `/api/v1/jobs/${retried.key}`)).attempts;
      expect(attempts.map((a) => [a.attempt, a.outcome, a.error.details.exitCode])).toEqual([[1, "Faulted", 3], [2, "Faulted", 3], [3, "Faulted", 3]]);
    });

    it("stdout and stderr lines become job logs (stderr as error), and info is the last line", async () => {
      const job = await run("Cmd", { stdout: ["step 1 of 3", "step 2 of 3", "done: 3 items"], stderr: ["a warning on stderr"] });
      expect(job.state).toBe("Successful");
      const logs = await jobLogs(env.o, job.key);
      const stdoutLines = logs.filter((l) => l.level === "info").map((l) => l.message);
      expect(stdoutLines).toEqual(["step 1 of 3", "step 2 of 3", "done: 3 items"]);
      expect(logs.filter((l) => l.level === "error").map((l) => l.message)).toEqual(["a warning on stderr"]);
      expect(logs.map((l) => l.seq)).toEqual(logs.map((_, i) => i + 1));

      const onlyStdout = await run("Cmd", { stdout: ["reading", "writing", "all 7 rows written"] });
      expect(onlyStdout.info).toBe("all 7 rows written");
      expect((await jobLogs(env.o, onlyStdout.key)).map((l) => l.message)).toEqual(["reading", "writing", "all 7 rows written"]);
    });

    it("past timeoutSeconds the command is killed and the job Faulted with Timeout", async () => {
      const started = Date.now();
      const job = await run("CmdTimeout", {});
      expect(job.state).toBe("Faulted");
      expect(job.error?.code).toBe("Timeout");
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    });

    it("a command that does not exist faults the job with ProcessStartFailed", async () => {
      const job = await run("CmdMissing", {});
      expect(job.state).toBe("Faulted");
      expect(job.error?.code).toBe("ProcessStartFailed");
      expect(job.error?.message).toMatch(/baton-no-such-command/);
    });
  });

  describe("examples/robot.json as shipped (BATON_URL and BATON_ROBOT_KEY from the environment)", () => {
    let env: Awaited<ReturnType<typeof orchestrator>>;
    let robot: RobotChild;
    beforeAll(async () => {
      env = await orchestrator();
      for (const name of ["Hello", "WordCount", "Invoice"]) await createProcess(env.o, name);
      await call(env.o, "POST", `/api/v1/folders/${env.o.folderKey}/triggers`, { name: "Hello", slug: "hello", verb: "POST", processName: "Hello", callMode: "LongPolling" });
      const key = await createRobotKey(env.o, "robot-1");
      robot = spawnRobot("robot-1", join(repoRoot, "examples", "robot.json"), { BATON_URL: env.b.tenantUrl, BATON_ROBOT_KEY: key });
      env.robots.push(robot);
      await robot.waitForLog(/"msg":"robot robot-1 serving Hello, WordCount, Invoice with 4 slot\(s\)"/);
    }, 30_000);
    afterAll(() => env.close(), 30_000);

    it("Hello (python3) through a LongPolling trigger: the greeting, and its stdout in the logs", async () => {
      const res = await fetch(`${env.b.invokeUrl("hello")}`, {
        method: "POST", headers: { authorization: `Bearer ${env.o.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "Ada" }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ greeting: "Hello, Ada!" });
      const [job] = (await listJobs(env.o, "processName=Hello")).filter((j) => j.inputArguments.name === "Ada");
      expect(job!.robot).toBe("robot-1");
      expect((await jobLogs(env.o, job!.key)).map((l) => l.message)).toContain("greeting Ada");
    });

    it("Hello asked to fail: Faulted ProcessExitCode with its stderr", async () => {
      const job = await waitForJob(env.o, (await createJob(env.o, "Hello", { name: "Bob", fail: true })).key);
      expect(job.state).toBe("Faulted");
      expect(job.error?.code).toBe("ProcessExitCode");
      expect(job.error?.details).toMatchObject({ exitCode: 2, stderrTail: "asked to fail" });
    });

    it("Hello stops on SoftStop (its SIGTERM handler)", async () => {
      const created = await createJob(env.o, "Hello", { name: "Cy", delaySeconds: 60 });
      await waitForJob(env.o, created.key, ["Running"]);
      await stopJob(env.o, created.key, "SoftStop");
      const job = await waitForJob(env.o, created.key);
      expect(job.state).toBe("Stopped");
    });

    it("WordCount (sh) counts words", async () => {
      const job = await waitForJob(env.o, (await createJob(env.o, "WordCount", { text: "the quick brown fox jumps" })).key);
      expect(job.state, JSON.stringify(job.error)).toBe("Successful");
      expect(job.outputArguments).toEqual({ words: 5 });
      expect(job.info).toBe("counted 5 words");
    });

    it("Invoice (a TypeScript module): output, ctx.log, and a throw's code", async () => {
      const ok = await waitForJob(env.o, (await createJob(env.o, "Invoice", { amount: 100, currency: "USD" })).key);
      expect(ok.state, JSON.stringify(ok.error)).toBe("Successful");
      expect(ok.outputArguments).toEqual({ invoiceNumber: `INV-${ok.key.slice(0, 8)}`, total: 120 });
      expect((await jobLogs(env.o, ok.key)).map((l) => l.message)).toEqual(["booking 100 USD (attempt 1)"]);

      const bad = await waitForJob(env.o, (await createJob(env.o, "Invoice", { amount: -5 })).key);
      expect(bad.state).toBe("Faulted");
      expect(bad.error).toMatchObject({ code: "InvalidAmount", message: "amount must be a positive number" });
    });
  });

  describe("module processes", () => {
    let env: Awaited<ReturnType<typeof orchestrator>>;
    beforeAll(async () => {
      env = await orchestrator();
      for (const name of ["ModJs", "ModTs", "Nobody"]) await createProcess(env.o, name);
      await createProcess(env.o, "ModRetried", { retry: { maxAttempts: 2, backoff: { delaySeconds: 0 } } });
      await env.robot({
        name: "mod-robot", slots: 4,
        processes: { ModJs: { module: fixture("module.mjs") }, ModTs: { module: fixture("module.ts") }, ModRetried: { module: fixture("module.mjs") } },
      });
    }, 30_000);
    afterAll(() => env.close(), 30_000);

    const run = async (processName: string, input: Record<string, unknown>) => waitForJob(env.o, (await createJob(env.o, processName, input)).key);

    for (const [processName, language] of [["ModJs", "js"], ["ModTs", "ts"]] as const) {
      it(`${processName}: the default export's return value is the output; ctx.log lines are the logs`, async () => {
        const job = await run(processName, { a: 2, b: 40, log: ["loading", "adding", "sum is 42"] });
        expect(job.state, JSON.stringify(job.error)).toBe("Successful");
        expect(job.outputArguments).toEqual({ sum: 42, jobKey: job.key, processName, attempt: 1, language });
        expect((await jobLogs(env.o, job.key)).map((l) => [l.level, l.message])).toEqual([["info", "loading"], ["info", "adding"], ["info", "sum is 42"]]);
        expect(job.info).toBe("sum is 42");
      });

      it(`${processName}: a throw faults the job with the error's code (ProcessFailed without one)`, async () => {
        const [coded, plain] = await Promise.all([
          run(processName, { log: ["about to fail"], throw: { message: "the customer is unknown", code: "CustomerUnknown" } }),
          run(processName, { throw: { message: "no code here" } }),
        ]);
        expect(coded.state).toBe("Faulted");
        expect(coded.error).toMatchObject({ code: "CustomerUnknown", message: "the customer is unknown" });
        expect((await jobLogs(env.o, coded.key)).map((l) => l.message)).toEqual(["about to fail"]);
        expect(plain.state).toBe("Faulted");
        expect(plain.error).toMatchObject({ code: "ProcessFailed", message: "no code here" });
      });
    }

    it("a throw is retried per the process's policy; a throw with retryable: false ends the job at once", async () => {
      const [retried, final] = await Promise.all([
        run("ModRetried", { throw: { message: "try again", code: "Flaky" } }),
        run("ModRetried", { throw: { message: "never", code: "BadInput", retryable: false } }),
      ]);
      expect(retried).toMatchObject({ state: "Faulted", attempt: 2, error: { code: "Flaky", message: "try again" } });
      expect(final).toMatchObject({ state: "Faulted", attempt: 1, error: { code: "BadInput", message: "never", retryable: false } });
    });

    it("ctx.log(message, 'error') is an error line", async () => {
      const job = await run("ModJs", { log: ["fine"], logError: "not so fine" });
      expect((await jobLogs(env.o, job.key)).map((l) => [l.level, l.message])).toEqual([["info", "fine"], ["error", "not so fine"]]);
    });

    it("a process no robot serves stays Pending, with an info saying so", async () => {
      const orphan = await createJob(env.o, "Nobody", {});
      expect(orphan.state).toBe("Pending");
      // a job created after it, of a served process, is claimed and finished meanwhile
      const served = await run("ModJs", { a: 1 });
      expect(served.state).toBe("Successful");
      const still = await getJob(env.o, orphan.key);
      expect(still.state).toBe("Pending");
      expect(still.attempt).toBe(0);
      expect(still.robot).toBeNull();
      expect(still.info).toMatch(/no robot serving Nobody/i);
    });
  });

  describe("SoftStop and Kill", () => {
    let env: Awaited<ReturnType<typeof orchestrator>>;
    const dir = tempDir("baton-markers-");
    markerDirs.push(dir);
    beforeAll(async () => {
      env = await orchestrator();
      for (const name of ["TermTrap", "TermIgnore", "KillIgnore", "ModWait", "ModStubborn"]) await createProcess(env.o, name);
      const shEnv = { MARKER_DIR: dir };
      // SoftStops here become a Kill after 1 s
      await env.robot({
        name: "soft-robot", slots: 4, stopGraceSeconds: 1,
        processes: { TermTrap: { command: ["sh", fixture("term-trap.sh")], env: shEnv }, TermIgnore: { command: ["sh", fixture("term-ignore.sh")], env: shEnv } },
      });
      // ...and here only after 60 s: whatever ends a job sooner is the stop itself
      await env.robot({
        name: "hard-robot", slots: 4, stopGraceSeconds: 60,
        processes: { KillIgnore: { command: ["sh", fixture("term-ignore.sh")], env: shEnv }, ModWait: { module: fixture("wait-for-stop.mjs") }, ModStubborn: { module: fixture("stubborn.mjs") } },
      });
    }, 30_000);
    afterAll(() => env.close(), 30_000);

    it("SoftStop: a command that traps SIGTERM runs its trap, exits, and the job ends Stopped", async () => {
      const job = await createJob(env.o, "TermTrap");
      const pid = await waitForPid(dir, job.key);
      expect(alive(pid)).toBe(true);
      await stopJob(env.o, job.key, "SoftStop");
      const done = await waitForJob(env.o, job.key);
      expect(done.state).toBe("Stopped");
      expect(readFileSync(join(dir, `${job.key}.trapped`), "utf8").trim()).toBe("trapped");
      // stdout lines (sh may also report its killed `sleep` on stderr)
      expect((await jobLogs(env.o, job.key)).filter((l) => l.level === "info").map((l) => l.message)).toEqual(["waiting for SIGTERM", "trapped SIGTERM, cleaning up"]);
      await until("the process group to be gone", 3000, () => !alive(-pid));
    });

    it("SoftStop: a command that ignores SIGTERM is SIGKILLed once stopGraceSeconds (1) have passed, and ends Stopped", async () => {
      const job = await createJob(env.o, "TermIgnore");
      const pid = await waitForPid(dir, job.key);
      const asked = Date.now();
      expect((await stopJob(env.o, job.key, "SoftStop")).state).toBe("Stopping");
      const done = await waitForJob(env.o, job.key);
      const tookMs = Date.now() - asked;
      expect(done.state).toBe("Stopped");
      expect(tookMs).toBeGreaterThanOrEqual(900);
      await until("the process group to be gone", 3000, () => !alive(-pid));
    });

    it("Kill: the command is SIGKILLed at once (it ignores SIGTERM; the grace is 60 s) and the job ends Stopped", async () => {
      const job = await createJob(env.o, "KillIgnore");
      const pid = await waitForPid(dir, job.key);
      expect((await stopJob(env.o, job.key, "Kill")).state).toBe("Terminating");
      const done = await waitForJob(env.o, job.key);
      // the grace is 60 s, past this test's timeout: ending at all proves the SIGKILL came at once
      expect(done.state).toBe("Stopped");
      await until("the process group to be gone", 3000, () => !alive(-pid));
      expect(alive(pid)).toBe(false);
    });

    it("SoftStop: a module that honours ctx.signal returns and the job ends Stopped", async () => {
      const job = await createJob(env.o, "ModWait");
      await until("the module to log that it waits", 10_000, async () => (await jobLogs(env.o, job.key)).length > 0);
      await stopJob(env.o, job.key, "SoftStop");
      const done = await waitForJob(env.o, job.key);
      expect(done.state).toBe("Stopped");
      expect((await jobLogs(env.o, job.key)).map((l) => l.message)).toEqual(["waiting for a stop request", "stop requested, cleaning up"]);
    });

    it("Kill: a module that ignores every signal still ends Stopped, and its slot is freed", async () => {
      const job = await createJob(env.o, "ModStubborn");
      await waitForJob(env.o, job.key, ["Running"]);
      await stopJob(env.o, job.key, "Kill");
      const done = await waitForJob(env.o, job.key);
      expect(done.state).toBe("Stopped");
      // the robot runs jobs after it: 4 more stubborn ones fill all 4 slots
      const more = await Promise.all(Array.from({ length: 4 }, () => createJob(env.o, "ModStubborn")));
      await Promise.all(more.map((j) => waitForJob(env.o, j.key, ["Running"])));
      await Promise.all(more.map((j) => stopJob(env.o, j.key, "Kill")));
      for (const j of more) expect((await waitForJob(env.o, j.key)).state).toBe("Stopped");
    });
  });

  describe("priorities", () => {
    let env: Awaited<ReturnType<typeof orchestrator>>;
    beforeAll(async () => {
      env = await orchestrator();
      await createProcess(env.o, "Ranked");
    }, 30_000);
    afterAll(() => env.close(), 30_000);

    it("with the only slot busy, queued jobs run High first, then Normal, then Low, oldest first within a priority", async () => {
      const record = join(tempDir(), "ranked.txt");
      await env.robot({ name: "ranked-robot", slots: 1, processes: { Ranked: { module: fixture("work.mjs") } }, env: { RECORD_FILE: record } });
      const blocker = await createJob(env.o, "Ranked", { ms: 60_000 });
      await waitForJob(env.o, blocker.key, ["Running"]);
      const queued: { label: string; key: string }[] = [];
      for (const [label, priority] of [["L1", "Low"], ["N1", "Normal"], ["H1", "High"], ["L2", "Low"], ["N2", "Normal"], ["H2", "High"], ["N3", "Normal"]] as const) {
        queued.push({ label, key: (await createJob(env.o, "Ranked", { label }, priority)).key });
      }
      for (const q of queued) expect((await getJob(env.o, q.key)).state).toBe("Pending");
      // the slot frees up when the blocker is stopped (work.mjs honours ctx.signal)
      await stopJob(env.o, blocker.key, "SoftStop");
      for (const q of queued) expect((await waitForJob(env.o, q.key)).state).toBe("Successful");
      const label = new Map(queued.map((q) => [q.key, q.label]));
      expect(records(record).map((r) => label.get(r.key) ?? "blocker")).toEqual(["blocker", "H1", "H2", "N1", "N2", "N3", "L1", "L2"]);
    });
  });

  describe("graceful SIGTERM of a robot", () => {
    let env: Awaited<ReturnType<typeof orchestrator>>;
    beforeAll(async () => {
      env = await orchestrator();
      await createProcess(env.o, "Graceful");
    }, 30_000);
    afterAll(() => env.close(), 30_000);

    it("the running job finishes within stopGraceSeconds, nothing more is claimed, and the robot exits 0", async () => {
      const robot = await env.robot({ name: "graceful-robot", slots: 1, stopGraceSeconds: 15, processes: { Graceful: { module: fixture("work.mjs") } } });
      const running = await createJob(env.o, "Graceful", { ms: 1500 });
      await waitForJob(env.o, running.key, ["Running"]);
      const waiting = await createJob(env.o, "Graceful", { ms: 0 });
      robot.proc.kill("SIGTERM");
      const exit = await robot.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(robot.stderr()).toMatch(/SIGTERM: finishing running jobs/);
      const done = await getJob(env.o, running.key);
      expect(done.state).toBe("Successful");
      expect(done.outputArguments).toMatchObject({ jobKey: running.key, attempt: 1 });
      const left = await getJob(env.o, waiting.key);
      expect(left.state).toBe("Pending");
      expect(left.attempt).toBe(0);
      // the session is closed, not left to expire
      expect((await call<{ items: { robotName: string }[] }>(env.o, "GET", "/api/v1/robots/sessions")).items.filter((s) => s.robotName === "graceful-robot")).toEqual([]);
    });

    it("a job that outlasts stopGraceSeconds goes back to Pending, its attempt counted (it ran), and its command is killed", async () => {
      const dir = tempDir("baton-markers-");
      markerDirs.push(dir);
      const robot = await env.robot({
        name: "impatient-robot", slots: 1, stopGraceSeconds: 1, processes: { Endless: { command: ["sh", fixture("term-ignore.sh")], env: { MARKER_DIR: dir } } },
      });
      await createProcess(env.o, "Endless");
      const job = await createJob(env.o, "Endless");
      const pid = await waitForPid(dir, job.key);
      const signalled = Date.now();
      robot.proc.kill("SIGTERM");
      expect(await robot.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(900);
      const left = await getJob(env.o, job.key);
      expect(left.state).toBe("Pending");
      // it ran: its next run is attempt 2
      expect(left.attempt).toBe(1);
      expect(left.robot).toBeNull();
      expect(left.info).toBe("Handed back by robot impatient-robot during attempt 1.");
      await until("the command's process group to be gone", 3000, () => !alive(-pid));
    });
  });
});

/**
 * Real time, on purpose: a robot process killed or frozen while its lease runs. These run
 * after the concurrent blocks, alone, so that a busy machine cannot starve the heartbeats of
 * the robot that stays alive. (test/robotProtocol.test.ts and test/clock.test.ts time leases
 * on a clock the tests move; this is the end-to-end check with real processes.)
 */
describe("a robot killed with -9 mid-job (heartbeat 1 s, lease 6 s), alone", { timeout: 40_000 }, () => {
  let env: Awaited<ReturnType<typeof orchestrator>>;
  beforeAll(async () => {
    env = await orchestrator({ heartbeatSeconds: 1, leaseSeconds: 6 });
    await createProcess(env.o, "Relay", { retry: { maxAttempts: 2, backoffSeconds: 0 } });
    await createProcess(env.o, "Fragile", { retry: { maxAttempts: 1, backoffSeconds: 0 } });
  }, 30_000);
  afterAll(() => env.close(), 30_000);

  it("a second robot finishes the job with attempt 2; a job without retries ends Faulted RobotLost within the lease", { timeout: 40_000 }, async () => {
    const o = env.o;
    const dir = tempDir();
    const robotA = await env.robot({
      name: "robot-a", slots: 2, processes: { Relay: { module: fixture("work.mjs") }, Fragile: { module: fixture("work.mjs") } },
      env: { RECORD_FILE: join(dir, "a.txt"), ROBOT_LABEL: "A" },
    });
    // attempt 1 would run a minute; a retry runs 300 ms
    const relay = await createJob(o, "Relay", { ms: [60_000, 300] });
    const fragile = await createJob(o, "Fragile", { ms: 60_000 });
    for (const j of [relay, fragile]) expect((await waitForJob(o, j.key, ["Running"])).robot).toBe("robot-a");
    await until("robot A to start both jobs", 10_000, () => records(join(dir, "a.txt")).length === 2);
    // robot B serves Relay too; it starts only now, so that robot A got the job
    await env.robot({ name: "robot-b", slots: 2, processes: { Relay: { module: fixture("work.mjs") } }, env: { RECORD_FILE: join(dir, "b.txt"), ROBOT_LABEL: "B" } });

    const killedAt = Date.now();
    await robotA.stop("SIGKILL");
    const [relayDone, fragileDone] = await Promise.all([
      waitForJob(o, relay.key, FINAL, 20_000).then((j) => ({ j, ms: Date.now() - killedAt })),
      waitForJob(o, fragile.key, FINAL, 20_000).then((j) => ({ j, ms: Date.now() - killedAt })),
    ]);

    expect(fragileDone.j.state).toBe("Faulted");
    expect(fragileDone.j.error?.code).toBe("RobotLost");
    expect(fragileDone.j.attempt).toBe(1);

    expect(relayDone.j.state, JSON.stringify(relayDone.j)).toBe("Successful");
    expect(relayDone.j.attempt).toBe(2);
    expect(relayDone.j.robot).toBe("robot-b");
    expect(relayDone.j.outputArguments).toEqual({ jobKey: relay.key, attempt: 2, robot: "B" });
    expect(records(join(dir, "a.txt"))).toEqual(expect.arrayContaining([{ key: relay.key, attempt: 1 }, { key: fragile.key, attempt: 1 }]));
    expect(records(join(dir, "b.txt"))).toEqual([{ key: relay.key, attempt: 2 }]);
    console.log(`kill -9 of a robot: Fragile Faulted RobotLost ${fragileDone.ms} ms after the kill, Relay Successful on robot B ${relayDone.ms} ms after`);
  });

  it("a frozen robot (SIGSTOP: a network cut, its connections stay open) loses its session, and its pending claim gets no job", { timeout: 40_000 }, async () => {
    const o = env.o;
    await createProcess(o, "Frozen");
    const frozen = await env.robot({ name: "frozen-robot", slots: 1, processes: { Frozen: { module: fixture("work.mjs") } } });
    // one job through it: right after reporting it, the robot waits in its next claim
    expect((await waitForJob(o, (await createJob(o, "Frozen")).key)).robot).toBe("frozen-robot");
    frozen.proc.kill("SIGSTOP");
    await until("the frozen robot's session to expire", 20_000, async () =>
      !(await call<{ items: { robotName: string }[] }>(o, "GET", "/api/v1/robots/sessions")).items.some((s) => s.robotName === "frozen-robot"));
    // the claim it sent before freezing is still open on the orchestrator (up to 30 s)
    const job = await createJob(o, "Frozen");
    await env.robot({ name: "thawed-robot", slots: 1, processes: { Frozen: { module: fixture("work.mjs") } } });
    const done = await waitForJob(o, job.key, FINAL, 15_000).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await getJob(o, job.key))}`);
    });
    expect(done.state).toBe("Successful");
    expect(done.robot).toBe("thawed-robot");
    expect(done.attempt).toBe(1);
    await frozen.stop("SIGKILL");
  });
});
