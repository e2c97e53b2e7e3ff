import { Option, type Command } from "commander";
import { TRIGGER_PRIORITIES, VERBS, type Trigger, type TriggerInput, type TriggerPriority, type Verb } from "../../client/index.js";
import { collect, findFolder, findTrigger, MODES, parseArguments, type Mode } from "../args.js";
import { action, print, printJson, printTable } from "../output.js";
import { connect, folderNames, jsonOption, type JsonOption } from "./common.js";

interface CreateOptions extends JsonOption {
  process: string;
  name?: string;
  verb: Verb;
  mode?: Mode;
  arg?: string[];
  jsonArgs?: string;
  priority?: TriggerPriority;
  disabled?: boolean;
  folder: string;
}

/** `baton triggers ls|create|rm` */
export function registerTriggers(program: Command): void {
  const triggers = program.command("triggers").description("API triggers: list, create, remove");

  jsonOption(triggers.command("ls").alias("list").description("the tenant's API triggers, or one folder's").option("-f, --folder <name|key>", "only this folder's"))
    .action(action(async (opts: JsonOption & { folder?: string }) => {
      const client = connect();
      const folderKey = opts.folder ? (await findFolder(client, opts.folder)).key : undefined;
      const items: Trigger[] = [];
      for await (const t of client.triggers.iterate(folderKey ? { folderKey } : {})) items.push(t);
      if (opts.json) return printJson(items);
      const folders = await folderNames(client);
      printTable(
        ["SLUG", "NAME", "PROCESS", "VERB", "CALL MODE", "FOLDER", "ENABLED", "INVOKE URL"],
        items.map((t) => [t.slug, t.name, t.processName, t.verb, t.callMode, folders.get(t.folderKey) ?? t.folderKey, t.enabled ? "yes" : "no", t.invokeUrl]),
        "No API triggers.",
      );
    }));

  jsonOption(
    triggers
      .command("create")
      .description("create an API trigger that starts a process; prints its invoke URL")
      .argument("<slug>", "the trigger's slug, unique in the tenant: letters, digits, '-', '_', '.'")
      .requiredOption("-p, --process <name>", "the process it starts (in the same folder)")
      .option("--name <name>", "a display name (default: the slug)")
      .addOption(new Option("--verb <verb>", "the HTTP verb it answers").choices(VERBS).default("POST"))
      .addOption(new Option("-m, --mode <mode>", "the default call mode: async, fire or sync (default async)").choices(Object.keys(MODES)))
      .option("-a, --arg <key=value>", "a default argument, parsed like invoke's -a (repeatable)", collect, [])
      .option("--json-args <json>", "default arguments as a JSON object, @file or @-")
      .addOption(new Option("--priority <priority>", "the jobs' priority (default Inherit: the process's)").choices(TRIGGER_PRIORITIES))
      .option("--disabled", "create it disabled (invocations answer 409 trigger-disabled)")
      .option("-f, --folder <name|key>", "the folder", "Shared"),
  ).action(action(async (slug: string, opts: CreateOptions) => {
    const defaultArguments = parseArguments(opts.arg, opts.jsonArgs);
    const client = connect();
    const folder = await findFolder(client, opts.folder);
    const input: TriggerInput = {
      name: opts.name ?? slug,
      slug,
      verb: opts.verb,
      processName: opts.process,
      ...(opts.mode ? { callMode: MODES[opts.mode] } : {}),
      ...(Object.keys(defaultArguments).length ? { defaultArguments } : {}),
      ...(opts.priority ? { priority: opts.priority } : {}),
      ...(opts.disabled ? { enabled: false } : {}),
    };
    const trigger = await client.triggers.create(folder.key, input);
    if (opts.json) return printJson(trigger);
    print(`Created trigger ${trigger.slug} in ${folder.name}: ${trigger.verb} ${trigger.invokeUrl}`);
  }));

  jsonOption(triggers.command("rm").alias("delete").description("remove an API trigger (its jobs stay)").argument("<slug|id>", "the trigger's slug or id"))
    .action(action(async (slugOrId: string, opts: JsonOption) => {
      const client = connect();
      const trigger = await findTrigger(client, slugOrId);
      await client.triggers.delete(trigger.id);
      if (opts.json) return printJson({ deleted: trigger });
      print(`Removed trigger ${trigger.slug}.`);
    }));
}
