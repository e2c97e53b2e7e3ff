/**
 * docs/client.md and examples/client/*.ts: every example is in the doc verbatim, every ts
 * block of the doc is an example, the examples type-check against the client, and each
 * runs (as the doc says to run it, with tsx) against a real Baton, BATON_URL and
 * BATON_TOKEN in its environment.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBaton, TEST_STORE, type TestBaton } from "./helpers/baton.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..");
const EXAMPLES = join(ROOT, "examples/client");
const TSX = join(ROOT, "node_modules/tsx/dist/cli.mjs");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

const doc = readFileSync(join(ROOT, "docs/client.md"), "utf8");
const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith(".ts")).sort();
const tsBlocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** What each example must print: the lines that show it did what the doc says. */
const EXPECTED: Record<string, RegExp[]> = {
  "invoke.ts": [/^LongPolling: \{"greeting":"hello"\}$/m, /^ {2}Pending after \d+ ms$/m, /^ {2}Running after \d+ ms$/m, /^AsyncRequestReply: \{"sleptSeconds":1.5\}$/m, /^FireAndForget: stored$/m, /^slept 0.1$/m],
  "errors.ts": [/^Faulted: DemoFailure: out of paper \(job [0-9a-f-]{36}\)$/m, /^Stopped: job [0-9a-f-]{36}$/m, /^API error: 404 trigger-not-found$/m, /^Timed out: timeout$/m],
  "manage.ts": [/^invoke URL: http:\/\/.*\/t\/[0-9a-f-]{36}\/greet-\w+$/m, /^output: \{"greeting":"hello","name":"Ada"\}$/m, /^job [0-9a-f-]{36}: Successful, /m, /^started: \{"name":"Grace"\}$/m, /^longPollTimeoutSeconds: 50$/m],
  "tokens.ts": [/^output: \{"invoice":42\}$/m, /^revoked: 401 unauthorized$/m],
};

let b: TestBaton;
beforeAll(async () => { b = await startTestBaton(); });
afterAll(async () => { await b?.close(); });

describe("docs/client.md", () => {
  it("includes every example verbatim, after a comment naming its file", () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const file of examples) {
      const text = readFileSync(join(EXAMPLES, file), "utf8");
      expect(doc, `docs/client.md lacks examples/client/${file}`).toContain(`<!-- examples/client/${file} -->\n\`\`\`ts\n${text}\`\`\``);
    }
  });

  it("has no ts block that is not a tested example", () => {
    const texts = examples.map((f) => readFileSync(join(EXAMPLES, f), "utf8"));
    for (const block of tsBlocks) expect(texts, `an untested ts block:\n${block}`).toContain(block);
    expect(Object.keys(EXPECTED).sort()).toEqual(examples);
  });

  // the compiler checks the examples against the client's types (tsx does not)
  it.skipIf(TEST_STORE === "postgres")("type-checks the examples", async () => {
    await run(process.execPath, [TSC, "-p", join(EXAMPLES, "tsconfig.json")], { cwd: ROOT });
  });

  it.each(examples)("runs examples/client/%s", async (file) => {
    const { stdout, stderr } = await run(process.execPath, [TSX, "--tsconfig", join(EXAMPLES, "tsconfig.json"), join(EXAMPLES, file)], {
      cwd: ROOT,
      env: { ...process.env, BATON_URL: b.tenantUrl, BATON_TOKEN: b.token },
      timeout: 60_000,
    }).catch((err) => { throw new Error(`${file} failed: ${err.message}\n${err.stdout}\n${err.stderr}`); });
    expect(stderr).toBe("");
    for (const line of EXPECTED[file]!) expect(stdout).toMatch(line);
  });
});
