import { describe, expect, it } from "vitest";
import { humanLine } from "../../src/http/humanLog.js";

/** BATON_LOG_FORMAT=human (issue 13, item 7): pino's JSON lines as one short line each. */

const at = new Date(2025, 0, 2, 14, 3, 7, 123).getTime();

describe("humanLine", () => {
  it("a completed request: time, level, method, the (already redacted) URL, status, whole milliseconds", () => {
    const json = JSON.stringify({ level: 30, time: at, pid: 1, hostname: "h", reqId: "r1", req: { id: "r1", method: "GET", url: "/default/T/orchestrator_/api/v1/jobs?limit=5&token=[redacted]" }, res: { statusCode: 200 }, responseTime: 3.46, msg: "request completed" });
    expect(humanLine(`${json}\n`)).toBe("14:03:07.123 INFO  GET /default/T/orchestrator_/api/v1/jobs?limit=5&token=[redacted] 200 3 ms\n");
  });

  it("an event: its message and its fields; an error's type and message, then its stack indented", () => {
    const warn = JSON.stringify({ level: 40, time: at, reqId: "r2", userName: "admin", address: "127.0.0.1", msg: "console login refused" });
    expect(humanLine(warn)).toBe('14:03:07.123 WARN  console login refused userName="admin" address="127.0.0.1"\n');
    const error = JSON.stringify({ level: 50, time: at, err: { type: "Error", message: "disk full", stack: "Error: disk full\n    at write (store.js:1:1)\n    at run (baton.js:2:2)" }, msg: "background work failed" });
    expect(humanLine(error)).toBe("14:03:07.123 ERROR background work failed Error: disk full\n    at write (store.js:1:1)\n    at run (baton.js:2:2)\n");
  });

  it("a line that is not JSON is written as it is", () => {
    expect(humanLine("plain text")).toBe("plain text\n");
  });
});
