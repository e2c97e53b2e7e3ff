import { InvalidArgumentError, Option, type Command } from "commander";
import { PRIORITIES, type Priority, type Process, type ProcessInput, type ProcessPatch } from "../../client/index.js";
import { collect, findFolder, integer, jsonObject, parseArguments } from "../args.js";
import { action, print, printJson, printTable, truncate } from "../output.js";
import { connect, jsonOption, type JsonOption } from "./common.js";

interface CreateOptions extends JsonOption {
  folder: string;
  description?: string;
  priority?: Priority;
  maxDuration?: number;
  maxAttempts?: number;
  backoff?: number;
  backoffType?: "Fixed" | "Exponential";
  maxBackoff?: number;
  jitter?: boolean;
  arg?: string[];
  jsonArgs?: string;
  inputSchema?: string;
  outputSchema?: string;
}

/** The body's `retry` from the options given, if any: each option left out keeps the default. */
function retryInput(opts: CreateOptions): Pick<ProcessInput, "retry"> {
  const backoff = {
    ...(opts.backoffType ? { type: opts.backoffType } : {}),
    ...(opts.backoff !== undefined ? { delaySeconds: opts.backoff } : {}),
    ...(opts.maxBackoff !== undefined ? { maxDelaySeconds: opts.maxBackoff } : {}),
    ...(opts.jitter ? { jitter: true } : {}),
  };
  const retry = {
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    ...(Object.keys(backoff).length ? { backoff } : {}),
  };
  return Object.keys(retry).length ? { retry } : {};
}

/** the concurrency limits' options, on create and on update ("none" clears one) */
interface LimitOptions {
  maxConcurrent?: number | typeof NONE;
  concurrencyKey?: string;
  maxPerKey?: number | typeof NONE;
}

/** "none" on the command line: no limit (commander would turn a parser's null into "") */
const NONE = "none";
const isNone = (value: string) => value.trim().toLowerCase() === NONE;
const orNull = <T>(value: T | typeof NONE): T | null => (value === NONE ? null : value);

/** 1-10000, or "none" */
const limit = (value: string): number | typeof NONE => {
  if (isNone(value)) return NONE;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n < 1 || n > 10_000) throw new InvalidArgumentError("Expected a whole number from 1 to 10000, or none.");
  return n;
};

function withLimitOptions(command: Command): Command {
  return command
    .option("--max-concurrent <n|none>", "at most this many of its jobs run at once, across all robots and nodes", limit)
    .option("--concurrency-key <pointer|none>", "a JSON Pointer into the input arguments (such as /customerId) that groups jobs for --max-per-key")
    .option("--max-per-key <n|none>", "at most this many jobs with the same --concurrency-key value run at once", limit);
}

function limitFields(opts: LimitOptions): Pick<ProcessPatch, "maxConcurrentJobs" | "concurrencyKey" | "maxConcurrentJobsPerKey"> {
  return {
    ...(opts.maxConcurrent !== undefined ? { maxConcurrentJobs: orNull(opts.maxConcurrent) } : {}),
    ...(opts.concurrencyKey !== undefined ? { concurrencyKey: isNone(opts.concurrencyKey) ? null : opts.concurrencyKey } : {}),
    ...(opts.maxPerKey !== undefined ? { maxConcurrentJobsPerKey: orNull(opts.maxPerKey) } : {}),
  };
}

/** "5", "5, 1 per /customerId", "1 per /customerId", or nothing */
export function describeLimits(p: Pick<Process, "maxConcurrentJobs" | "concurrencyKey" | "maxConcurrentJobsPerKey">): string | null {
  const parts = [
    p.maxConcurrentJobs != null ? String(p.maxConcurrentJobs) : null,
    p.maxConcurrentJobsPerKey != null ? `${p.maxConcurrentJobsPerKey} per ${p.concurrencyKey}` : null,
  ].filter((x) => x !== null);
  return parts.length ? parts.join(", ") : null;
}

/** `baton processes ls|create|update|rm` */
export function registerProcesses(program: Command): void {
  const processes = program.command("processes").description("processes (what robots run), per folder: list, create, update limits, remove");

  jsonOption(processes.command("ls").alias("list").description("a folder's processes").option("-f, --folder <name|key>", "the folder", "Shared"))
    .action(action(async (opts: JsonOption & { folder: string }) => {
      const client = connect();
      const folder = await findFolder(client, opts.folder);
      const items: Process[] = [];
      for await (const p of client.processes.iterate(folder.key)) items.push(p);
      if (opts.json) return printJson(items);
      printTable(
        ["NAME", "PRIORITY", "MAX DURATION", "ATTEMPTS", "AT ONCE", "DESCRIPTION"],
        items.map((p) => [p.name, p.priority, p.maxDurationSeconds === null ? null : `${p.maxDurationSeconds}s`, p.retry.maxAttempts, describeLimits(p), truncate(p.description, 60)]),
        `No processes in ${folder.name}.`,
      );
    }));

  jsonOption(withLimitOptions(
    processes
      .command("create")
      .description("create a process; a robot that serves its name runs its jobs")
      .argument("<name>", "the process's name, unique in its folder")
      .option("-f, --folder <name|key>", "the folder", "Shared")
      .option("-d, --description <text>", "what it does")
      .addOption(new Option("--priority <priority>", "its jobs' priority (default Normal)").choices(PRIORITIES))
      .option("--max-duration <seconds>", "a run longer than this is killed and ends Faulted", integer(1))
      .option("--max-attempts <n>", "total attempts: a failed or lost attempt is retried while some remain (default 1: no retry)", integer(1, 100))
      .option("--backoff <seconds>", "the wait before the second attempt (default 5)", integer(0))
      .addOption(new Option("--backoff-type <type>", "Exponential (the wait doubles after each attempt; default) or Fixed").choices(["Fixed", "Exponential"]))
      .option("--max-backoff <seconds>", "no wait is longer (default 3600)", integer(0))
      .option("--jitter", "draw each wait at random between half of it and all of it")
      .option("-a, --arg <key=value>", "a default input argument, parsed like invoke's -a (repeatable)", collect, [])
      .option("--json-args <json>", "default input arguments as a JSON object, @file or @-")
      .option("--input-schema <json>", "a JSON Schema the input arguments must match (JSON, @file or @-)")
      .option("--output-schema <json>", "a JSON Schema the output arguments must match (JSON, @file or @-)"),
  )).action(action(async (name: string, opts: CreateOptions & LimitOptions) => {
    const defaults = parseArguments(opts.arg, opts.jsonArgs);
    const input: ProcessInput = {
      name,
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      ...(opts.priority ? { priority: opts.priority } : {}),
      ...(opts.maxDuration !== undefined ? { maxDurationSeconds: opts.maxDuration } : {}),
      ...retryInput(opts),
      ...(Object.keys(defaults).length ? { defaultInputArguments: defaults } : {}),
      ...(opts.inputSchema ? { inputSchema: jsonObject(opts.inputSchema, "--input-schema") } : {}),
      ...(opts.outputSchema ? { outputSchema: jsonObject(opts.outputSchema, "--output-schema") } : {}),
      ...limitFields(opts),
    };
    const client = connect();
    const folder = await findFolder(client, opts.folder);
    const created = await client.processes.create(folder.key, input);
    if (opts.json) return printJson(created);
    print(`Created process ${created.name} in ${folder.name}.`);
  }));

  jsonOption(withLimitOptions(
    processes
      .command("update")
      .description("change a process's concurrency limits (\"none\" removes one)")
      .argument("<name>", "the process's name")
      .option("-f, --folder <name|key>", "the folder", "Shared"),
  )).action(action(async (name: string, opts: JsonOption & LimitOptions & { folder: string }) => {
    const client = connect();
    const folder = await findFolder(client, opts.folder);
    const updated = await client.processes.update(folder.key, name, limitFields(opts));
    if (opts.json) return printJson(updated);
    print(`Updated process ${updated.name} in ${folder.name}: ${describeLimits(updated) ?? "no concurrency limit"}.`);
  }));

  jsonOption(
    processes
      .command("rm")
      .alias("delete")
      .description("remove a process (refused while API triggers start it)")
      .argument("<name>", "the process's name")
      .option("-f, --folder <name|key>", "the folder", "Shared"),
  ).action(action(async (name: string, opts: JsonOption & { folder: string }) => {
    const client = connect();
    const folder = await findFolder(client, opts.folder);
    const removed = await client.processes.get(folder.key, name);
    await client.processes.delete(folder.key, name);
    if (opts.json) return printJson({ deleted: removed });
    print(`Removed process ${name} from ${folder.name}.`);
  }));
}
