import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { captureChildOutput } from "./logCapture.js";

/** The checkout's root: `bin/baton.js` runs the compiled `dist/` (npm test builds it first). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const batonBin = join(repoRoot, "bin", "baton.js");

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A `baton` child process with its output captured. */
export interface BatonChild {
  proc: ChildProcess;
  dataDir: string;
  /** everything written to stdout / stderr so far */
  stdout(): string;
  stderr(): string;
  /** resolves when the process has exited and its output is read (never rejects) */
  exited: Promise<Exit>;
  /** resolves once `pattern` matches the accumulated stdout; rejects if the process exits first or on timeout */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** sends the signal (if still running) and waits for the exit */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/** What the banner says, once the server listens. */
export interface Banner {
  /** e.g. http://127.0.0.1:43125 */
  url: string;
  /** the tenant base, e.g. http://127.0.0.1:43125/default/DefaultTenant */
  tenantUrl: string;
  /** the admin token as printed, or null when the banner does not show one */
  token: string | null;
  /** `{tenantUrl}/orchestrator_` */
  base: string;
}

const children = new Set<BatonChild>();
const tempDirs = new Set<string>();

/** A fresh temp folder, removed by `cleanupChildren`. */
export function tempDir(prefix = "baton-proc-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** The parent's environment without any BATON_* variable, plus `env`. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("BATON_")) out[k] = v;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** A child process's output and exit, with a wait for a pattern on stdout or stderr: shared by every spawned test process. */
export interface WatchedProcess {
  stdout(): string;
  stderr(): string;
  /** resolves when the process has exited and its output is read (never rejects) */
  exited: Promise<Exit>;
  /** resolves once `pattern` matches the accumulated stream; rejects if the process exits first or on timeout */
  waitFor(stream: "stdout" | "stderr", pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** sends the signal (if still running) and waits for the exit */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

export function watchProcess(proc: ChildProcess, label: string): WatchedProcess {
  const text = { stdout: "", stderr: "" };
  const listeners = new Set<() => void>();
  const notify = () => { for (const l of [...listeners]) l(); };
  proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => { text.stdout += chunk; notify(); });
  proc.stderr!.setEncoding("utf8").on("data", (chunk: string) => { text.stderr += chunk; notify(); });
  let exit: Exit | null = null;
  const exited = new Promise<Exit>((resolveExit) => {
    // "close", not "exit": by then stdout and stderr are read to the end
    proc.once("close", (code, signal) => {
      exit = { code, signal };
      // into the run's log capture, scanned for secrets at the end (test/globalSetup.ts)
      captureChildOutput(label, proc.pid, text.stdout, text.stderr);
      resolveExit(exit);
      notify();
    });
  });
  return {
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exited,
    waitFor(stream, pattern, timeoutMs = 20_000) {
      return new Promise((resolveMatch, reject) => {
        const output = () => `\nstdout:\n${text.stdout}\nstderr:\n${text.stderr}`;
        const check = () => {
          const m = text[stream].match(pattern);
          if (m) return finish(() => resolveMatch(m));
          if (exit) finish(() => reject(new Error(`${label} exited (${exit!.code ?? exit!.signal}) before printing ${pattern} on ${stream}.${output()}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${label}: no ${pattern} on ${stream} after ${timeoutMs} ms.${output()}`))), timeoutMs);
        const finish = (settle: () => void) => { clearTimeout(timer); listeners.delete(check); settle(); };
        listeners.add(check);
        check();
      });
    },
    async stop(signal = "SIGKILL") {
      if (!exit) proc.kill(signal);
      return exited;
    },
  };
}

/** Spawns `node bin/baton.js <args>` with the given environment (BATON_* of the test runner are not inherited). */
export function spawnBaton(args: string[], env: Record<string, string | undefined>): BatonChild {
  const proc = spawn(process.execPath, [batonBin, ...args], { cwd: repoRoot, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  const watched = watchProcess(proc, "baton");
  const child: BatonChild = {
    proc,
    dataDir: env.BATON_DATA_DIR ?? "",
    stdout: watched.stdout,
    stderr: watched.stderr,
    exited: watched.exited,
    waitForStdout: (pattern, timeoutMs) => watched.waitFor("stdout", pattern, timeoutMs),
    stop: watched.stop,
  };
  const exited = watched.exited;
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

/**
 * `baton start` on `dataDir`; resolves once the banner is printed (the server listens and the
 * robot runs), not after a sleep. BATON_PORT defaults to 0 (any free port).
 */
export async function startBaton(dataDir: string, env: Record<string, string | undefined> = {}): Promise<{ child: BatonChild; banner: Banner }> {
  const child = spawnBaton(["start"], { BATON_PORT: "0", BATON_LOG_LEVEL: "warn", BATON_DATA_DIR: dataDir, ...env });
  try {
    const banner = await readBanner(child);
    return { child, banner };
  } catch (err) {
    await child.stop("SIGKILL");
    throw err;
  }
}

/** Parses the banner from the child's stdout, waiting for it (up to its API line, printed in the same write). */
export async function readBanner(child: BatonChild): Promise<Banner> {
  await child.waitForStdout(/^ {2}API: .*$/m);
  const text = child.stdout();
  const url = text.match(/Baton is running at (\S+)/)![1]!;
  const tenantUrl = text.match(/tenant base: +(\S+)/)![1]!;
  const tokenLine = text.match(/admin token: +(.*)$/m)![1]!.trim();
  return { url, tenantUrl, token: tokenLine.startsWith("(") ? null : tokenLine, base: `${tenantUrl}/orchestrator_` };
}

/** SIGKILLs every child still running and removes the temp folders (afterAll). */
export async function cleanupChildren(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop("SIGKILL")));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** fetch under the banner's `{tenantUrl}/orchestrator_` with a bearer token. */
export function api(banner: Banner, token: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  return fetch(path.startsWith("http") ? path : `${banner.base}${path}`, { redirect: "manual", ...init, headers });
}
