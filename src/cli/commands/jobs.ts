import { InvalidArgumentError, type Command } from "commander";
import { isFinalJobState, JOB_STATES, type Arguments, type Job, type JobFilter, type JobListItem, type JobLogLine, type JobState, type PendingReason } from "../../client/index.js";
import { findFolder, findTrigger, integer, seconds } from "../args.js";
import { action, duration, note, print, printFields, printJson, printTable, truncate, when } from "../output.js";
import { connect, folderNames, followResult, interruptSignal, jsonOption, type JsonOption } from "./common.js";

interface LsOptions extends JsonOption {
  state?: string[];
  process?: string;
  trigger?: string;
  folder?: string;
  limit: number;
  all?: boolean;
  quiet?: boolean;
}

/** `baton jobs ls|show|stop|kill|logs|wait` */
export function registerJobs(program: Command): void {
  const jobs = program.command("jobs").description("list jobs, show one, stop or kill it, read or follow its logs, wait for its result");

  jsonOption(
    jobs
      .command("ls")
      .alias("list")
      .description("the newest jobs first, with filters")
      .option("-s, --state <states>", `only jobs in these states (comma-separated or repeated): ${JOB_STATES.join(", ")}`, collectStates, [])
      .option("-p, --process <name>", "only jobs of this process")
      .option("-t, --trigger <slug|id>", "only jobs this API trigger created")
      .option("-f, --folder <name|key>", "only jobs of this folder")
      .option("-n, --limit <n>", "at most this many jobs", integer(1, 1000), 20)
      .option("--all", "every matching job, page after page (no limit)")
      .option("-q, --quiet", "only the job keys, one a line"),
  ).action(action(async (opts: LsOptions) => {
    const client = connect();
    const filter: JobFilter = {};
    if (opts.state?.length) filter.state = opts.state as JobState[];
    if (opts.process) filter.processName = opts.process;
    if (opts.trigger) filter.triggerId = (await findTrigger(client, opts.trigger)).id;
    if (opts.folder) filter.folderKey = (await findFolder(client, opts.folder)).key;
    let items: JobListItem[];
    let more = false;
    if (opts.all) {
      items = [];
      for await (const job of client.jobs.iterate({ ...filter, limit: 200 })) items.push(job);
    } else {
      // a page of a filter combination may be short, even empty, with more below it (the
      // server looks at a bounded number of jobs a page): pages are followed until the limit is reached
      items = [];
      let cursor: string | undefined;
      const seen = new Set<string>();
      do {
        const page = await client.jobs.list({ ...filter, limit: opts.limit - items.length, ...(cursor ? { cursor } : {}) });
        items.push(...page.items);
        // (an empty cursor ends the list, as for the client's iterate())
        cursor = page.nextCursor || undefined;
        // a server that hands out the same cursor twice would loop forever (as the client's iterate() checks)
        if (cursor !== undefined && seen.has(cursor)) throw new Error(`The job list handed out the cursor ${cursor} twice.`);
        if (cursor !== undefined) seen.add(cursor);
      } while (cursor && items.length < opts.limit);
      more = cursor !== undefined;
    }
    if (opts.json) return printJson(items);
    if (opts.quiet) return items.forEach((job) => print(job.key));
    const folders = await folderNames(client);
    printTable(
      ["KEY", "STATE", "PROCESS", "FOLDER", "CREATED", "DURATION", "INFO"],
      items.map((j) => [j.key, j.pendingReason ? `${j.state} (${j.pendingReason})` : j.state, j.processName, folders.get(j.folderKey) ?? j.folderKey, when(j.createdAt), jobDuration(j), truncate(j.info, 50)]),
      "No jobs.",
    );
    if (more) note(`(the ${items.length} newest; --limit N or --all for more)`);
  }));

  jsonOption(jobs.command("show").description("a job's details: state, arguments, output or error").argument("<key>", "the job's key"))
    .action(action(async (key: string, opts: JsonOption) => {
      const client = connect();
      const job = await client.jobs.get(key);
      if (opts.json) return printJson(job);
      const folders = await folderNames(client);
      printFields([
        ["Key", job.key],
        ["State", job.state],
        ...(job.pendingReason ? [["Waiting", PENDING_REASON_TEXT[job.pendingReason]] as [string, string]] : []),
        ["Process", job.processName],
        ["Folder", folders.get(job.folderKey) ?? job.folderKey],
        ["Source", job.source + (job.triggerId ? ` (trigger ${job.triggerId})` : "")],
        ["Call mode", job.callMode],
        ["Priority", job.priority],
        ["Robot", job.robot],
        ["Attempt", job.attempt],
        ["Created", when(job.createdAt)],
        ["Started", when(job.startedAt)],
        ["Ended", when(job.endedAt)],
        ["Duration", jobDuration(job)],
        ["Info", job.info],
        ["Input", JSON.stringify(job.inputArguments)],
        ["Output", job.outputArguments ? JSON.stringify(job.outputArguments) : null],
        ["Error", job.error ? `${job.error.code}: ${job.error.message}${job.error.retryable === false ? " (not retryable)" : ""}` : null],
        // only while the job waits out a retry's backoff
        ...(job.retryAt ? [["Retrying at", when(job.retryAt)] as [string, string]] : []),
      ]);
      // every attempt, when there was more than one run (or one handed back)
      if (job.attempts.length > 1 || job.retryAt) {
        print("");
        printTable(
          ["ATTEMPT", "ROBOT", "STARTED", "ENDED", "OUTCOME", "ERROR"],
          job.attempts.map((a) => [a.attempt, a.robot, when(a.startedAt), when(a.endedAt), a.outcome, a.error ? truncate(`${a.error.code}: ${a.error.message}`, 60) : null]),
          "No attempts.",
        );
      }
    }));

  for (const [name, strategy, description] of [
    ["stop", "SoftStop", "ask a job to stop (SoftStop): a Pending job ends Stopped at once, a running one is asked to stop"],
    ["kill", "Kill", "stop a job at once (Kill)"],
  ] as const) {
    jsonOption(jobs.command(name).description(description).argument("<key>", "the job's key"))
      .action(action(async (key: string, opts: JsonOption) => {
        const job = await connect().jobs.stop(key, strategy);
        if (opts.json) printJson(job);
        else print(`Job ${job.key}: ${job.state}`);
      }));
  }

  jsonOption(
    jobs
      .command("logs")
      .description("a job's log lines, oldest first; --follow prints new ones until the job ends")
      .argument("<key>", "the job's key")
      .option("-f, --follow", "keep printing new lines until the job is final")
      .option("--interval <seconds>", "with --follow: how often to look for new lines", seconds, 0.5),
  ).action(action(async (key: string, opts: JsonOption & { follow?: boolean; interval: number }) => {
    const client = connect();
    const show = (line: JobLogLine) => (opts.json ? printJson(line) : print(`${when(line.at)}  ${line.level.padEnd(5)}  ${line.message}`));
    if (opts.follow) {
      for await (const line of client.jobs.followLogs(key, { signal: interruptSignal(), intervalMs: opts.interval * 1000 })) show(line);
    } else {
      for await (const line of client.jobs.iterateLogs(key, { limit: 1000 })) show(line);
    }
  }));

  jsonOption(
    jobs
      .command("wait")
      .description("wait for a job's result: its output JSON on stdout (exit 0), or exit 1 (Faulted) / 2 (Stopped)")
      .argument("<key>", "the job's key")
      .option("--timeout <seconds>", "give up waiting after this long; default 16 minutes", seconds),
  ).action(action(async (key: string, opts: JsonOption & { timeout?: number }) => {
    const client = connect(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {});
    const signal = interruptSignal();
    return followResult(opts.json, (onState) => client.jobs.wait<Arguments>(key, { signal, onState }), "Waiting");
  }));
}

/** why a Pending job waits, in words (`jobs show`) */
const PENDING_REASON_TEXT: Record<PendingReason, string> = {
  NoRobot: "NoRobot: no live robot serves its process",
  ConcurrencyLimit: "ConcurrencyLimit: its process's (or its key's) concurrency limit is reached",
  RetryBackoff: "RetryBackoff: a retry's backoff has not ended",
  Queued: "Queued: behind older or higher-priority jobs",
};

/** `--state Running,Pending --state faulted` → canonical names; an unknown one is a usage error. */
function collectStates(value: string, previous: string[] = []): string[] {
  const states = value.split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
    const state = JOB_STATES.find((known) => known.toLowerCase() === s.toLowerCase());
    if (!state) throw new InvalidArgumentError(`Unknown job state '${s}'; one of ${JOB_STATES.join(", ")}.`);
    return state;
  });
  return [...previous, ...states];
}

function jobDuration(job: Pick<Job, "state" | "startedAt" | "endedAt">): string | null {
  if (!job.startedAt) return null;
  const end = job.endedAt ? Date.parse(job.endedAt) : isFinalJobState(job.state) ? null : Date.now();
  return end === null ? null : duration(Math.max(0, end - Date.parse(job.startedAt)));
}
