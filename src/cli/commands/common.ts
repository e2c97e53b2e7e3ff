import type { Command } from "commander";
import { BatonClient, TimeoutError, type Arguments, type OnState } from "../../client/index.js";
import { resolveLogin } from "../config.js";
import { EXIT, note, printJson, StillWaitingError } from "../output.js";
import { Spinner } from "../spinner.js";

/** Options every client command has. */
export interface JsonOption {
  json?: boolean;
}

/** `--json`, on every client command. */
export function jsonOption(command: Command): Command {
  return command.option("--json", "machine-readable output only: JSON on stdout, errors as JSON on stderr");
}

/** A client of the tenant the environment or the stored login names. */
export function connect(options: { timeoutMs?: number } = {}): BatonClient {
  const login = resolveLogin();
  return new BatonClient({ url: login.url, token: login.token, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
}

/** An AbortSignal that Ctrl-C (SIGINT) and SIGTERM fire: the call rejects with AbortError and the command exits 130. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const abort = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", abort);
  process.once("SIGTERM", abort);
  return controller.signal;
}

/** The spinner, when stderr is a terminal and the output is for people; otherwise null. */
export function spinnerFor(json: boolean | undefined, initialState: string): Spinner | null {
  if (json || !process.stderr.isTTY) return null;
  return new Spinner(process.stderr, initialState).start();
}

/**
 * Follows a call to the job's result with a spinner on a terminal, prints the output JSON on
 * stdout, and answers the exit status; a faulted or stopped job throws (exit 1 or 2).
 */
export async function followResult(
  json: boolean | undefined,
  call: (onState: OnState) => Promise<Arguments | undefined>,
  initialState: string,
): Promise<number> {
  const spinner = spinnerFor(json, initialState);
  let jobKey: string | null = null;
  let lastState: string | null = null;
  try {
    let output: Arguments | undefined;
    try {
      output = await call((state, _elapsedMs, detail) => {
        // LongPolling learns the job's key only from its first 303: say it at once, so that
        // a Ctrl-C, a lost connection or a closed terminal later does not lose it
        if (detail.callMode === "LongPolling" && !json && detail.jobKey && !jobKey) {
          const line = `Job ${detail.jobKey}: waiting for its result (Ctrl-C stops the waiting, not the job).`;
          if (spinner) spinner.note(line);
          else note(line);
        }
        jobKey = detail.jobKey ?? jobKey;
        lastState = state;
        spinner?.update(state, detail);
      });
    } catch (err) {
      if (err instanceof TimeoutError) throw new StillWaitingError(err.jobKey ?? jobKey, lastState, err.timeoutMs, err.idempotencyKey);
      throw err;
    }
    spinner?.stop();
    if (output === undefined) {
      if (spinner) note(`Stored (FireAndForget): no output comes back. ${spinnerTime(spinner)}`);
    } else {
      if (spinner) note(`Successful ${spinnerTime(spinner)}${jobKey ? `  job ${jobKey}` : ""}`);
      printJson(output);
    }
    return EXIT.ok;
  } finally {
    spinner?.stop();
  }
}

const spinnerTime = (spinner: Spinner): string => `after ${(spinner.elapsed() / 1000).toFixed(1)}s`;

/** Folder names by key, for tables; empty when the token may not read folders (keys are shown instead). */
export async function folderNames(client: BatonClient): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  try {
    for await (const folder of client.folders.iterate()) names.set(folder.key, folder.name);
  } catch {
    // a token that may not read folders: keys instead of names
  }
  return names;
}
