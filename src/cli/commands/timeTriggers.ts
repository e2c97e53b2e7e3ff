import { Option, type Command } from "commander";
import { TRIGGER_PRIORITIES, type BatonClient, type TimeTrigger, type TimeTriggerInput, type TriggerPriority } from "../../client/index.js";
import { collect, findFolder, parseArguments } from "../args.js";
import { action, CliError, print, printJson, printTable, UsageError } from "../output.js";
import { connect, jsonOption, type JsonOption } from "./common.js";

interface CreateOptions extends JsonOption {
  process: string;
  cron: string;
  tz?: string;
  arg?: string[];
  jsonArgs?: string;
  priority?: TriggerPriority;
  missed?: "Skip" | "RunOnce";
  disabled?: boolean;
  folder: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The folder's time trigger with this name, or the tenant's with this id. */
async function findTimeTrigger(client: BatonClient, folderName: string, nameOrId: string): Promise<TimeTrigger> {
  if (UUID.test(nameOrId)) {
    const found = await client.timeTriggers.get(nameOrId).catch(() => null);
    if (found) return found;
  }
  const folder = await findFolder(client, folderName);
  const trigger = (await client.timeTriggers.list(folder.key)).items.find((t) => t.name === nameOrId);
  if (!trigger) throw new CliError("time-trigger-not-found", `No time trigger of ${folder.name} is named or has the id '${nameOrId}'; baton time-triggers ls lists them.`);
  return trigger;
}

const folderOption = () => new Option("-f, --folder <name|key>", "the folder").default("Shared");

/** `baton time-triggers ls|create|rm|enable|disable|preview` */
export function registerTimeTriggers(program: Command): void {
  const triggers = program.command("time-triggers").description("time triggers (cron schedules that start jobs): list, create, remove, enable, disable, preview");

  jsonOption(triggers.command("ls").alias("list").description("a folder's time triggers and their next runs").addOption(folderOption()))
    .action(action(async (opts: JsonOption & { folder: string }) => {
      const client = connect();
      const folder = await findFolder(client, opts.folder);
      const { items } = await client.timeTriggers.list(folder.key);
      if (opts.json) return printJson(items);
      printTable(
        ["NAME", "PROCESS", "CRON", "TIME ZONE", "ENABLED", "NEXT RUN", "ID"],
        items.map((t) => [t.name, t.processName, t.cron, t.timeZone, t.enabled ? "yes" : "no", t.nextRunAt ?? "-", t.id]),
        `No time triggers in ${folder.name}.`,
      );
    }));

  jsonOption(
    triggers
      .command("create")
      .description("create a time trigger that starts a process on a cron schedule; prints its next run")
      .argument("<name>", "the trigger's name, unique in the folder")
      .requiredOption("-p, --process <name>", "the process it starts (in the same folder)")
      .requiredOption("-c, --cron <cron>", "5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first")
      .option("--tz <zone>", "an IANA time zone (default UTC)")
      .option("-a, --arg <key=value>", "an argument of its jobs, parsed like invoke's -a (repeatable)", collect, [])
      .option("--json-args <json>", "arguments as a JSON object, @file or @-")
      .addOption(new Option("--priority <priority>", "the jobs' priority (default Inherit: the process's)").choices(TRIGGER_PRIORITIES))
      .addOption(new Option("--missed <policy>", "slots missed while every node was down: Skip (default) or RunOnce").choices(["Skip", "RunOnce"]))
      .option("--disabled", "create it disabled (nothing fires until it is enabled)")
      .addOption(folderOption()),
  ).action(action(async (name: string, opts: CreateOptions) => {
    const args = parseArguments(opts.arg, opts.jsonArgs);
    const client = connect();
    const folder = await findFolder(client, opts.folder);
    const input: TimeTriggerInput = {
      name,
      processName: opts.process,
      cron: opts.cron,
      ...(opts.tz ? { timeZone: opts.tz } : {}),
      ...(Object.keys(args).length ? { arguments: args } : {}),
      ...(opts.priority ? { priority: opts.priority } : {}),
      ...(opts.missed ? { missedRunPolicy: opts.missed } : {}),
      ...(opts.disabled ? { enabled: false } : {}),
    };
    const trigger = await client.timeTriggers.create(folder.key, input);
    if (opts.json) return printJson(trigger);
    print(`Created time trigger ${trigger.name} in ${folder.name}: ${trigger.description ?? `${trigger.cron} (${trigger.timeZone})`}; next run ${trigger.nextRunAt ?? "none (disabled)"}.`);
  }));

  jsonOption(triggers.command("rm").alias("delete").description("remove a time trigger (its jobs stay)").argument("<name|id>", "the trigger's name or id").addOption(folderOption()))
    .action(action(async (nameOrId: string, opts: JsonOption & { folder: string }) => {
      const client = connect();
      const trigger = await findTimeTrigger(client, opts.folder, nameOrId);
      await client.timeTriggers.delete(trigger.id);
      if (opts.json) return printJson({ deleted: trigger });
      print(`Removed time trigger ${trigger.name}.`);
    }));

  for (const [verb, enabled] of [["enable", true], ["disable", false]] as const) {
    jsonOption(triggers.command(verb).description(enabled ? "enable a time trigger: it fires from its next slot on (no backlog)" : "disable a time trigger: nothing fires until it is enabled")
      .argument("<name|id>", "the trigger's name or id").addOption(folderOption()))
      .action(action(async (nameOrId: string, opts: JsonOption & { folder: string }) => {
        const client = connect();
        const trigger = await client.timeTriggers.update((await findTimeTrigger(client, opts.folder, nameOrId)).id, { enabled });
        if (opts.json) return printJson(trigger);
        print(enabled ? `Enabled time trigger ${trigger.name}; next run ${trigger.nextRunAt ?? "none"}.` : `Disabled time trigger ${trigger.name}.`);
      }));
  }

  jsonOption(
    triggers.command("preview").description("the next fire times of a time trigger, or of a cron given with --cron")
      .argument("[name|id]", "the trigger's name or id")
      .option("-c, --cron <cron>", "a cron to preview instead of a trigger")
      .option("--tz <zone>", "with --cron: an IANA time zone (default UTC)")
      .option("-n, --count <n>", "how many (1-100)", "5")
      .addOption(folderOption()),
  ).action(action(async (nameOrId: string | undefined, opts: JsonOption & { cron?: string; tz?: string; count: string; folder: string }) => {
    const client = connect();
    const count = Number(opts.count);
    if (!/^[0-9]{1,3}$/.test(opts.count) || count < 1 || count > 100) throw new UsageError("--count must be an integer from 1 to 100.");
    if (!nameOrId && !opts.cron) throw new UsageError("Name a time trigger, or give --cron.");
    const preview = opts.cron
      ? await client.timeTriggers.previewCron(opts.cron, opts.tz, count)
      : await client.timeTriggers.preview((await findTimeTrigger(client, opts.folder, nameOrId!)).id, count);
    if (opts.json) return printJson(preview);
    if (preview.description) print(preview.description);
    printTable(["UTC", "LOCAL TIME"], preview.items.map((r) => [r.at, r.localTime]), "No runs to come.");
  }));
}
