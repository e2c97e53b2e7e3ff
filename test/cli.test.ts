/**
 * The `baton` command line end to end, as a child process (`node bin/baton.js`, the
 * compiled dist/: npm test builds first) against a real Baton: the stored login and the
 * environment over it, invoke in every call mode with its exit statuses, --json, jobs and
 * their logs (--follow), the resource commands, errors with their code, the spinner only on
 * a terminal, shell completion, and every example of docs/cli.md.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";
import { batonBin, repoRoot, tempDir } from "./helpers/child.js";
import { cleanupChildren } from "./helpers/child.js";

const exec = promisify(execFile);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Options {
  /** BATON_* and others; undefined removes a variable (BATON_URL / BATON_TOKEN default to the test server's). */
  env?: Record<string, string | undefined>;
  input?: string;
}

let b: TestBaton;
let home: string;
const running = new Set<ChildProcess>();

/** The child's environment: no BATON_* of the runner, HOME and XDG_CONFIG_HOME in a temp folder, the server's URL and token. */
function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("BATON_")) out[k] = v;
  Object.assign(out, { HOME: home, XDG_CONFIG_HOME: join(home, "config"), BATON_URL: b.tenantUrl, BATON_TOKEN: b.token, TZ: "UTC" });
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Starts `baton <args>`: stdin, stdout and stderr are pipes (not a terminal). */
function start(args: string[], options: Options = {}): { proc: ChildProcess; stdout: () => string; stderr: () => string; done: Promise<Run> } {
  const proc = spawn(process.execPath, [batonBin, ...args], { cwd: home, env: childEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
  running.add(proc);
  let stdout = "";
  let stderr = "";
  proc.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  proc.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  proc.stdin!.end(options.input ?? "");
  const done = new Promise<Run>((resolve) => proc.once("close", (code) => { running.delete(proc); resolve({ code, stdout, stderr }); }));
  return { proc, stdout: () => stdout, stderr: () => stderr, done };
}

const baton = (args: string[], options: Options = {}): Promise<Run> => start(args, options).done;

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface JobView { key: string; state: string; processName: string; inputArguments: Record<string, unknown> }

/** The job whose input has this marker, once it is in `state`. */
const jobWithMarker = (marker: string, state: string) => until(`a ${state} job marked ${marker}`, async () => {
  const { items } = await b.apiJson<{ items: JobView[] }>("/api/v1/jobs?limit=50");
  return items.find((j) => j.inputArguments.marker === marker && j.state === state);
});

const hasScript = (() => {
  try {
    return statSync("/usr/bin/script").isFile();
  } catch {
    return false;
  }
})();

/** Runs `baton <args>` on a terminal (util-linux `script`): stdout and stderr both go to the pty. */
async function onTerminal(args: string, env: Record<string, string | undefined> = {}, input?: string): Promise<{ code: number; output: string }> {
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(batonBin)} ${args}`;
  return new Promise((resolve, reject) => {
    const proc = spawn("script", ["-qec", command, "/dev/null"], { cwd: home, env: childEnv(env), stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    proc.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
    proc.on("error", reject);
    proc.once("close", (code) => resolve({ code: code ?? -1, output }));
    if (input === undefined) return;
    // typed once the prompt is up, like a person would
    const timer = setInterval(() => {
      if (!/URL/.test(output)) return;
      clearInterval(timer);
      proc.stdin.write(input);
    }, 50);
  });
}

beforeAll(async () => {
  b = await startTestBaton();
  home = tempDir("baton-cli-");
});

afterAll(async () => {
  for (const proc of running) proc.kill("SIGKILL");
  await cleanupChildren();
  await b?.close();
});

describe("baton jobs ls: a filter combination's short pages", () => {
  it("follows the cursor of a short (even empty) page until --limit is reached or the list ends", async () => {
    // a server whose filtered pages look at 2 jobs each
    const small = await startTestBaton({}, { demo: false, demoCatalog: true, jobListScanRows: 2 });
    try {
      const keys: string[] = [];
      for (let i = 0; i < 7; i++) keys.push((await small.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: small.sharedKey, processName: "Echo", inputArguments: { i } } })).key);
      for (const i of [1, 5]) expect((await small.api(`/api/v1/jobs/${keys[i]}/stop`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ strategy: "SoftStop" }) })).status).toBe(202);
      // the API's first page looked at jobs 6 and 5 only: job 5 and a cursor
      const first = await small.api("/api/v1/jobs?processName=Echo&state=Stopped&limit=5");
      expect(first.status).toBe(200);
      expect(first.headers.get("content-type")).toBe("application/json; charset=utf-8");
      const page = await first.json();
      expect(page.items.map((j: JobView) => j.inputArguments.i)).toEqual([5]);
      expect(Object.keys(page).sort()).toEqual(["items", "nextCursor"]);
      expect(typeof page.nextCursor).toBe("string");
      // the next looked at 4 and 3: empty, and still a cursor
      const second = await small.apiJson(`/api/v1/jobs?processName=Echo&state=Stopped&limit=5&cursor=${page.nextCursor}`);
      expect(second.items).toEqual([]);
      expect(typeof second.nextCursor).toBe("string");
      const env = { BATON_URL: small.tenantUrl, BATON_TOKEN: small.token };
      const listed = await baton(["jobs", "ls", "--process", "Echo", "--state", "Stopped", "--json"], { env });
      expect(listed.stderr).toBe("");
      expect(listed.code).toBe(0);
      expect((JSON.parse(listed.stdout) as JobView[]).map((j) => j.inputArguments.i)).toEqual([5, 1]);
      const one = await baton(["jobs", "ls", "--process", "Echo", "--state", "Stopped", "--limit", "1", "--json"], { env });
      expect((JSON.parse(one.stdout) as JobView[]).map((j) => j.inputArguments.i)).toEqual([5]);
    } finally {
      await small.close();
    }
  });
});

describe("baton login", () => {
  const configFile = () => join(home, "config", "baton", "config.json");
  const noEnv = { BATON_URL: undefined, BATON_TOKEN: undefined };

  it("checks the token, stores URL and token in a 0600 file in a 0700 folder; later commands use it; the environment overrides it; logout removes it", async () => {
    // a wrong token is refused and nothing is stored
    const refused = await baton(["login", "--url", b.tenantUrl, "--token", "baton_pat_wrong"], { env: noEnv });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^error: unauthorized: /);
    expect(existsSync(configFile())).toBe(false);

    const login = await baton(["login", "--url", `${b.tenantUrl}/orchestrator_/`, "--token", b.token], { env: noEnv });
    expect(login.stderr).toBe("");
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${b.tenantUrl}`);
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "config", "baton")).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(configFile(), "utf8"))).toEqual({ url: b.tenantUrl, token: b.token });

    const listed = await baton(["folders", "ls", "--json"], { env: noEnv });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((f: { name: string }) => f.name)).toContain("Shared");

    // BATON_TOKEN overrides the stored token, BATON_URL the stored URL
    const badToken = await baton(["folders", "ls"], { env: { BATON_URL: undefined, BATON_TOKEN: "baton_pat_wrong" } });
    expect(badToken.code).toBe(4);
    expect(badToken.stderr).toMatch(/^error: unauthorized: .*\nCheck the token/);
    const elsewhere = await baton(["folders", "ls"], { env: { BATON_URL: "http://127.0.0.1:9/default/DefaultTenant", BATON_TOKEN: undefined } });
    expect(elsewhere.code).toBe(4);
    expect(elsewhere.stderr).toMatch(/^error: network-error: Could not reach http:\/\/127\.0\.0\.1:9\//);

    // BATON_URL alone: the stored token goes with it only to the URL it was stored for
    expect((await baton(["folders", "ls"], { env: { BATON_URL: `${b.tenantUrl}/`, BATON_TOKEN: undefined } })).code).toBe(0);
    const otherName = await baton(["folders", "ls"], { env: { BATON_URL: b.tenantUrl.replace("127.0.0.1", "localhost"), BATON_TOKEN: undefined } });
    expect(otherName.code).toBe(4);
    expect(otherName.stderr).toMatch(/^error: unauthorized: /);

    // --token-stdin, and --json
    const again = await baton(["login", "--url", b.tenantUrl, "--token-stdin", "--json"], { env: noEnv, input: `${b.token}\n` });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ url: b.tenantUrl, configFile: configFile() });

    const logout = await baton(["logout"], { env: noEnv });
    expect(logout.code).toBe(0);
    expect(existsSync(configFile())).toBe(false);
    const none = await baton(["jobs", "ls"], { env: noEnv });
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/^error: not-logged-in: .*baton login.*BATON_URL/);
  });

  it("without a terminal and without --url or a token, is a usage error (3)", async () => {
    const run = await baton(["login"], { env: noEnv });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: missing-url: /);
    const noToken = await baton(["login", "--url", b.tenantUrl], { env: noEnv });
    expect(noToken.code).toBe(3);
    expect(noToken.stderr).toMatch(/^error: missing-token: /);
  });

  it.skipIf(!hasScript)("on a terminal, asks for the URL and the token, the token without echo", async () => {
    const run = await onTerminal("login", noEnv, `${b.tenantUrl}\r${b.token}\r`);
    expect(run.code).toBe(0);
    expect(run.output).toContain("Token (not shown): ");
    expect(run.output).not.toContain(b.token);
    expect(JSON.parse(readFileSync(configFile(), "utf8"))).toEqual({ url: b.tenantUrl, token: b.token });
    await baton(["logout"]);
  });
});

describe("baton invoke", () => {
  it("sync, async, fire: stdout is exactly the output JSON, nothing on stderr (no spinner without a terminal), exit 0", async () => {
    const sync = await baton(["invoke", "echo", "-a", "greeting=hello", "-a", "n=42", "-a", "ok=true", "-a", 'tags=["a","b"]', "-a", "t=x", "-a", "t=2", "-a", "zip=01234", "--json-args", '{"nested":{"a":1},"n":1}', "--mode", "sync"]);
    expect(sync).toEqual({ code: 0, stdout: `${JSON.stringify({ nested: { a: 1 }, n: 42, greeting: "hello", ok: true, tags: ["a", "b"], t: ["x", 2], zip: "01234" })}\n`, stderr: "" });

    const async = await baton(["invoke", "sleep", "-a", "seconds=0.2", "--mode", "async"]);
    expect(async).toEqual({ code: 0, stdout: '{"sleptSeconds":0.2}\n', stderr: "" });

    const fire = await baton(["invoke", "echo", "-a", "marker=fired", "--mode", "fire"]);
    expect(fire).toEqual({ code: 0, stdout: "", stderr: "" });
    await jobWithMarker("fired", "Successful");

    // by invoke URL, and with the trigger's default call mode (AsyncRequestReply)
    const byUrl = await baton(["invoke", b.invokeUrl("echo"), "-a", "k=v"]);
    expect(byUrl).toEqual({ code: 0, stdout: '{"k":"v"}\n', stderr: "" });

    const json = await baton(["invoke", "echo", "-a", "k=v", "--mode", "sync", "--json"]);
    expect(json).toEqual({ code: 0, stdout: '{"k":"v"}\n', stderr: "" });
  });

  it("a faulted job exits 1 with its error and code on stderr; --json writes the error as JSON", async () => {
    const faulted = await baton(["invoke", "fail", "-a", "message=out of paper", "--mode", "sync"]);
    expect(faulted.code).toBe(1);
    expect(faulted.stdout).toBe("");
    expect(faulted.stderr).toMatch(/^error: job-faulted: DemoFailure: out of paper \(job [0-9a-f-]{36}\)\n$/);

    const json = await baton(["invoke", "fail", "-a", "message=jammed", "--mode", "async", "--json"]);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe("");
    const { error } = JSON.parse(json.stderr);
    expect(error).toMatchObject({ code: "job-faulted", state: "Faulted", jobError: { code: "DemoFailure", message: "jammed" } });
    expect(error.jobKey).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a job stopped while the caller waits (sync) exits 2", async () => {
    const call = start(["invoke", "sleep", "-a", "seconds=30", "-a", "marker=stop-me", "--mode", "sync"]);
    const job = await jobWithMarker("stop-me", "Running");
    await b.apiJson(`/api/v1/jobs/${job.key}/stop`, { method: "POST", json: { strategy: "SoftStop" } });
    const run = await call.done;
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`error: job-stopped: The job ${job.key} was stopped before it finished.\n`);
  });

  it("Ctrl-C gives up waiting: exit 130, with how to follow the job, which goes on", async () => {
    const call = start(["invoke", "sleep", "-a", "seconds=30", "-a", "marker=interrupt", "--mode", "async"]);
    const job = await jobWithMarker("interrupt", "Running");
    call.proc.kill("SIGINT");
    const run = await call.done;
    expect(run.code).toBe(130);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`error: aborted: The call was aborted. The job ${job.key} goes on.\nFollow it with: baton jobs wait ${job.key}`);
    expect((await b.apiJson<JobView>(`/api/v1/jobs/${job.key}`)).state).toBe("Running");
    await b.apiJson(`/api/v1/jobs/${job.key}/stop`, { method: "POST", json: { strategy: "Kill" } });
  });

  it("usage errors exit 3: unknown command or option, bad -a, bad --mode, bad --json-args, missing argument, arguments the API refuses", async () => {
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /^error: unknown command 'frobnicate'/],
      [["invoke", "echo", "--frob"], /^error: unknown option '--frob'/],
      [["invoke"], /^error: missing required argument 'trigger'/],
      [["invoke", "echo", "-a", "novalue"], /^error: invalid-argument: -a takes key=value; got 'novalue'\.\n$/],
      [["invoke", "echo", "--mode", "later"], /^error: option '-m, --mode <mode>' argument 'later' is invalid\. Allowed choices are async, fire, sync\./],
      [["invoke", "echo", "--json-args", "{nope"], /^error: invalid-argument: --json-args is not JSON: /],
      [["invoke", "echo", "--json-args", "[1]"], /^error: invalid-argument: --json-args must be a JSON object\.\n$/],
      [["invoke", "sleep", "-a", "seconds=soon", "--mode", "sync"], /^error: invalid-arguments: .*\n {2}\/seconds: must be number\n$/],
      [["jobs", "ls", "--state", "Sleeping"], /^error: option .*--state.* argument 'Sleeping' is invalid\. Unknown job state 'Sleeping'/],
      [["jobs", "ls", "--limit", "0"], /^error: option .*--limit.* argument '0' is invalid/],
      [["jobs"], /Usage: baton jobs/],
    ];
    const runs = await Promise.all(cases.map(([args]) => baton(args)));
    cases.forEach(([args, stderr], i) => {
      expect({ args, code: runs[i]!.code, stdout: runs[i]!.stdout }).toEqual({ args, code: 3, stdout: "" });
      expect(runs[i]!.stderr).toMatch(stderr);
    });
    // help and version are not errors
    expect((await baton(["--version"])).code).toBe(0);
    expect((await baton(["invoke", "--help"])).code).toBe(0);
  });

  it("other failures exit 4 with the problem's code and detail", async () => {
    const missing = await baton(["invoke", "nope", "--mode", "sync"]);
    expect(missing).toEqual({ code: 4, stdout: "", stderr: "error: trigger-not-found: No API trigger with slug 'nope' exists in this tenant.\n" });
    const json = await baton(["invoke", "nope", "--json"]);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: "trigger-not-found", message: "No API trigger with slug 'nope' exists in this tenant.", status: 404 } });
    const unknownJob = await baton(["jobs", "show", "00000000-0000-4000-8000-000000000000"]);
    expect(unknownJob.code).toBe(4);
    expect(unknownJob.stderr).toMatch(/^error: job-not-found: /);
  });

  it.skipIf(!hasScript)("on a terminal, shows a spinner with the job's state and elapsed time on stderr", async () => {
    const run = await onTerminal("invoke sleep -a seconds=1.5 --mode async");
    expect(run.code).toBe(0);
    // each frame: carriage return, erase the line (ESC [2K), spinner, state, elapsed time, job
    const frame = (state: string) => new RegExp(`\r\u001b\\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] ${state} {2}\\d+\\.\\ds {2}job [0-9a-f-]{36}`);
    expect(run.output).toMatch(frame("Pending"));
    expect(run.output).toMatch(frame("Running"));
    expect(run.output).toMatch(/Successful after \d+\.\ds {2}job [0-9a-f-]{36}\r?\n\{"sleptSeconds":1\.5\}/);
    // the spinner is on stderr: with stderr elsewhere, the terminal gets the output alone
    const quiet = await onTerminal("invoke sleep -a seconds=0.2 --mode async 2>/dev/null");
    expect(quiet).toEqual({ code: 0, output: '{"sleptSeconds":0.2}\r\n' });
  });
});

describe("baton jobs", () => {
  it("ls --json parses; filters by state, process, trigger and folder; -q prints keys; show --json is the job", async () => {
    const all = await baton(["jobs", "ls", "--json", "--limit", "100"]);
    expect(all.code).toBe(0);
    const jobs = JSON.parse(all.stdout) as JobView[];
    expect(jobs.length).toBeGreaterThan(3);

    const faulted = JSON.parse((await baton(["jobs", "ls", "--state", "faulted", "--trigger", "fail", "--folder", "Shared", "--json"])).stdout) as JobView[];
    expect(faulted.length).toBe(2);
    expect(faulted.every((j) => j.state === "Faulted" && j.processName === "Fail")).toBe(true);

    const keys = await baton(["jobs", "ls", "--process", "Echo", "-q", "--all"]);
    expect(keys.stdout.trim().split("\n").sort()).toEqual(jobs.filter((j) => j.processName === "Echo").map((j) => j.key).sort());

    const one = await baton(["jobs", "ls", "--limit", "1"]);
    expect(one.stdout.split("\n")[0]).toMatch(/^KEY {35}STATE +PROCESS +FOLDER +CREATED +DURATION +INFO$/);
    expect(one.stderr).toBe("(the 1 newest; --limit N or --all for more)\n");

    const show = await baton(["jobs", "show", faulted[0]!.key, "--json"]);
    expect(JSON.parse(show.stdout)).toMatchObject({ key: faulted[0]!.key, state: "Faulted", error: { code: "DemoFailure" } });
  });

  it("logs --follow prints the lines of a running job as they come and exits when it ends", async () => {
    const job = await b.apiJson<JobView>("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Sleep", inputArguments: { seconds: 2.5, marker: "follow" } } });
    await jobWithMarker("follow", "Running");
    await b.baton.store.appendLogs(job.key, [{ at: new Date().toISOString(), level: "info", message: "first line" }]);
    const follow = start(["jobs", "logs", job.key, "--follow", "--interval", "0.1"]);
    await until("the first line", async () => follow.stdout().includes("first line"));
    await b.baton.store.appendLogs(job.key, [{ at: new Date().toISOString(), level: "error", message: "second line" }]);
    await until("the second line", async () => follow.stdout().includes("second line"));
    // both came while the job ran
    expect((await b.apiJson<JobView>(`/api/v1/jobs/${job.key}`)).state).toBe("Running");
    const run = await follow.done;
    expect(run.code).toBe(0);
    expect((await b.apiJson<JobView>(`/api/v1/jobs/${job.key}`)).state).toBe("Successful");
    expect(run.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}info {3}first line\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}error {2}second line\n$/);
    expect(run.stderr).toBe("");

    const json = await baton(["jobs", "logs", job.key, "--json"]);
    expect(json.stdout.trim().split("\n").map((l) => JSON.parse(l))).toMatchObject([{ seq: 1, level: "info", message: "first line" }, { seq: 2, level: "error", message: "second line" }]);
  });

  it("stop and kill answer the job's new state; a final job is job-final (exit 4)", async () => {
    const job = await b.apiJson<JobView>("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Sleep", inputArguments: { seconds: 30, marker: "kill-me" } } });
    await jobWithMarker("kill-me", "Running");
    const kill = await baton(["jobs", "kill", job.key, "--json"]);
    expect(kill.code).toBe(0);
    expect(JSON.parse(kill.stdout)).toMatchObject({ key: job.key, state: "Terminating" });
    const wait = await baton(["jobs", "wait", job.key]);
    expect(wait.code).toBe(2);
    const again = await baton(["jobs", "stop", job.key]);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/^error: job-final: /);
  });
});

describe("resources", () => {
  it("triggers create, then invoke it; ls is an aligned table; a taken slug shows its code; rm", async () => {
    const created = await baton(["triggers", "create", "greet-cli", "--process", "Echo", "-a", "greeting=hi", "--mode", "sync", "--json"]);
    expect(created.code).toBe(0);
    const trigger = JSON.parse(created.stdout);
    expect(trigger).toMatchObject({ slug: "greet-cli", name: "greet-cli", processName: "Echo", callMode: "LongPolling", defaultArguments: { greeting: "hi" }, folderKey: b.sharedKey });

    const invoked = await baton(["invoke", "greet-cli", "-a", "name=Ada"]);
    expect(invoked).toEqual({ code: 0, stdout: '{"greeting":"hi","name":"Ada"}\n', stderr: "" });
    const jobs = JSON.parse((await baton(["jobs", "ls", "--trigger", "greet-cli", "--json"])).stdout) as JobView[];
    expect(jobs.map((j) => j.inputArguments)).toEqual([{ greeting: "hi", name: "Ada" }]);

    const taken = await baton(["triggers", "create", "greet-cli", "--process", "Echo"]);
    expect(taken.code).toBe(4);
    expect(taken.stderr).toMatch(/^error: slug-taken: /);

    const table = (await baton(["triggers", "ls"])).stdout.trimEnd().split("\n");
    expect(table[0]).toMatch(/^SLUG +NAME +PROCESS +VERB +CALL MODE +FOLDER +ENABLED +INVOKE URL$/);
    const urlColumn = table[0]!.indexOf("INVOKE URL");
    for (const line of table.slice(1)) expect(line.indexOf("http://")).toBe(urlColumn);
    expect(table.some((l) => l.startsWith("greet-cli  greet-cli  Echo     POST  LongPolling "))).toBe(true);

    expect((await baton(["triggers", "rm", "greet-cli"])).stdout).toBe("Removed trigger greet-cli.\n");
    const gone = await baton(["invoke", "greet-cli"]);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toMatch(/^error: trigger-not-found: /);
  });

  it("time-triggers create, ls, preview, disable, enable, rm", async () => {
    const created = await baton(["time-triggers", "create", "Nightly CLI", "--process", "Echo", "--cron", "30 2 * * *", "--tz", "Europe/Berlin", "-a", "n=1", "--missed", "RunOnce", "--json"]);
    expect(created.code).toBe(0);
    const t = JSON.parse(created.stdout);
    expect(t).toMatchObject({ name: "Nightly CLI", processName: "Echo", cron: "30 2 * * *", timeZone: "Europe/Berlin", arguments: { n: 1 }, missedRunPolicy: "RunOnce", enabled: true, folderKey: b.sharedKey });
    expect(typeof t.nextRunAt).toBe("string");

    const table = (await baton(["time-triggers", "ls"])).stdout.trimEnd().split("\n");
    expect(table[0]).toMatch(/^NAME +PROCESS +CRON +TIME ZONE +ENABLED +NEXT RUN +ID$/);
    expect(table.some((l) => l.startsWith("Nightly CLI  Echo     30 2 * * *  Europe/Berlin  yes "))).toBe(true);

    const preview = await baton(["time-triggers", "preview", "Nightly CLI", "-n", "2"]);
    expect(preview.code).toBe(0);
    const lines = preview.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("At 02:30, every day (Europe/Berlin)");
    expect(lines[1]).toMatch(/^UTC +LOCAL TIME$/);
    expect(lines.slice(2).map((l) => l.split(/ +/)[1])).toEqual([expect.stringMatching(/T02:30:00\+0[12]:00$/), expect.stringMatching(/T02:30:00\+0[12]:00$/)]);
    const bad = await baton(["time-triggers", "preview", "--cron", "61 * * * *"]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^error: invalid-time-trigger: /);

    expect((await baton(["time-triggers", "disable", "Nightly CLI"])).stdout).toBe("Disabled time trigger Nightly CLI.\n");
    expect(JSON.parse((await baton(["time-triggers", "ls", "--json"])).stdout).find((x: any) => x.id === t.id)).toMatchObject({ enabled: false, nextRunAt: null });
    expect((await baton(["time-triggers", "enable", t.id])).stdout).toMatch(/^Enabled time trigger Nightly CLI; next run \d{4}-/);
    expect((await baton(["time-triggers", "rm", "Nightly CLI"])).stdout).toBe("Removed time trigger Nightly CLI.\n");
    const gone = await baton(["time-triggers", "rm", "Nightly CLI"]);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toMatch(/^error: time-trigger-not-found: /);
  });

  it("folders, processes (folder by name or key), robots (the key once) and tokens (the token once, then revoked)", async () => {
    const folder = JSON.parse((await baton(["folders", "create", "Ops", "--json"])).stdout);
    expect((await baton(["processes", "create", "Report", "--folder", folder.key, "--max-attempts", "2", "--input-schema", '{"type":"object"}'])).stdout).toBe("Created process Report in Ops.\n");
    const processes = JSON.parse((await baton(["processes", "ls", "--folder", "Ops", "--json"])).stdout);
    expect(processes).toMatchObject([{ name: "Report", retry: { maxAttempts: 2 }, inputSchema: { type: "object" }, maxConcurrentJobs: null }]);
    // concurrency limits: set, shown, cleared; a bad one is a usage error
    expect((await baton(["processes", "update", "Report", "--folder", "Ops", "--max-concurrent", "5", "--concurrency-key", "/customerId", "--max-per-key", "1"])).stdout)
      .toBe("Updated process Report in Ops: 5, 1 per /customerId.\n");
    expect((await baton(["processes", "ls", "--folder", "Ops"])).stdout).toMatch(/^Report +Normal +- +2 +5, 1 per \/customerId +-$/m);
    expect((await baton(["processes", "update", "Report", "--folder", "Ops", "--max-concurrent", "none", "--max-per-key", "none"])).stdout)
      .toBe("Updated process Report in Ops: no concurrency limit.\n");
    expect((await baton(["processes", "update", "Report", "--folder", "Ops", "--max-concurrent", "0"])).code).toBe(3);
    const notEmpty = await baton(["folders", "rm", "Ops"]);
    expect(notEmpty.code).toBe(4);
    expect(notEmpty.stderr).toMatch(/^error: folder-not-empty: /);
    expect((await baton(["processes", "rm", "Report", "--folder", "Ops"])).code).toBe(0);
    expect((await baton(["folders", "rm", "Ops"])).stdout).toBe("Removed folder Ops.\n");
    const noFolder = await baton(["processes", "ls", "--folder", "Ops"]);
    expect(noFolder.code).toBe(4);
    expect(noFolder.stderr).toMatch(/^error: folder-not-found: No folder is named or keyed 'Ops'/);

    const robot = await baton(["robots", "create", "cli-robot"]);
    expect(robot.stdout).toMatch(/^Created robot cli-robot \(id [0-9a-f-]{36}\)\.\nIts robot key, shown only this once .*\nbaton_rk_\S+\n$/);
    const key = robot.stdout.trim().split("\n").pop()!;
    expect((await baton(["robots", "ls", "--json"])).stdout).not.toContain(key);
    expect((await baton(["robots", "rm", "cli-robot"])).stdout).toMatch(/^Revoked robot cli-robot/);
    const robots = JSON.parse((await baton(["robots", "ls", "--json"])).stdout);
    expect(robots.find((r: { name: string }) => r.name === "cli-robot").revokedAt).not.toBeNull();

    const created = JSON.parse((await baton(["tokens", "create", "cli-token", "--scope", "OR.Jobs", "--scope", "OR.Execution.Read", "--expires", "1d", "--json"])).stdout);
    expect(created).toMatchObject({ name: "cli-token", scopes: ["OR.Jobs", "OR.Execution.Read"] });
    expect(Date.parse(created.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);
    const asToken = await baton(["invoke", "echo", "-a", "via=token", "--mode", "sync"], { env: { BATON_TOKEN: created.token } });
    expect(asToken.stdout).toBe('{"via":"token"}\n');
    const forbidden = await baton(["folders", "create", "Nope"], { env: { BATON_TOKEN: created.token } });
    expect(forbidden.code).toBe(4);
    expect(forbidden.stderr).toMatch(/^error: insufficient-scope: /);
    expect((await baton(["tokens", "rm", created.id])).code).toBe(0);
    const revoked = await baton(["invoke", "echo", "--mode", "sync"], { env: { BATON_TOKEN: created.token } });
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).toMatch(/^error: unauthorized: /);
    const badScope = await baton(["tokens", "create", "x", "--scope", "OR.Everything"]);
    expect(badScope.code).toBe(3);
  });
});

describe("users and robot keys", () => {
  const login = async (userName: string, password: string) => (await fetch(`${b.base}/api/v1/session`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName, password }),
  })).status;
  const openSession = async (key: string) => (await fetch(`${b.base}/api/robot/v1/sessions`, {
    method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ processes: ["Echo"], slots: 1 }),
  })).status;
  const PASSWORDS = ["cli-password-one", "cli-password-two", "cli-password-three"];
  /** Every run's output, none of which may show a password. */
  const printed: string[] = [];
  const run = async (args: string[], options: Options = {}) => {
    const result = await baton(args, options);
    printed.push(result.stdout, result.stderr);
    return result;
  };

  afterAll(() => {
    for (const text of printed) for (const password of PASSWORDS) expect(text).not.toContain(password);
  });

  it("users create (--password-stdin, --password, --role tenant-wide and @folder), ls, update (--password-stdin, --role, --disable, --enable), rm, roles", async () => {
    const created = await run(["users", "create", "--name", "cli-user", "--password-stdin", "--role", "Viewer", "--role", "automation developer@Shared", "--json"], { input: `${PASSWORDS[0]}\n` });
    expect(created.code).toBe(0);
    expect(created.stderr).toBe("");
    const user = JSON.parse(created.stdout);
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: "cli-user", orgAdmin: false, organizationUser: false,
      roles: [{ role: "Viewer", folderKey: null }, { role: "Automation Developer", folderKey: b.sharedKey }], disabled: false, disabledAt: null, createdAt: expect.any(String),
    });
    expect(await login("cli-user", PASSWORDS[0]!)).toBe(200);

    const second = await run(["users", "create", "--name", "cli-user-2", "--password", PASSWORDS[1]!, "--role", `Automation Developer@${b.sharedKey}`]);
    expect(second).toEqual({ code: 0, stdout: expect.stringMatching(/^Created user cli-user-2 \(id [0-9a-f-]{36}\), roles: Automation Developer@Shared\.\n$/), stderr: "" });
    expect(await login("cli-user-2", PASSWORDS[1]!)).toBe(200);

    const table = (await run(["users", "ls"])).stdout.trimEnd().split("\n");
    expect(table[0]).toMatch(/^NAME +ID +ROLES +STATUS +CREATED$/);
    expect(table.find((l) => l.startsWith("cli-user "))).toMatch(new RegExp(`^cli-user +${user.id}  Viewer, Automation Developer@Shared  active  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`));
    expect(table.find((l) => l.startsWith("admin "))).toMatch(/^admin +[0-9a-f-]{36} {2}organization administrator +active {2}/);
    const listed = JSON.parse((await run(["users", "ls", "--json"])).stdout) as { name: string }[];
    expect(listed.map((u) => u.name)).toEqual(expect.arrayContaining(["admin", "cli-user", "cli-user-2"]));

    const updated = await run(["users", "update", "cli-user", "--password-stdin", "--role", "Viewer", "--disable"], { input: PASSWORDS[2] });
    expect(updated).toEqual({ code: 0, stdout: `Updated user cli-user (id ${user.id}): password changed, roles: Viewer, disabled.\n`, stderr: "" });
    expect(await login("cli-user", PASSWORDS[0]!)).toBe(401);
    expect(await login("cli-user", PASSWORDS[2]!)).toBe(401);
    const enabled = JSON.parse((await run(["users", "update", user.id, "--enable", "--json"])).stdout);
    expect(enabled).toEqual({ ...user, roles: [{ role: "Viewer", folderKey: null }] });
    expect(await login("cli-user", PASSWORDS[2]!)).toBe(200);

    const roles = (await run(["users", "roles"])).stdout.split("\n");
    expect(roles[0]).toMatch(/^ROLE +PERMISSIONS$/);
    expect(roles).toContain("Viewer                Folders.View, Processes.View, Triggers.View, Jobs.View, Robots.View, Settings.View");

    expect(await run(["users", "rm", "cli-user"])).toEqual({ code: 0, stdout: `Deleted user cli-user (id ${user.id}).\n`, stderr: "" });
    expect(JSON.parse((await run(["users", "delete", "cli-user-2", "--json"])).stdout).deleted.name).toBe("cli-user-2");
    const gone = await run(["users", "update", "cli-user", "--enable"]);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toBe("error: user-not-found: No user has the name or id 'cli-user'; baton users ls lists them.\n");
    const organization = await run(["users", "rm", "admin"]);
    expect(organization.code).toBe(4);
    expect(organization.stderr).toMatch(/^error: user-of-organization: /);
  });

  it("users: usage errors exit 3, what the API refuses shows its code", async () => {
    const usage = async (args: string[], stderr: RegExp, input?: string) => {
      const r = await run(args, input === undefined ? {} : { input });
      expect(r.code, args.join(" ")).toBe(3);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(stderr);
    };
    await usage(["users", "create", "--name", "nopw"], /^error: missing-password: baton users create needs --password or --password-stdin\.\n$/);
    await usage(["users", "create", "--name", "both", "--password", PASSWORDS[0]!, "--password-stdin"], /^error: invalid-argument: Give --password or --password-stdin, not both\.\n$/, PASSWORDS[0]);
    await usage(["users", "create", "--name", "empty", "--password-stdin"], /^error: missing-password: --password-stdin: stdin holds no password\.\n$/, "");
    await usage(["users", "create", "--name", "owner", "--password", PASSWORDS[0]!, "--role", "Owner"], /Unknown role 'Owner'; one of Administrator, Automation Developer, Viewer/);
    await usage(["users", "create", "--password", PASSWORDS[0]!], /required option '--name <name>' not specified/);
    await usage(["users", "create", "--name", "short", "--password", "short"], /^error: invalid-user: /);
    await usage(["users", "update", "admin"], /^error: nothing-to-change: /);
    await usage(["users", "update", "admin", "--disable", "--enable"], /^error: invalid-argument: Give --disable or --enable, not both\.\n$/);
    const noFolder = await run(["users", "create", "--name", "nofolder", "--password", PASSWORDS[0]!, "--role", "Viewer@Nowhere"]);
    expect(noFolder.code).toBe(4);
    expect(noFolder.stderr).toMatch(/^error: folder-not-found: No folder is named or keyed 'Nowhere'/);
  });

  it("robots create --folder (repeatable), rotate (the new key once; the old one stops), ls shows folders and rotation", async () => {
    const folder = JSON.parse((await run(["folders", "create", "Robots Only", "--json"])).stdout);
    const created = await run(["robots", "create", "cli-limited", "--folder", "Shared", "--folder", folder.key]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Created robot cli-limited \(id [0-9a-f-]{36}\), limited to Shared, Robots Only\.\nIts robot key, shown only this once .*\nbaton_rk_\S+\n$/);
    const key = created.stdout.trim().split("\n").pop()!;
    expect(await openSession(key)).toBe(201);

    const rotated = await run(["robots", "rotate", "cli-limited"]);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^Rotated the key of robot cli-limited \(id [0-9a-f-]{36}\); the previous key no longer works\.\nIts new robot key, shown only this once .*\nbaton_rk_\S+\n$/);
    const newKey = rotated.stdout.trim().split("\n").pop()!;
    expect(newKey).not.toBe(key);
    expect(await openSession(key)).toBe(401);
    expect(await openSession(newKey)).toBe(201);

    const robots = JSON.parse((await run(["robots", "ls", "--json"])).stdout) as { name: string; folderKeys: string[] | null; rotatedAt: string | null; id: string; liveSessions: unknown[] }[];
    const { liveSessions, ...robot } = robots.find((r) => r.name === "cli-limited")!;
    expect(robot).toMatchObject({ folderKeys: [b.sharedKey, folder.key], rotatedAt: expect.any(String) });
    // the session opened with the old key ended at the rotation; the one opened with the new key is live
    expect(liveSessions).toMatchObject([{ robotKeyId: robot.id }]);
    expect(JSON.stringify(robots)).not.toContain(newKey);
    const table = (await run(["robots", "ls"])).stdout.trimEnd().split("\n");
    expect(table[0]).toMatch(/^NAME +ID +FOLDERS +SESSIONS +CREATED +ROTATED +REVOKED$/);
    expect(table.find((l) => l.startsWith("cli-limited "))).toMatch(new RegExp(`^cli-limited +${robot.id}  Shared, Robots Only +1 +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  -$`));

    const again = JSON.parse((await run(["robots", "rotate", robot.id, "--json"])).stdout);
    expect(again).toEqual({ ...robot, rotatedAt: expect.any(String), key: expect.stringMatching(/^baton_rk_/), createdAt: expect.any(String), revokedAt: null });
    expect(await openSession(newKey)).toBe(401);

    const noFolder = await run(["robots", "create", "cli-nowhere", "--folder", "Nowhere"]);
    expect(noFolder.code).toBe(4);
    expect(noFolder.stderr).toMatch(/^error: folder-not-found: /);
    expect((await run(["robots", "rm", "cli-limited"])).code).toBe(0);
    const revoked = await run(["robots", "rotate", "cli-limited"]);
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).toMatch(/^error: robot-revoked: /);
    const unknown = await run(["robots", "rotate", "no-such-robot"]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/^error: robot-not-found: /);
  });
});

describe("invoke --idempotency-key (issue 16), against a stub server", () => {
  it("sends the given key on every attempt, a key of its own without it, refuses a bad one; --json errors name the key", async () => {
    const keys: (string | null)[] = [];
    let posts = 0;
    const server = createServer((req, res) => {
      keys.push(typeof req.headers["idempotency-key"] === "string" ? req.headers["idempotency-key"] : null);
      posts++;
      if (req.url!.endsWith("/mismatch")) {
        res.writeHead(422, { "content-type": "application/problem+json" });
        return res.end(JSON.stringify({ type: "about:blank", title: "Unprocessable", status: 422, detail: "Another request used this key.", code: "idempotency-key-mismatch" }));
      }
      // the first attempt of each call is lost to a 503; the retry is answered
      if (posts % 2 === 1) {
        res.writeHead(503, { "retry-after": "0", "content-type": "application/problem+json" });
        return res.end(JSON.stringify({ type: "about:blank", title: "Unavailable", status: 503, detail: "busy", code: "store-unavailable" }));
      }
      res.writeHead(200, { "content-type": "application/json", "idempotent-replayed": "true" });
      res.end('{"done":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const tenant = `http://127.0.0.1:${(server.address() as AddressInfo).port}/default/DefaultTenant`;
      const env = { BATON_URL: tenant, BATON_TOKEN: "baton_pat_fake" };
      const url = `${tenant}/orchestrator_/t/f/echo`;
      expect(await baton(["invoke", url, "--mode", "sync", "--idempotency-key", "order-42"], { env })).toEqual({ code: 0, stdout: '{"done":true}\n', stderr: "" });
      expect(keys).toEqual(["order-42", "order-42"]);
      expect(await baton(["invoke", url, "--mode", "sync", "--json"], { env })).toEqual({ code: 0, stdout: '{"done":true}\n', stderr: "" });
      expect(keys[2]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(keys[3]).toBe(keys[2]);

      const bad = await baton(["invoke", url, "--idempotency-key", "é"], { env });
      expect(bad).toEqual({ code: 3, stdout: "", stderr: "error: invalid-argument: --idempotency-key takes 1 to 255 printable ASCII characters.\n" });
      expect(keys).toHaveLength(4);

      const mismatch = await baton(["invoke", `${tenant}/orchestrator_/t/f/mismatch`, "--mode", "sync", "--idempotency-key", "order-42", "--json"], { env });
      expect(mismatch.code).toBe(4);
      expect(JSON.parse(mismatch.stderr)).toEqual({
        error: { code: "idempotency-key-mismatch", message: "Another request used this key.", status: 422, idempotencyKey: "order-42" },
      });
      const forPeople = await baton(["invoke", `${tenant}/orchestrator_/t/f/mismatch`, "--mode", "sync", "--idempotency-key", "order-42"], { env });
      expect(forPeople.stderr).toBe("error: idempotency-key-mismatch: Another request used this key.\n");
    } finally {
      server.close();
    }
  });
});

describe("invoke --timeout, LongPolling job keys, robots ls (issue 13, item 11)", () => {
  /** A Baton of its own: these tests change its long-poll timeout. */
  let own: TestBaton;
  let env: Record<string, string>;
  beforeAll(async () => {
    own = await startTestBaton();
    env = { BATON_URL: own.tenantUrl, BATON_TOKEN: own.token };
  });
  afterAll(() => own?.close());

  it("the wait between polls never passes the timeout: a Retry-After longer than --timeout still polls before it", async () => {
    // a server that asks for 30 s between polls: the client polls once before its 4 s are up
    // (with a quarter of them left for the answer), and the job it polls is done (before, it
    // slept the 30 s and timed out)
    const key = "11111111-2222-4333-8444-555555555555";
    let polls = 0;
    const server = createServer((req, res) => {
      const base = `http://${req.headers.host}/default/DefaultTenant/orchestrator_`;
      if (req.method === "POST") {
        res.writeHead(202, { location: `${base}/api/v1/jobs/${key}/status`, "retry-after": "30", "content-type": "application/json" });
        return res.end(JSON.stringify({ jobKey: key, state: "Pending", statusUri: `${base}/api/v1/jobs/${key}/status` }));
      }
      if (req.url!.endsWith("/status")) {
        polls++;
        res.writeHead(303, { location: `${base}/api/v1/jobs/${key}/output` });
        return res.end();
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"done":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const tenant = `http://127.0.0.1:${(server.address() as AddressInfo).port}/default/DefaultTenant`;
      const run = await baton(["invoke", `${tenant}/orchestrator_/t/f/slow`, "--mode", "async", "--timeout", "4"], { env: { BATON_URL: tenant, BATON_TOKEN: "baton_pat_fake" } });
      expect(run).toEqual({ code: 0, stdout: '{"done":true}\n', stderr: "" });
      expect(polls).toBe(1);
    } finally {
      server.close();
    }
  });

  it("a timeout says, for people, which job is still in which state and how to look at it (exit 4); --json has them as fields", async () => {
    const run = await baton(["invoke", "sleep", "-a", "seconds=30", "-a", "marker=timeout", "--mode", "async", "--timeout", "1"], { env });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe("");
    const m = /^error: timeout: the job ([0-9a-f-]{36}) is still (Pending|Running) after 1 s; see `baton jobs show \1`\n$/.exec(run.stderr);
    expect(m, run.stderr).not.toBeNull();
    const json = await baton(["invoke", "sleep", "-a", "seconds=30", "--mode", "async", "--timeout", "1", "--json"], { env });
    expect(json.code).toBe(4);
    const { error } = JSON.parse(json.stderr);
    expect(error).toEqual({
      code: "timeout", message: expect.stringMatching(/^the job \S+ is still (Pending|Running) after 1 s; /), jobKey: expect.any(String), state: expect.stringMatching(/^(Pending|Running)$/),
      idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    for (const key of [m![1]!, error.jobKey]) await own.apiJson(`/api/v1/jobs/${key}/stop`, { method: "POST", json: { strategy: "Kill" } });
  });

  it("LongPolling: the job key is on stderr as soon as the first 303 gives it, so Ctrl-C does not lose it", async () => {
    await own.patchSettings({ longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
    try {
      const call = start(["invoke", "sleep", "-a", "seconds=30", "--mode", "sync"], { env });
      const announced = await until("the job key on stderr", async () => /^Job ([0-9a-f-]{36}): waiting for its result \(Ctrl-C stops the waiting, not the job\)\.\n/.exec(call.stderr()));
      const key = announced[1]!;
      expect((await own.apiJson<JobView>(`/api/v1/jobs/${key}`)).processName).toBe("Sleep");
      call.proc.kill("SIGINT");
      const run = await call.done;
      expect(run.code).toBe(130);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(`Follow it with: baton jobs wait ${key}`);
      await own.apiJson(`/api/v1/jobs/${key}/stop`, { method: "POST", json: { strategy: "Kill" } });
    } finally {
      await own.patchSettings({ longPollTimeoutSeconds: 50 });
    }
  });

  it("robots ls lists the in-process robot (no key) with its live session", async () => {
    const table = (await baton(["robots", "ls"], { env })).stdout.trimEnd().split("\n");
    expect(table[0]).toMatch(/^NAME +ID +FOLDERS +SESSIONS +CREATED +ROTATED +REVOKED$/);
    expect(table.find((l) => l.startsWith("in-process-robot "))).toMatch(/^in-process-robot +in-process +all +1 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +- +-$/);
    const json = JSON.parse((await baton(["robots", "ls", "--json"], { env })).stdout);
    expect(json).toContainEqual(expect.objectContaining({ id: null, name: "in-process-robot", folderKeys: null, liveSessions: [expect.objectContaining({ robotKeyId: null, robotName: "in-process-robot" })] }));
  });
});

describe("baton completion", () => {
  it("bash: a script that completes commands, subcommands, options and option values", async () => {
    const run = await baton(["completion", "bash"]);
    expect(run.code).toBe(0);
    const file = join(home, "completion.bash");
    writeFileSync(file, run.stdout);
    const complete = async (...words: string[]) => {
      const script = `source ${JSON.stringify(file)}; COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(" ")}); COMP_CWORD=${words.length - 1}; _baton; echo "\${COMPREPLY[*]}"`;
      return (await exec("bash", ["-c", script])).stdout.trim();
    };
    expect(await complete("baton", "jo")).toBe("jobs");
    expect(await complete("baton", "jobs", "")).toBe("ls list show stop kill logs wait");
    expect(await complete("baton", "jobs", "ls", "--st")).toBe("--state");
    expect(await complete("baton", "jobs", "ls", "--folder", "jobs", "--state", "Fa")).toBe("Faulted");
    expect(await complete("baton", "invoke", "echo", "--mode", "")).toBe("async fire sync");
    expect(await complete("baton", "completion", "")).toBe("bash zsh");
  });

  it("zsh: a script for compinit", async () => {
    const run = await baton(["completion", "zsh"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^#compdef baton\n/);
    expect(run.stdout).toContain("compdef _baton baton");
    const zsh = ["/usr/bin/zsh", "/bin/zsh"].find((p) => existsSync(p));
    if (zsh) {
      const file = join(home, "completion.zsh");
      writeFileSync(file, run.stdout);
      // compadd is a builtin of completion widgets: a function stands in for it here
      const script = `source ${JSON.stringify(file)}; compadd() { shift; print -r -- "$@"; }; words=(baton jobs ls --state ""); CURRENT=5; _baton`;
      expect((await exec(zsh, ["-f", "-c", script])).stdout.trim()).toBe("Pending Running Stopping Terminating Successful Faulted Stopped");
    }
  });
});

describe("docs/cli.md", () => {
  interface Example { command: string; exit: number; output: string[] | null }

  /** The `$ baton …` lines of the console blocks, each with the output shown under it and its `# exit N`. */
  function examples(): Example[] {
    const doc = readFileSync(join(repoRoot, "docs", "cli.md"), "utf8");
    const out: Example[] = [];
    for (const block of doc.matchAll(/```console\n([\s\S]*?)```/g)) {
      let current: Example | null = null;
      for (const line of block[1]!.split("\n").slice(0, -1)) {
        if (line.startsWith("$ ")) {
          const command = line.slice(2);
          current = { command, exit: Number(/#\s*exit (\d+)\s*$/.exec(command)?.[1] ?? 0), output: [] };
          out.push(current);
        } else {
          current!.output!.push(line);
        }
      }
    }
    return out;
  }

  const pattern = (line: string) => new RegExp(`^${line.split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

  it("every example starts with `baton` and runs as shown: exit status and output", async () => {
    const docs = await startTestBaton();
    try {
      const all = examples();
      expect(all.length).toBeGreaterThan(20);
      // `baton` on the PATH runs this checkout
      const bin = join(home, "bin");
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, "baton"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(batonBin)} "$@"\n`);
      chmodSync(join(bin, "baton"), 0o755);
      const env = childEnv({ BATON_URL: docs.tenantUrl, BATON_TOKEN: docs.token, XDG_CONFIG_HOME: join(home, "docs-config"), PATH: `${bin}:${process.env.PATH}` });
      for (const example of all) {
        expect(example.command).toMatch(/^baton /);
        const run = await new Promise<Run>((resolve) => {
          execFile("bash", ["-c", example.command], { cwd: home, env }, (err, stdout, stderr) => {
            resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
          });
        });
        const printed = `${run.stdout}${run.stderr}`.split("\n").map((l) => l.trimEnd());
        if (printed[printed.length - 1] === "") printed.pop();
        const context = `$ ${example.command}\n${run.stdout}${run.stderr}`;
        expect(run.code, context).toBe(example.exit);
        expect(printed.length, context).toBe(example.output!.length);
        example.output!.forEach((line, i) => expect(printed[i], context).toMatch(pattern(line.trimEnd())));
      }
    } finally {
      await docs.close();
    }
  }, 240_000);
});
