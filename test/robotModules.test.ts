import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";
import { cleanupChildren, repoRoot, tempDir } from "./helpers/child.js";
import { cleanupRobots, createJob, createProcess, createRobotKey, spawnRobot, startRobot, waitForJob, type Orchestrator } from "./helpers/robot.js";

/**
 * TypeScript modules wherever they are (issue 13, item 8): a `.ts` module in a folder outside
 * the repository, with no package.json saying `"type": "module"` beside it, is CommonJS to
 * Node; `baton robot` still transforms it (tsx) instead of crashing on its first type. A
 * module that does not load makes the robot exit 3 with a message naming the file and the process.
 */

let b: TestBaton;
let o: Orchestrator;

beforeAll(async () => {
  b = await startTestBaton({}, { demo: false });
  o = { tenantUrl: b.tenantUrl, base: b.base, token: b.token, folderKey: b.sharedKey };
});

afterAll(async () => {
  await cleanupRobots();
  await cleanupChildren();
  await b?.close();
}, 30_000);

describe("baton robot and TypeScript modules outside the repository", () => {
  it("runs a .ts module with a type annotation and an interface, in a folder with no package.json", async () => {
    const dir = tempDir("baton-ts-module-");
    expect(dir.startsWith(repoRoot)).toBe(false);
    const file = join(dir, "greet.ts");
    writeFileSync(file, [
      "interface Ctx { job: { key: string }; log(message: string): void }",
      "interface Input { name?: string }",
      "export default async function greet(input: Input, ctx: Ctx): Promise<{ greeting: string; jobKey: string }> {",
      "  const name: string = input.name ?? \"world\";",
      "  ctx.log(`greeting ${name}`);",
      "  return { greeting: `hello ${name}`, jobKey: ctx.job.key };",
      "}",
      "",
    ].join("\n"));
    await createProcess(o, "Greet");
    await startRobot(o, { name: "ts-outside", processes: { Greet: { module: file } } }, { key: await createRobotKey(o, "ts-outside") });
    const job = await waitForJob(o, (await createJob(o, "Greet", { name: "Ada" })).key);
    expect(job.state, JSON.stringify(job.error)).toBe("Successful");
    expect(job.outputArguments).toEqual({ greeting: "hello Ada", jobKey: job.key });
  });

  it("a module with a syntax error: exit 3, and the message names the file and the process", async () => {
    const dir = tempDir("baton-ts-module-");
    const file = join(dir, "broken.ts");
    writeFileSync(file, "export default async (input: unknown) => { const x: number = ; return { x } };\n");
    const config = join(dir, "robot.json");
    writeFileSync(config, JSON.stringify({ orchestrator: [o.tenantUrl], key: await createRobotKey(o, "ts-broken"), name: "ts-broken", processes: { Broken: { module: file } } }));
    const robot = spawnRobot("ts-broken", config);
    expect(await robot.exited).toEqual({ code: 3, signal: null });
    expect(robot.stderr()).toContain(`Cannot load the module of process Broken, ${file}:`);
    expect(robot.stderr()).toContain(`${file}:1:`);
  });
});
