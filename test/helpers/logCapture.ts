import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Logs captured during the whole suite (issue 5: no token, key, secret or password in any
 * log). The vitest globalSetup (test/globalSetup.ts) makes a run directory
 * `os.tmpdir()/baton-test-logs/<runId>` and names it in BATON_TEST_LOG_DIR; every test
 * server logs at info into a file of its worker there, spawned children's output is appended
 * when they exit, and the secrets the suite makes are recorded in `secrets.txt`. At the end
 * of the run the globalSetup's teardown scans it all with `scanLogs`.
 */

export const LOG_ROOT = join(tmpdir(), "baton-test-logs");
export const SECRETS_FILE = "secrets.txt";

/** the run directory, or null when the suite runs without the globalSetup (then nothing is captured) */
export function logDir(): string | null {
  return process.env.BATON_TEST_LOG_DIR || null;
}

let serverFd: number | null = null;

/** A pino destination: the lines of every server of this worker, appended to `server-<pid>.log` (synchronous writes: nothing is lost when the worker exits). */
export function serverLogStream(): { write(line: string): void } | undefined {
  const dir = logDir();
  if (!dir) return undefined;
  return {
    write(line: string) {
      serverFd ??= openSync(join(dir, `server-${process.pid}.log`), "a");
      writeSync(serverFd, line);
    },
  };
}

/** Appends a spawned child's output, labelled, to `children-<pid>.log`. */
export function captureChildOutput(label: string, pid: number | undefined, stdout: string, stderr: string): void {
  const dir = logDir();
  if (!dir || (!stdout && !stderr)) return;
  const header = `### ${label} pid=${pid ?? "?"}`;
  appendFileSync(join(dir, `children-${process.pid}.log`), `${header} stdout\n${stdout}\n${header} stderr\n${stderr}\n`);
}

/** Records a secret value the suite made, so the scan looks for it verbatim. */
export function recordSecret(value: string | null | undefined): void {
  const dir = logDir();
  if (!dir || !value || value.length < 6) return;
  appendFileSync(join(dir, SECRETS_FILE), `${value.replace(/\n/g, " ")}\n`);
}

/** The formats of Baton's secrets, and the literal passwords of the tests. */
export const SECRET_PATTERNS: { name: string; pattern: RegExp }[] = [
  { name: "personal access token", pattern: /baton_pat_[A-Za-z0-9_-]{16,}/ },
  { name: "robot key", pattern: /baton_rk_[A-Za-z0-9_-]{16,}/ },
  { name: "client secret", pattern: /baton_cs_[A-Za-z0-9_-]{16,}/ },
  { name: "JWT", pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/ },
  { name: "session cookie", pattern: /baton_session=[^;\s",]{8,}/ },
  { name: "bearer credential", pattern: /\bBearer\s+[A-Za-z0-9_.~+/-]{20,}/ },
  { name: "test password", pattern: /test-password/ },
];

export interface Finding { file: string; line: number; kind: string; text: string }

/** `abcd…(40 chars)` instead of the value */
export function mask(value: string): string {
  return `${value.slice(0, Math.min(12, Math.floor(value.length / 3)))}…(${value.length} chars)`;
}

/**
 * Which lines of a captured file are logs: every line of a server's file; of a child's,
 * stderr, and the pino JSON lines and human log lines of stdout. The rest of a child's stdout is what a command
 * shows its user on purpose (the banner's admin token and password printed once at first
 * start, `baton tokens create` printing the new token): not a log.
 */
function logLines(file: string, text: string): { line: number; text: string }[] {
  const lines = text.split("\n");
  if (!file.startsWith("children-")) return lines.map((t, i) => ({ line: i + 1, text: t }));
  const out: { line: number; text: string }[] = [];
  let stream: "stdout" | "stderr" = "stdout";
  let inHumanLine = false;
  lines.forEach((t, i) => {
    const header = /^### .* (stdout|stderr)$/.exec(t);
    if (header) { stream = header[1] as "stdout" | "stderr"; inHumanLine = false; return; }
    // a human log line (BATON_LOG_FORMAT=human, `baton start`'s default), and the indented stack lines after it
    const human = HUMAN_LOG_LINE.test(t) || (inHumanLine && t.startsWith("    "));
    inHumanLine = human;
    if (stream === "stderr" || human || isPinoLine(t)) out.push({ line: i + 1, text: t });
  });
  return out;
}

/** `14:03:07.123 INFO  …` (src/http/humanLog.ts) */
const HUMAN_LOG_LINE = /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) /;

function isPinoLine(line: string): boolean {
  if (!line.startsWith("{")) return false;
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    return typeof v.level === "number" && typeof v.time === "number";
  } catch {
    return false;
  }
}

/** Scans log text for secrets: the patterns, and each recorded value verbatim. */
export function scanText(file: string, text: string, secrets: string[] = []): Finding[] {
  const findings: Finding[] = [];
  for (const { line, text: t } of logLines(file, text)) {
    if (!t) continue;
    let found: { kind: string; value: string } | null = null;
    for (const { name, pattern } of SECRET_PATTERNS) {
      const m = pattern.exec(t);
      if (m) { found = { kind: name, value: m[0] }; break; }
    }
    if (!found) {
      const s = secrets.find((x) => t.includes(x));
      if (s) found = { kind: "recorded secret", value: s };
    }
    if (found) findings.push({ file, line, kind: found.kind, text: t.split(found.value).join(mask(found.value)).slice(0, 400) });
  }
  return findings;
}

/** Scans every captured file of a run directory. */
export function scanLogs(dir: string): Finding[] {
  let secrets: string[] = [];
  try {
    secrets = [...new Set(readFileSync(join(dir, SECRETS_FILE), "utf8").split("\n").filter((s) => s.length >= 6))];
  } catch {
    // no secret recorded
  }
  const findings: Finding[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (file === SECRETS_FILE || !file.endsWith(".log")) continue;
    findings.push(...scanText(file, readFileSync(join(dir, file), "utf8"), secrets));
  }
  return findings;
}

export function newRunDir(): string {
  const dir = join(LOG_ROOT, `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** closes this worker's server log (tests that read it back) */
export function closeServerLog(): void {
  if (serverFd !== null) closeSync(serverFd);
  serverFd = null;
}
