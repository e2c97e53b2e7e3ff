import { BatonClient } from "baton";

const client = new BatonClient({
  url: process.env.BATON_URL ?? "http://127.0.0.1:8080/default/DefaultTenant",
  token: process.env.BATON_TOKEN,
});
const suffix = Math.random().toString(36).slice(2, 8);

// A folder, a process in it and an API trigger for the process.
const folder = await client.folders.create(`Examples ${suffix}`);
await client.processes.create(folder.key, {
  name: "Echo",
  description: "Served by any robot that serves Echo.",
  inputSchema: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
});
const trigger = await client.triggers.create(folder.key, {
  name: "Greet",
  slug: `greet-${suffix}`,
  verb: "POST",
  processName: "Echo",
  callMode: "LongPolling",
  defaultArguments: { greeting: "hello" },
});
console.log("invoke URL:", trigger.invokeUrl);

// Invoke it by slug: the trigger's default call mode (LongPolling) applies.
console.log("output:", JSON.stringify(await client.invoke(trigger.slug, { name: "Ada" })));

// Jobs: newest first, filtered, page after page (nextCursor is followed for you).
for await (const job of client.jobs.iterate({ folderKey: folder.key, state: ["Successful", "Faulted"], limit: 50 })) {
  console.log(`job ${job.key}: ${job.state}, ${JSON.stringify(job.outputArguments)}`);
}

// A job started directly (no trigger), then followed to its result.
const started = await client.jobs.start({ folderKey: folder.key, processName: "Echo", inputArguments: { name: "Grace" } });
console.log("started:", JSON.stringify(await client.jobs.wait(started.key)));

// Tenant settings.
const settings = await client.settings.get();
console.log("longPollTimeoutSeconds:", settings.longPollTimeoutSeconds);

// Clean up what can be: a folder that has held jobs stays until they are purged.
await client.triggers.delete(trigger.id);
