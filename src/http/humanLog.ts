/**
 * Logs for people (`BATON_LOG_FORMAT=human`, the default of `baton start`): a pino
 * destination that turns each JSON line pino writes into one short line,
 *
 *     14:03:07.123 INFO  POST /default/DefaultTenant/orchestrator_/t/…/echo 202 3 ms
 *     14:03:09.481 WARN  console login refused userName="admin" address="127.0.0.1" code="invalid-credentials"
 *
 * A request is one line (method, URL, status, time) written when it completes; an error's
 * stack follows its line, indented. It prints the fields the JSON line has and nothing
 * more: the URL is the request serializer's, query values redacted (server.ts,
 * `redactUrl`), and headers and bodies are not in the line, so the rules of
 * docs/deployment.md "Secrets in logs" hold for both formats.
 */

export type LogFormat = "json" | "human";

export const LOG_FORMATS: readonly LogFormat[] = ["json", "human"];

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/** Fields every line has, or that the line shows in its own way. */
const SHOWN = new Set(["level", "time", "pid", "hostname", "msg", "reqId", "req", "res", "responseTime", "err"]);

/** A pino destination writing human lines to `out` (stdout unless given). */
export function humanLogStream(out: { write(text: string): void } = process.stdout): { write(line: string): void } {
  return {
    write(line: string) {
      out.write(humanLine(line));
    },
  };
}

/** One pino JSON line → its human form (with its trailing newline). A line that is not JSON is written as it is. */
export function humanLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const level = LEVELS[entry.level as number] ?? String(entry.level);
  const head = `${clock(entry.time)} ${level.padEnd(5)}`;
  const req = entry.req as { method?: unknown; url?: unknown } | undefined;
  const res = entry.res as { statusCode?: unknown } | undefined;
  const parts = [head];
  if (req && res && typeof entry.responseTime === "number") {
    parts.push(`${String(req.method)} ${String(req.url)} ${String(res.statusCode)} ${Math.round(entry.responseTime)} ms`);
  } else {
    if (typeof entry.msg === "string") parts.push(entry.msg);
    if (req) parts.push(`${String(req.method)} ${String(req.url)}`);
  }
  for (const [key, value] of Object.entries(entry)) {
    if (!SHOWN.has(key) && value !== undefined) parts.push(`${key}=${typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value)}`);
  }
  const err = entry.err as { type?: unknown; message?: unknown; stack?: unknown } | undefined;
  let stack = "";
  if (err && typeof err === "object") {
    parts.push(`${typeof err.type === "string" ? err.type : "Error"}: ${String(err.message)}`);
    if (typeof err.stack === "string") {
      // the first line of a stack repeats the message
      stack = err.stack.split("\n").slice(1).map((l) => `    ${l.trim()}\n`).join("");
    }
  }
  return `${parts.filter((p) => p !== "").join(" ")}\n${stack}`;
}

/** `14:03:07.123`, local time */
function clock(time: unknown): string {
  const d = typeof time === "number" ? new Date(time) : new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
