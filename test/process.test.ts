import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { api, batonBin, cleanupChildren, readBanner, spawnBaton, startBaton, tempDir, type Banner, type Exit } from "./helpers/child.js";

/**
 * `baton` as users run it: real child processes, real sockets, SQLite files on disk, and
 * the signals an operator or a supervisor sends (SPEC §2, §7). Each test has its own data
 * dir and port, so they run concurrently.
 */

const run = promisify(execFile);

afterAll(cleanupChildren);

const newToken = () => `baton_pat_proc_${randomBytes(16).toString("hex")}`;

async function sharedFolderKey(banner: Banner, token: string): Promise<string> {
  const res = await api(banner, token, "/api/v1/folders");
  expect(res.status).toBe(200);
  const { items } = (await res.json()) as { items: { key: string; name: string }[] };
  return items.find((f) => f.name === "Shared")!.key;
}

interface JobView {
  key: string;
  state: string;
  processName: string;
  inputArguments: Record<string, unknown>;
  error: { code: string; message: string } | null;
  startedAt: string | null;
  attempt: number;
}

/** Every job of the tenant, through the cursor pages of the jobs list. */
async function allJobs(banner: Banner, token: string): Promise<JobView[]> {
  const jobs: JobView[] = [];
  let cursor: string | null = null;
  do {
    const res = await api(banner, token, `/api/v1/jobs?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { items: JobView[]; nextCursor: string | null };
    jobs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return jobs;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const HELD = ["Running", "Stopping", "Terminating"];

describe.concurrent("baton as a process", () => {
  it("kill -9 under load loses no acknowledged job, and the dead robot's jobs do not stay Running", { timeout: 55_000 }, async () => {
    const dataDir = tempDir();
    const token = newToken();
    const env = { BATON_BOOTSTRAP_TOKEN: token };
    const first = await startBaton(dataDir, env);
    const folderKey = await sharedFolderKey(first.banner, token);

    // A few hundred invocations, 40 in flight at a time: Echo and Sleep(30 s), each in
    // AsyncRequestReply (the job key comes back) and FireAndForget (only a 200: the job is
    // found afterwards by its marker argument). The process is SIGKILLed once 150 are
    // acknowledged, so the rest fail mid-flight or with a refused connection.
    const TOTAL = 400;
    const CONCURRENCY = 40;
    const KILL_AFTER = 150;
    const ackedKeys: string[] = [];
    const ackedMarkers: string[] = [];
    const unexpected: string[] = [];
    let failed = 0;
    let killed: Promise<Exit> | null = null;
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        const slug = i % 2 === 0 ? "echo" : "sleep";
        const callMode = i % 4 < 2 ? "AsyncRequestReply" : "FireAndForget";
        const marker = `load-${i}`;
        const body = slug === "sleep" ? { seconds: 30, marker, $callMode: callMode } : { marker, $callMode: callMode };
        try {
          const res = await api(first.banner, token, `/t/${folderKey}/${slug}`, { method: "POST", body: JSON.stringify(body) });
          if (callMode === "AsyncRequestReply" && res.status === 202) {
            ackedKeys.push(((await res.json()) as { jobKey: string }).jobKey);
          } else if (callMode === "FireAndForget" && res.status === 200) {
            await res.arrayBuffer();
            ackedMarkers.push(marker);
          } else {
            unexpected.push(`${callMode} ${slug}: ${res.status} ${await res.text()}`);
          }
        } catch {
          failed++; // the connection died with the process: not acknowledged, nothing promised
        }
        if (!killed && ackedKeys.length + ackedMarkers.length >= KILL_AFTER) killed = first.child.stop("SIGKILL");
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(killed, "the load ended before the kill").not.toBeNull();
    expect(await killed).toEqual({ code: null, signal: "SIGKILL" });
    // no error answers while it was up (a 500 from a busy database would show here)
    expect(unexpected).toEqual([]);
    const acked = ackedKeys.length + ackedMarkers.length;
    expect(acked).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(failed, "the kill did not land in the middle of the load").toBeGreaterThan(0);
    expect(ackedKeys.length).toBeGreaterThan(0);
    expect(ackedMarkers.length).toBeGreaterThan(0);

    // Restart on the same files.
    const restartedAt = Date.now();
    const second = await startBaton(dataDir, env);
    const { banner } = second;

    // every job whose key was handed out is there
    const lookups = await Promise.all(ackedKeys.map(async (key) => {
      const res = await api(banner, token, `/api/v1/jobs/${key}`);
      return { key, status: res.status, job: res.status === 200 ? ((await res.json()) as JobView) : null };
    }));
    expect(lookups.filter((l) => l.status !== 200)).toEqual([]);
    // every FireAndForget job that got its 200 is there, found by its marker
    const jobs = await allJobs(banner, token);
    const markers = new Set(jobs.map((j) => j.inputArguments.marker));
    expect(ackedMarkers.filter((m) => !markers.has(m))).toEqual([]);
    expect(jobs.length).toBeGreaterThanOrEqual(acked);

    // Jobs the dead in-process robot held stay with its session until the session's lease
    // (15 s) runs out; then maintenance retries them or, with the default maxAttempts of 1,
    // faults them RobotLost. None stays Running on a robot that is gone.
    const startedBefore = (j: JobView) => j.startedAt !== null && Date.parse(j.startedAt) < restartedAt;
    const heldByDeadRobot = jobs.filter((j) => HELD.includes(j.state) && startedBefore(j));
    expect(heldByDeadRobot.length, "some Sleep jobs were running when the process died").toBeGreaterThan(0);
    const after = await until("the dead robot's jobs to be released", 25_000, async () => {
      const now = await allJobs(banner, token);
      return now.some((j) => HELD.includes(j.state) && startedBefore(j)) ? null : now;
    });
    const byKey = new Map(after.map((j) => [j.key, j]));
    for (const held of heldByDeadRobot) {
      const j = byKey.get(held.key)!;
      expect(j, held.key).toBeDefined();
      // retried (Pending again, or claimed by the new robot), or given up as RobotLost
      if (j.state === "Faulted") expect(j.error?.code).toBe("RobotLost");
      else expect(["Pending", "Running", "Successful"]).toContain(j.state);
    }
    expect(after.some((j) => j.state === "Faulted" && j.error?.code === "RobotLost")).toBe(true);

    await second.child.stop("SIGKILL");
  });

  it("SIGTERM answers a waiting LongPolling caller with its 303, exits 0, and keeps jobs and settings", { timeout: 40_000 }, async () => {
    const dataDir = tempDir();
    const token = newToken();
    const env = { BATON_BOOTSTRAP_TOKEN: token, BATON_SHUTDOWN_GRACE_SECONDS: "3" };
    const first = await startBaton(dataDir, env);
    const folderKey = await sharedFolderKey(first.banner, token);

    const patch = await api(first.banner, token, "/api/v1/settings", {
      method: "PATCH", body: JSON.stringify({ jobRetentionDays: 7, syncRedirectsRequireAuth: false }),
    });
    expect(patch.status).toBe(200);

    // ten more Sleep jobs run beside the LongPolling one: the robot must hand every one back
    for (let i = 0; i < 10; i++) {
      const res = await api(first.banner, token, `/t/${folderKey}/sleep`, { method: "POST", body: JSON.stringify({ seconds: 30, $callMode: "FireAndForget" }) });
      expect(res.status).toBe(200);
    }
    const waiting = api(first.banner, token, `/t/${folderKey}/sleep`, { method: "POST", body: JSON.stringify({ seconds: 30, $callMode: "LongPolling" }) });
    const running = await until("the Sleep jobs to run", 10_000, async () => {
      const jobs = await allJobs(first.banner, token);
      return jobs.length === 11 && jobs.every((j) => j.state === "Running") ? jobs : null;
    });
    // the list is newest first: the LongPolling job is the last one created
    const job = running[0]!;

    let exited = false;
    void first.child.exited.then(() => { exited = true; });
    first.child.proc.kill("SIGTERM");
    const res = await waiting;
    expect(res.status).toBe(303);
    // the 303 comes at once: before the 3 s the robot is given to hand back its Sleep jobs, after
    // which the process exits (the long-poll timeout, 50 s, is past this test's timeout)
    expect(exited, "the 303 came before the process exited").toBe(false);
    const location = res.headers.get("location")!;
    expect(location).toMatch(new RegExp(`^${first.banner.base}/api/v1/jobs/${job.key}/wait\\?exp=\\d+&sig=`));
    expect(await first.child.exited).toEqual({ code: 0, signal: null });
    expect(first.child.stderr()).toContain("SIGTERM: shutting down gracefully");

    const second = await startBaton(dataDir, env);
    const { banner } = second;
    const again = await api(banner, token, `/api/v1/jobs/${job.key}`);
    expect(again.status).toBe(200);
    // The robot handed the jobs back (they did not finish within the 1 s grace), so they run
    // again: none is Faulted by the abort of its process; each keeps its attempt counted.
    const after = await allJobs(banner, token);
    expect(after.map((j) => j.key).sort()).toEqual(running.map((j) => j.key).sort());
    for (const j of after) {
      expect(j.error, j.key).toBeNull();
      expect(["Pending", "Running"], j.key).toContain(j.state);
    }
    const settings = await api(banner, token, "/api/v1/settings");
    expect(settings.status).toBe(200);
    expect(await settings.json()).toMatchObject({ jobRetentionDays: 7, syncRedirectsRequireAuth: false });

    // The caller resumes on the restarted instance with the signed wait URI it was given
    // (no token): the signing secret is in the store. With a 1 s long-poll timeout it is sent round again.
    expect((await api(banner, token, "/api/v1/settings", { method: "PATCH", body: JSON.stringify({ longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 }) })).status).toBe(200);
    const resumed = await fetch(location.replace(first.banner.base, banner.base), { redirect: "manual" });
    expect(resumed.status).toBe(303);
    expect(resumed.headers.get("location")).toMatch(new RegExp(`^${banner.base}/api/v1/jobs/${job.key}/wait\\?exp=\\d+&sig=`));

    await second.child.stop("SIGKILL");
  });

  it("the banner's curl lines work when pasted, the generated admin token is kept in <dataDir>/admin-token, and /metrics shows the 8 threads bin/baton.js starts the pool with", { timeout: 40_000 }, async () => {
    const dataDir = tempDir();
    // no BATON_BOOTSTRAP_TOKEN: the first start generates the token (and no UV_THREADPOOL_SIZE: bin/baton.js sets its own)
    const first = await startBaton(dataDir, { BATON_PORT: "0", UV_THREADPOOL_SIZE: undefined });
    const curlLines = (await first.child.waitForStdout(/(^ {2}curl .*\n[\s\S]*){3}/m))[0].split("\n").filter((l) => l.startsWith("  curl ")).map((l) => l.trim());
    expect(curlLines).toHaveLength(3);
    const { banner } = first;
    expect(banner.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(banner.url).not.toMatch(/:0$/);
    expect(banner.token).toMatch(/\S{20,}/);

    const tokenFile = join(dataDir, "admin-token");
    expect(existsSync(tokenFile)).toBe(true);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenFile, "utf8").trim()).toBe(banner.token);

    // libuv's pool as bin/baton.js started it: 8 threads, not Node's 4 (set before Node's loader first used it)
    const metrics = await fetch(`${banner.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^baton_threadpool_size 8$/m);

    const [asyncLine, fireLine, longLine] = curlLines as [string, string, string];
    expect(asyncLine).not.toContain("$callMode");
    expect(fireLine).toContain('"$callMode":"FireAndForget"');
    expect(longLine).toContain('"$callMode":"LongPolling"');
    for (const line of curlLines) expect(line).toContain(`Bearer ${banner.token}`);

    const paste = async (line: string) => {
      const { stdout } = await run("bash", ["-c", line], { timeout: 20_000 });
      return parseCurl(stdout);
    };
    const [asyncOut, fireOut, longOut] = await Promise.all([paste(asyncLine), paste(fireLine), paste(longLine)]);

    expect(asyncOut.statuses).toEqual([202]);
    const location = asyncOut.last.headers.get("location");
    expect(location).toMatch(new RegExp(`^${banner.base}/api/v1/jobs/[0-9a-f-]{36}/status$`));
    expect(JSON.parse(asyncOut.last.body)).toMatchObject({ statusUri: location });

    expect(fireOut.statuses).toEqual([200]);
    expect(fireOut.last.body).toBe("");

    expect(longOut.statuses.at(-1)).toBe(200);
    expect(JSON.parse(longOut.last.body)).toEqual({ sleptSeconds: 2 });

    // the job the AsyncRequestReply line started ends, and its status URI says so
    const status = await until("the echo job to end", 10_000, async () => {
      const res = await fetch(location!, { headers: { authorization: `Bearer ${banner.token}` }, redirect: "manual" });
      return res.status === 303 ? res : null;
    });
    const output = await fetch(status.headers.get("location")!, { headers: { authorization: `Bearer ${banner.token}` } });
    expect(await output.json()).toEqual({ hello: "world" });

    // A second start on the same data dir generates no new token and prints none (SPEC §7:
    // printed once): it names the file, and its curl lines read the token from there.
    await first.child.stop("SIGTERM");
    const second = await startBaton(dataDir, { BATON_PORT: "0" });
    expect(second.banner.token).toBeNull();
    expect(readFileSync(tokenFile, "utf8").trim()).toBe(banner.token);
    expect(second.child.stdout()).not.toContain(banner.token!);
    expect(second.child.stdout()).toContain(`it is in ${tokenFile}`);
    // the password is not printed again either, but where it is kept is
    const password = readFileSync(join(dataDir, "admin-password"), "utf8").trim();
    expect(first.child.stdout()).toContain(`admin password (console user 'admin', shown once): ${password}\n`);
    expect(first.child.stdout()).toContain(`  kept in:      ${tokenFile} and ${join(dataDir, "admin-password")} (mode 0600; `);
    expect(second.child.stdout()).not.toContain(password);
    expect(second.child.stdout()).toContain(`admin password: (printed at the first start only; it is in ${join(dataDir, "admin-password")})`);
    const secondLines = (await second.child.waitForStdout(/(^ {2}curl .*\n[\s\S]*){3}/m))[0].split("\n").filter((l) => l.startsWith("  curl ")).map((l) => l.trim());
    expect(secondLines[1]).toContain(`Bearer $(cat '${tokenFile}')`);
    const secondFire = await paste(secondLines[1]!);
    expect(secondFire.statuses).toEqual([200]);
    const folders = await api(second.banner, banner.token!, "/api/v1/folders");
    expect(folders.status).toBe(200);
    await second.child.stop("SIGKILL");
  });

  it("a first start on a port in use exits 1 with a clear message and leaves no admin token or password; the next start shows both", { timeout: 40_000 }, async () => {
    const dataDir = tempDir();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const failed = spawnBaton(["start"], { BATON_PORT: String(port), BATON_DATA_DIR: dataDir, BATON_LOG_LEVEL: "warn" });
      expect(await failed.exited).toEqual({ code: 1, signal: null });
      expect(failed.stderr()).toContain(`Port ${port} on 127.0.0.1 is in use; set BATON_PORT to another port.`);
      expect(failed.stdout()).not.toContain("Baton is running");
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(existsSync(join(dataDir, "admin-token"))).toBe(false);
    expect(existsSync(join(dataDir, "admin-password"))).toBe(false);

    const next = await startBaton(dataDir, { BATON_PORT: "0" });
    expect(next.banner.token).toMatch(/^baton_pat_/);
    expect(readFileSync(join(dataDir, "admin-token"), "utf8").trim()).toBe(next.banner.token);
    const password = readFileSync(join(dataDir, "admin-password"), "utf8").trim();
    expect(next.child.stdout()).toContain(`admin password (console user 'admin', shown once): ${password}\n`);
    const login = await fetch(`${next.banner.base}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName: "admin", password }) });
    expect(login.status).toBe(200);
    await next.child.stop("SIGKILL");
  });

  it("logs: `start` writes one human line per request (query values redacted); BATON_LOG_FORMAT=json and `serve` write pino JSON lines", { timeout: 40_000 }, async () => {
    const token = newToken();
    const human = await startBaton(tempDir(), { BATON_BOOTSTRAP_TOKEN: token, BATON_LOG_LEVEL: "info" });
    expect((await api(human.banner, token, "/api/v1/jobs?limit=1&token=secret-in-query")).status).toBe(200);
    await human.child.waitForStdout(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}GET \/default\/DefaultTenant\/orchestrator_\/api\/v1\/jobs\?limit=1&token=\[redacted\] 200 \d+ ms$/m);
    expect(human.child.stdout()).not.toContain('{"level"');
    expect(human.child.stdout()).not.toContain("secret-in-query");
    await human.child.stop("SIGKILL");

    for (const [command, env] of [["start", { BATON_LOG_FORMAT: "json" }], ["serve", {}]] as const) {
      const child = spawnBaton([command], { BATON_PORT: "0", BATON_DATA_DIR: tempDir(), BATON_BOOTSTRAP_TOKEN: token, BATON_LOG_LEVEL: "info", ...env });
      const banner = await readBanner(child);
      expect((await api(banner, token, "/api/v1/folders")).status).toBe(200);
      await child.waitForStdout(/^\{"level":30,.*"msg":"request completed"\}$/m);
      expect(child.stdout(), command).toMatch(/^\{"level":30,.*"url":"\/default\/DefaultTenant\/orchestrator_\/api\/v1\/folders"\},"msg":"incoming request"\}$/m);
      await child.stop("SIGKILL");
    }
  });

  it("bin/baton.js starts libuv's pool with 8 threads: with 4 of them held, a fifth task still runs (an ES module entry starts it with 4 before its code runs)", { timeout: 30_000 }, async () => {
    const dir = tempDir();
    const fifos = [1, 2, 3, 4].map((i) => join(dir, `fifo-${i}`));
    for (const fifo of fifos) await run("mkfifo", [fifo]);
    const probe = join(dir, "probe.cjs");
    writeFileSync(probe, `
      const fs = require("node:fs");
      process.argv = [process.argv[0], ${JSON.stringify(batonBin)}, "--version"];
      // the entry: it sets UV_THREADPOOL_SIZE, then loads the CLI (which prints its version)
      require(${JSON.stringify(batonBin)});
      const fifos = ${JSON.stringify(fifos)};
      // 4 threads held: an open of a FIFO for reading waits for a writer
      for (const fifo of fifos) fs.open(fifo, "r", () => {});
      const free = () => { for (const fifo of fifos) fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); };
      const held = setTimeout(() => { process.stdout.write("blocked\\n"); free(); }, 5000);
      fs.stat(__filename, () => { clearTimeout(held); process.stdout.write("answered\\n"); free(); });
    `);
    const { stdout } = await run(process.execPath, [probe], { env: { ...process.env, UV_THREADPOOL_SIZE: "" }, timeout: 20_000 });
    expect(stdout).toMatch(/^answered$/m);
  });

  it("`baton migrate` on a fresh data dir exits 0, and again on a migrated one", { timeout: 60_000 }, async () => {
    const dataDir = join(tempDir(), "not-yet-there");
    for (let i = 0; i < 2; i++) {
      const child = spawnBaton(["migrate"], { BATON_DATA_DIR: dataDir });
      expect(await child.exited, child.stderr()).toEqual({ code: 0, signal: null });
      expect(child.stdout()).toContain("Migrated the sqlite store.");
    }
    expect(existsSync(join(dataDir, "baton.db"))).toBe(true);
  });
});

interface CurlResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** `curl -i [-L]` output: one header block per response (redirects followed), the last one's body. */
function parseCurl(stdout: string): { statuses: number[]; last: CurlResponse } {
  const responses: CurlResponse[] = [];
  let rest = stdout;
  while (/^HTTP\/[\d.]+ \d{3}/.test(rest)) {
    const end = rest.indexOf("\r\n\r\n");
    const head = end === -1 ? rest : rest.slice(0, end);
    rest = end === -1 ? "" : rest.slice(end + 4);
    const [statusLine, ...headerLines] = head.split("\r\n");
    const headers = new Headers();
    for (const h of headerLines) {
      const i = h.indexOf(":");
      if (i > 0) headers.append(h.slice(0, i).trim(), h.slice(i + 1).trim());
    }
    responses.push({ status: Number(statusLine!.split(" ")[1]), headers, body: "" });
  }
  expect(responses.length, `curl output:\n${stdout}`).toBeGreaterThan(0);
  // with -L, redirect bodies are printed too (ours are empty); what is left is the last body
  responses[responses.length - 1]!.body = rest;
  return { statuses: responses.map((r) => r.status), last: responses[responses.length - 1]! };
}
