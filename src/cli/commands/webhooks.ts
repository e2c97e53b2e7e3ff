import { InvalidArgumentError, type Command } from "commander";
import type { Webhook, WebhookDelivery, WebhookEvent } from "../../client/index.js";
import { action, print, printJson, printTable, when } from "../output.js";
import { connect, jsonOption, type JsonOption } from "./common.js";

const EVENTS = ["job.created", "job.started", "job.completed", "job.faulted", "job.stopped", "job.retrying", "*"];

/** `baton webhooks ls|create|rm|test|deliveries|redeliver|rotate-secret` (docs/webhooks.md) */
export function registerWebhooks(program: Command): void {
  const webhooks = program.command("webhooks").description("webhook subscriptions: list, create (prints the secret once), remove, ping, deliveries, redeliver, rotate the secret");

  jsonOption(webhooks.command("ls").alias("list").description("the tenant's subscriptions"))
    .action(action(async (opts: JsonOption) => {
      const { items } = await connect().webhooks.list();
      if (opts.json) return printJson(items);
      printTable(
        ["ID", "URL", "EVENTS", "FOLDERS", "ENABLED", "CREATED"],
        items.map((w: Webhook) => [w.id, w.url, w.events.join(","), w.folderKeys ? w.folderKeys.join(",") : "all", w.enabled ? "yes" : "no", when(w.createdAt)]),
        "No webhooks.",
      );
    }));

  jsonOption(
    webhooks
      .command("create")
      .description("subscribe a URL to job events; the signing secret is printed this once")
      .argument("<url>", "the receiver: http(s), not a private address unless the server allows it")
      .requiredOption("-e, --event <events>", `events, comma-separated or repeated: ${EVENTS.join(", ")}`, collectEvents, [])
      .option("-f, --folder <keys>", "only jobs of these folders (keys, comma-separated or repeated)", collectList, [])
      .option("-d, --description <text>", "what it is for")
      .option("--disabled", "create it disabled"),
  ).action(action(async (url: string, opts: JsonOption & { event: WebhookEvent[]; folder: string[]; description?: string; disabled?: boolean }) => {
    const created = await connect().webhooks.create({
      url, events: opts.event, ...(opts.folder.length ? { folderKeys: opts.folder } : {}), ...(opts.description ? { description: opts.description } : {}),
      ...(opts.disabled ? { enabled: false } : {}),
    });
    if (opts.json) return printJson(created);
    print(`Created webhook ${created.id} → ${created.url} (${created.events.join(", ")}).`);
    print("The signing secret, shown only this once:");
    print(created.secret);
  }));

  jsonOption(webhooks.command("rm").alias("delete").description("delete a subscription and its deliveries").argument("<id>"))
    .action(action(async (id: string, opts: JsonOption) => {
      await connect().webhooks.delete(id);
      if (opts.json) return printJson({ deleted: id });
      print(`Deleted webhook ${id}.`);
    }));

  jsonOption(webhooks.command("test").description("send a webhook.test ping").argument("<id>"))
    .action(action(async (id: string, opts: JsonOption) => {
      const d = await connect().webhooks.test(id);
      if (opts.json) return printJson(d);
      print(`Ping ${d.id} recorded; see \`baton webhooks deliveries ${id}\`.`);
    }));

  jsonOption(
    webhooks.command("deliveries").description("the deliveries, newest first, with their attempts").argument("<id>")
      .option("-n, --limit <n>", "how many", (v) => Number(v), 20),
  ).action(action(async (id: string, opts: JsonOption & { limit: number }) => {
    const { items } = await connect().webhooks.deliveries(id, { limit: opts.limit });
    if (opts.json) return printJson(items);
    printTable(
      ["ID", "TYPE", "STATE", "ATTEMPTS", "LAST", "CREATED", "NEXT"],
      items.map((d: WebhookDelivery) => [d.id, d.type, d.state, String(d.attempts.length), last(d), when(d.createdAt), when(d.nextAttemptAt)]),
      "No deliveries.",
    );
  }));

  jsonOption(webhooks.command("redeliver").description("make a Delivered or Failed delivery again").argument("<id>").argument("<deliveryId>"))
    .action(action(async (id: string, deliveryId: string, opts: JsonOption) => {
      const d = await connect().webhooks.redeliver(id, deliveryId);
      if (opts.json) return printJson(d);
      print(`Delivery ${d.id} is on its way again.`);
    }));

  jsonOption(webhooks.command("rotate-secret").description("a new signing secret, printed this once; the old one signs too for 24 hours").argument("<id>"))
    .action(action(async (id: string, opts: JsonOption) => {
      const rotated = await connect().webhooks.rotateSecret(id);
      if (opts.json) return printJson(rotated);
      print(`The new signing secret of ${id}, shown only this once (the previous one also signs until ${when(rotated.previousSecretValidUntil)}):`);
      print(rotated.secret);
    }));
}

function last(d: WebhookDelivery): string {
  const a = d.attempts.at(-1);
  if (!a) return "-";
  return `${a.statusCode ?? "no answer"} in ${a.durationMs} ms${a.error ? `: ${a.error}` : ""}`;
}

function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((s) => s.trim()).filter(Boolean)];
}

function collectEvents(value: string, previous: WebhookEvent[] = []): WebhookEvent[] {
  return [...previous, ...collectList(value).map((e) => {
    if (!EVENTS.includes(e)) throw new InvalidArgumentError(`Unknown event '${e}'; one of ${EVENTS.join(", ")}.`);
    return e as WebhookEvent;
  })];
}
