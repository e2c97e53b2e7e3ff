import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, signedHeaders } from "../src/core/webhooks/signature.js";

/** The receiver code of docs/webhooks.md, run against signatures Baton makes. */
const doc = readFileSync(join(__dirname, "..", "docs", "webhooks.md"), "utf8");
const block = (lang: string) => {
  const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(doc);
  if (!m) throw new Error(`no ${lang} block in docs/webhooks.md`);
  return m[1]!;
};

const secret = newWebhookSecret();
const previous = newWebhookSecret();
const body = JSON.stringify({ type: "job.completed", timestamp: "2026-12-07T01:02:03.456Z", data: { job: { key: "k", note: "é ✓" } } });
const now = 1_800_000_000;
const headers = signedHeaders([secret, previous], "msg_1", now, body);

describe("docs/webhooks.md receivers", () => {
  it("Node: accepts Baton's signature with either secret, refuses a changed body, another secret or an old timestamp", () => {
    const code = block("js").split("// with node:http")[0]!;
    const verify = new Function("require", `${code}; return verifyBatonWebhook;`)(require) as (s: string, h: Record<string, string>, b: string, n?: number) => boolean;
    expect(verify(secret, headers, body, now)).toBe(true);
    expect(verify(previous, headers, body, now)).toBe(true);
    expect(verify(secret, headers, `${body} `, now)).toBe(false);
    expect(verify(newWebhookSecret(), headers, body, now)).toBe(false);
    expect(verify(secret, headers, body, now + 301)).toBe(false);
  });

  it("Python: the same", () => {
    const script = `${block("python")}
import json, sys
h = json.loads(sys.argv[1]); body = sys.argv[2].encode(); now = int(sys.argv[3])
print(json.dumps([verify_baton_webhook(sys.argv[4], h, body, now), verify_baton_webhook(sys.argv[5], h, body, now),
  verify_baton_webhook(sys.argv[4], h, body + b" ", now), verify_baton_webhook(sys.argv[4], h, body, now + 301)]))
`;
    const out = execFileSync("python3", ["-c", script, JSON.stringify(headers), body, String(now), secret, previous], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual([true, true, false, false]);
  });
});
