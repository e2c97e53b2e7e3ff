/**
 * What the command line prints and how it ends: JSON for scripts (`--json`, one line per
 * document), aligned tables for people, errors as `error: <code>: <detail>` on stderr, and
 * the exit status:
 *
 * | status | meaning |
 * |--------|---------|
 * | 0      | success (the job ended Successful) |
 * | 1      | the job ended Faulted |
 * | 2      | the job ended Stopped |
 * | 3      | usage: unknown command or option, a bad argument, or a request the API refused as invalid (400, 405, 413) |
 * | 4      | any other failure: 401/403/404/409/5xx, network, timeout, no login |
 * | 130    | interrupted (Ctrl-C); the job, if one was created, goes on |
 */
import type { Command } from "commander";
import { AbortError, BatonApiError, BatonClientError, JobFaultedError, JobStoppedError, NetworkError, TimeoutError } from "../client/index.js";

export const EXIT = { ok: 0, faulted: 1, stopped: 2, usage: 3, failure: 4, interrupted: 130 } as const;

/** A failure the command line found itself; `code` is shown like an API problem's. */
export class CliError extends Error {
  constructor(readonly code: string, message: string, readonly exitCode: number = EXIT.failure, readonly extra: Record<string, unknown> = {}) {
    super(message);
    this.name = "CliError";
  }
}

/** `--timeout` ran out while the job went on: what it was doing, and how to look at it later. */
export class StillWaitingError extends CliError {
  constructor(readonly jobKey: string | null, readonly state: string | null, timeoutMs: number | null, idempotencyKey: string | null = null) {
    const after = timeoutMs === null ? "" : ` after ${seconds(timeoutMs)}`;
    super(
      "timeout",
      jobKey
        ? `the job ${jobKey} is still ${state ?? "not finished"}${after}; see \`baton jobs show ${jobKey}\``
        : `no answer${after}; the job, if one was created, goes on (baton jobs ls lists the newest first)`,
      EXIT.failure,
      { ...(jobKey ? { jobKey } : {}), ...(state ? { state } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) },
    );
    this.name = "StillWaitingError";
  }
}

/** `1 s`, `2.5 s`, `90 s`, `16 min` */
function seconds(ms: number): string {
  const s = ms / 1000;
  return s >= 120 && s % 60 === 0 ? `${s / 60} min` : `${Number(s.toFixed(1))} s`;
}

/** A bad argument: exit status 3. */
export class UsageError extends CliError {
  constructor(message: string, code = "invalid-argument") {
    super(code, message, EXIT.usage);
    this.name = "UsageError";
  }
}

/** One error, as the command line reports it. */
export interface Report {
  code: string;
  message: string;
  exitCode: number;
  /** More lines for people (violations, hints). */
  notes: string[];
  /** The machine-readable form (`--json`): written to stderr as `{ "error": … }`. */
  json: Record<string, unknown>;
}

/** Statuses whose problem means "the request, as typed, is wrong": the same command will fail again. */
const USAGE_STATUSES = new Set([400, 405, 413]);

export function describeError(err: unknown): Report {
  const report = describeOnly(err);
  // the key a failed invoke sent: the same command with --idempotency-key <it> cannot start a second job
  if (err instanceof BatonClientError && err.idempotencyKey) report.json.idempotencyKey = err.idempotencyKey;
  return report;
}

function describeOnly(err: unknown): Report {
  if (err instanceof JobFaultedError) {
    const message = `${err.error.code}: ${err.error.message} (job ${err.jobKey})`;
    return { code: err.code, message, exitCode: EXIT.faulted, notes: [], json: { code: err.code, message, jobKey: err.jobKey, state: "Faulted", jobError: err.error } };
  }
  if (err instanceof JobStoppedError) {
    return { code: err.code, message: err.message, exitCode: EXIT.stopped, notes: [], json: { code: err.code, message: err.message, jobKey: err.jobKey, state: "Stopped" } };
  }
  if (err instanceof BatonApiError) {
    const notes = err.violations.map((v) => `  ${v.path || "/"}: ${v.message}`);
    if (err.status === 401) notes.push("Check the token: baton login again, or set BATON_TOKEN.");
    const scopes = err.problem.requiredScope;
    if (err.status === 403 && (typeof scopes === "string" || Array.isArray(scopes))) notes.push(`The token needs the scope ${[scopes].flat().join(" or ")}.`);
    if (err.status === 403 && typeof err.problem.requiredPermission === "string") notes.push(`Your user needs the permission ${err.problem.requiredPermission} (baton users roles lists the roles that grant it).`);
    if (err.status >= 500 && err.requestId) notes.push(`Request id: ${err.requestId}`);
    if (err.jobKey) notes.push(`Job: ${err.jobKey}`);
    return {
      code: err.code,
      message: err.detail,
      exitCode: USAGE_STATUSES.has(err.status) ? EXIT.usage : EXIT.failure,
      notes,
      json: { code: err.code, message: err.detail, status: err.status, ...(err.violations.length ? { violations: err.violations } : {}), ...(err.jobKey ? { jobKey: err.jobKey } : {}), ...(err.requestId ? { requestId: err.requestId } : {}) },
    };
  }
  if (err instanceof AbortError) {
    const notes = err.jobKey ? [`Follow it with: baton jobs wait ${err.jobKey}    Stop it with: baton jobs stop ${err.jobKey}`] : [];
    return { code: err.code, message: err.message, exitCode: EXIT.interrupted, notes, json: { code: err.code, message: err.message, jobKey: err.jobKey } };
  }
  if (err instanceof BatonClientError) {
    const notes: string[] = [];
    if (err instanceof NetworkError) notes.push("Is Baton running there? The URL comes from BATON_URL or baton login.");
    if (err instanceof TimeoutError && err.jobKey) notes.push(`Follow it with: baton jobs wait ${err.jobKey}`);
    return { code: err.code, message: err.message, exitCode: EXIT.failure, notes, json: { code: err.code, message: err.message, ...(err.jobKey ? { jobKey: err.jobKey } : {}) } };
  }
  if (err instanceof CliError) {
    return { code: err.code, message: err.message, exitCode: err.exitCode, notes: [], json: { code: err.code, message: err.message, ...err.extra } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: "error", message, exitCode: EXIT.failure, notes: [], json: { code: "error", message } };
}

/** Writes the error to stderr (a JSON line with `--json`) and answers the exit status. */
export function reportError(err: unknown, json: boolean): number {
  const report = describeError(err);
  if (json) process.stderr.write(`${JSON.stringify({ error: report.json })}\n`);
  else process.stderr.write([`error: ${report.code}: ${report.message}`, ...report.notes].join("\n") + "\n");
  return report.exitCode;
}

/** stdout and stderr written out, then exit. */
export function exit(code: number): Promise<never> {
  return new Promise(() => {
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  });
}

/**
 * A command's action: runs it, reports what it throws, and exits with its status (the
 * action may answer one, e.g. 1 for a faulted job). The last argument commander passes is
 * the command, whose `--json` says how errors are written.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    // `baton jobs ls | head -1`: a reader that has gone is not an error
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(EXIT.ok);
      throw err;
    });
    const command = args[args.length - 1] as Command;
    const json = Boolean(command.opts().json);
    let code: number;
    try {
      code = (await fn(...args)) ?? EXIT.ok;
    } catch (err) {
      code = reportError(err, json);
    }
    await exit(code);
  };
}

export const print = (line = ""): void => void process.stdout.write(`${line}\n`);

/** One JSON document on one line. */
export const printJson = (value: unknown): void => print(JSON.stringify(value));

/** A note for people, on stderr (never mixed into what a script reads). */
export const note = (line: string): void => void process.stderr.write(`${line}\n`);

/** Columns aligned with two spaces between them; the last column is not padded. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(cell))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n");
}

/** Prints a table, or `empty` on stderr when there are no rows. */
export function printTable(headers: string[], rows: (string | number | null | undefined)[][], empty: string): void {
  if (rows.length === 0) note(empty);
  else print(table(headers, rows));
}

/** `label: value` lines, the values aligned. */
export function printFields(fields: [string, string | number | null | undefined][]): void {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  for (const [label, value] of fields) print(`${`${label}:`.padEnd(width)}  ${cell(value)}`);
}

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "-";
  return String(value).replace(/\s*[\r\n]+\s*/g, " ");
}

/** Cuts a long text to `max` characters with an ellipsis. */
export function truncate(text: string | null | undefined, max = 60): string | null {
  if (!text) return null;
  const flat = text.replace(/\s*[\r\n]+\s*/g, " ");
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** A timestamp in local time, `2024-05-01 14:03:07`. */
export function when(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `0.4s`, `12.3s`, `4m 05s`, `2h 01m` */
export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
