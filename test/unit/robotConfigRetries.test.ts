import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commandProcess } from "../../src/robot/commandProcess.js";
import { loadRobotConfig, RobotConfigError } from "../../src/robot/config.js";
import type { JobContext } from "../../src/robot/RobotRuntime.js";

/** A command's `noRetryExitCodes` (SPEC §8): read from the robot config, and what a failing command throws. */

function config(processes: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), "baton-config-")), "robot.json");
  writeFileSync(file, JSON.stringify({ orchestrator: ["http://127.0.0.1:1/default/DefaultTenant"], key: "k", processes }));
  return file;
}

const ctx = (): JobContext => ({
  job: { key: "00000000-0000-4000-8000-000000000001", folderKey: "f", processName: "P", inputArguments: {}, attempt: 1, priority: "Normal", callMode: "AsyncRequestReply", createdAt: "", deadlineAt: null },
  signal: new AbortController().signal, killSignal: new AbortController().signal, log: () => {},
});

describe("noRetryExitCodes", () => {
  it("is read from a command's config (default none); anything but a list of exit codes 1-255 is refused", () => {
    const ok = loadRobotConfig(config({ A: { command: ["true"], noRetryExitCodes: [2, 64] }, B: { command: ["true"] } }), {});
    expect(ok.processes.A).toMatchObject({ noRetryExitCodes: [2, 64] });
    expect(ok.processes.B).toMatchObject({ noRetryExitCodes: [] });
    for (const bad of [[0], [256], ["2"], 2, [1.5]]) {
      expect(() => loadRobotConfig(config({ A: { command: ["true"], noRetryExitCodes: bad } }), {})).toThrow(RobotConfigError);
    }
    expect(() => loadRobotConfig(config({ A: { command: ["true"], noRetryExitCodes: [0] } }), {}))
      .toThrow("processes.A.noRetryExitCodes must be a list of exit codes (integers from 1 to 255)");
  });

  it("an exit code in the list fails with retryable false; any other with nothing said (retried)", async () => {
    const run = async (code: number) => commandProcess({ command: ["sh", "-c", `exit ${code}`], cwd: tmpdir(), env: {}, timeoutSeconds: null, noRetryExitCodes: [4] })({}, ctx());
    await expect(run(4)).rejects.toMatchObject({ code: "ProcessExitCode", retryable: false, details: { exitCode: 4 } });
    const other = await run(3).catch((err: unknown) => err as Record<string, unknown>);
    expect(other).toMatchObject({ code: "ProcessExitCode", details: { exitCode: 3 } });
    expect(other?.retryable).toBeUndefined();
  });
});
