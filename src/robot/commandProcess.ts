import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ProcessHandler } from "./RobotRuntime.js";

export interface CommandSpec {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutSeconds: number | null;
  /** exit codes that mean trying again cannot help: the failure is reported with retryable false */
  noRetryExitCodes?: number[];
}

const STDERR_TAIL_LINES = 20;

const failure = (code: string, message: string, details?: unknown, retryable?: false) =>
  Object.assign(new Error(message), { code, details }, retryable === false ? { retryable } : {});

/**
 * A process run as a command, in any language (SPEC §3): input arguments as JSON on stdin
 * and in BATON_INPUT_FILE; output arguments are the JSON object written to
 * BATON_OUTPUT_FILE (absent or empty: {}); exit code 0 → Successful, otherwise a failure
 * ProcessExitCode with the tail of stderr (retried per the process's policy, unless the code
 * is one of `noRetryExitCodes`); stdout and stderr lines become job logs.
 * SoftStop sends SIGTERM, Kill (or the grace ending) SIGKILL, to the whole process group.
 */
export function commandProcess(spec: CommandSpec): ProcessHandler {
  return async (input, ctx) => {
    const dir = await mkdtemp(join(tmpdir(), "baton-job-"));
    const inputFile = join(dir, "input.json");
    const outputFile = join(dir, "output.json");
    const inputText = JSON.stringify(input);
    await writeFile(inputFile, inputText);
    try {
      const { code, signal, timedOut, stderrTail } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stderrTail: string[] }>((resolve, reject) => {
        const child = spawn(spec.command[0]!, spec.command.slice(1), {
          cwd: spec.cwd,
          env: {
            ...process.env, ...spec.env,
            BATON_INPUT_FILE: inputFile, BATON_OUTPUT_FILE: outputFile, BATON_JOB_KEY: ctx.job.key, BATON_PROCESS_NAME: ctx.job.processName,
          },
          stdio: ["pipe", "pipe", "pipe"],
          detached: true,
        });
        const tail: string[] = [];
        let timedOut = false;
        const signalGroup = (sig: NodeJS.Signals) => {
          if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
          try { process.kill(-child.pid, sig); } catch { try { child.kill(sig); } catch { /* already gone */ } }
        };
        const onStop = () => signalGroup("SIGTERM");
        const onKill = () => signalGroup("SIGKILL");
        ctx.signal.addEventListener("abort", onStop, { once: true });
        ctx.killSignal.addEventListener("abort", onKill, { once: true });
        const timer = spec.timeoutSeconds ? setTimeout(() => { timedOut = true; signalGroup("SIGKILL"); }, spec.timeoutSeconds * 1000) : null;

        child.stdin.on("error", () => { /* a command that does not read stdin closes it early */ });
        child.stdin.end(inputText);
        createInterface({ input: child.stdout }).on("line", (line) => ctx.log(line, "info"));
        createInterface({ input: child.stderr }).on("line", (line) => {
          ctx.log(line, "error");
          tail.push(line);
          if (tail.length > STDERR_TAIL_LINES) tail.shift();
        });
        child.once("error", (err) => {
          if (timer) clearTimeout(timer);
          reject(failure("ProcessStartFailed", `Could not start ${spec.command[0]}: ${err.message}`));
        });
        child.once("close", (code, signal) => {
          if (timer) clearTimeout(timer);
          ctx.signal.removeEventListener("abort", onStop);
          ctx.killSignal.removeEventListener("abort", onKill);
          resolve({ code, signal, timedOut, stderrTail: tail });
        });
      });
      if (timedOut) throw failure("Timeout", `The command ran past its timeout of ${spec.timeoutSeconds} s and was killed.`, { stderrTail: stderrTail.join("\n") });
      if (code !== 0) {
        const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
        const last = stderrTail.length ? `: ${stderrTail[stderrTail.length - 1]}` : "";
        const final = code !== null && (spec.noRetryExitCodes ?? []).includes(code) ? false : undefined;
        throw failure("ProcessExitCode", `The command ${how}${last}`, { exitCode: code, signal, stderrTail: stderrTail.join("\n") }, final);
      }
      return await readOutput(outputFile);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

async function readOutput(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return {};
  }
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw failure("InvalidOutput", `BATON_OUTPUT_FILE does not hold valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw failure("InvalidOutput", "BATON_OUTPUT_FILE must hold a JSON object.");
  return value as Record<string, unknown>;
}
