import { randomUUID } from "node:crypto";
import { applyProcessFields, applyTriggerFields, nameViolation, requireName, requireObject } from "./catalogInput.js";
import { isLimited } from "./concurrencyLimits.js";
import { badRequest, conflict, FolderExists, FolderNotFound, ProcessExists, ProcessNotFound, notFound, SlugTaken } from "./errors.js";
import { isUuid } from "./identifiers.js";
import type { Notifier } from "./notifier.js";
import type { Store } from "./store.js";
import { TtlCache } from "./TtlCache.js";
import { DEFAULT_RETRY_POLICY, type Folder, type Process, type Trigger } from "./types.js";

/** Folders, processes and API triggers: the configuration a tenant's jobs are made from. */
export class Catalog {
  /** the invocation path's lookups; dropped by `catalogChanged` (any node) and after missed events */
  private readonly processes = new TtlCache<Process | null>(10_000);
  private readonly triggers = new TtlCache<Trigger | null>(10_000);

  constructor(private readonly store: Store, private readonly now: () => Date, private readonly notifier: Notifier) {
    const clear = () => { this.processes.clear(); this.triggers.clear(); };
    notifier.subscribe("catalogChanged", clear);
    notifier.onMissedEvents(clear);
  }

  private changed(tenantId: string): void {
    this.notifier.publish("catalogChanged", { tenantId });
  }

  /** The trigger with this slug, from the cache when it can be (the invocation hot path). */
  async triggerBySlug(tenantId: string, slug: string): Promise<Trigger | null> {
    const key = `${tenantId}\n${slug}`;
    let trigger = this.triggers.get(key);
    if (trigger === undefined) {
      trigger = await this.store.findTriggerBySlug(tenantId, slug);
      this.triggers.set(key, trigger);
    }
    return trigger;
  }

  // ---- folders

  async folderOrThrow(tenantId: string, key: string): Promise<Folder> {
    const folder = isUuid(key) ? await this.store.getFolder(tenantId, key) : null;
    if (!folder) throw FolderNotFound(key);
    return folder;
  }

  listFolders(tenantId: string): Promise<Folder[]> {
    return this.store.listFolders(tenantId);
  }

  async createFolder(tenantId: string, input: unknown): Promise<Folder> {
    const name = requireName(input, "folder");
    if (await this.store.findFolderByName(tenantId, name)) throw FolderExists(name);
    const folder: Folder = { key: randomUUID(), tenantId, name, createdAt: this.now().toISOString() };
    await this.store.createFolder(folder);
    return folder;
  }

  async renameFolder(tenantId: string, key: string, input: unknown): Promise<Folder> {
    const folder = await this.folderOrThrow(tenantId, key);
    const name = requireName(input, "folder");
    if (name === folder.name) return folder;
    if (folder.name === "Shared") throw conflict("folder-protected", "The Shared folder cannot be renamed.");
    if (await this.store.findFolderByName(tenantId, name)) throw FolderExists(name);
    await this.store.renameFolder(tenantId, key, name);
    return { ...folder, name };
  }

  async deleteFolder(tenantId: string, key: string): Promise<void> {
    const folder = await this.folderOrThrow(tenantId, key);
    if (folder.name === "Shared") throw conflict("folder-protected", "The Shared folder cannot be deleted.");
    const result = await this.store.deleteFolder(tenantId, key);
    if (result === "missing") throw FolderNotFound(key);
    if (result === "not-empty") throw conflict("folder-not-empty", "The folder still holds processes, triggers or jobs; delete those first.");
  }

  // ---- processes

  /** The process from the cache, at once: null when it is known not to exist, undefined when not cached. */
  cachedProcess(tenantId: string, folderKey: string, name: string): Process | null | undefined {
    return this.processes.get(`${tenantId}\n${folderKey}\n${name}`);
  }

  async processOrThrow(tenantId: string, folderKey: string, name: string): Promise<Process> {
    const key = `${tenantId}\n${folderKey}\n${name}`;
    let process = this.processes.get(key);
    if (process === undefined) {
      process = await this.store.getProcess(tenantId, folderKey, name);
      this.processes.set(key, process);
    }
    if (!process) throw ProcessNotFound(name);
    return process;
  }

  async listProcesses(tenantId: string, folderKey: string): Promise<Process[]> {
    await this.folderOrThrow(tenantId, folderKey);
    return this.store.listProcesses(tenantId, folderKey);
  }

  async createProcess(tenantId: string, folderKey: string, input: unknown): Promise<Process> {
    await this.folderOrThrow(tenantId, folderKey);
    const body = requireObject(input);
    const at = this.now().toISOString();
    const process: Process = {
      id: randomUUID(), tenantId, folderKey, name: typeof body.name === "string" ? body.name : "", description: "", defaultInputArguments: {},
      inputSchema: null, outputSchema: null, priority: "Normal", maxDurationSeconds: null, retry: DEFAULT_RETRY_POLICY,
      maxConcurrentJobs: null, concurrencyKey: null, maxConcurrentJobsPerKey: null, createdAt: at, updatedAt: at,
    };
    // every fault of the body in one answer, the name's with the others'
    const bad = nameViolation(body);
    const created = applyProcessFields(process, body, ["name"], bad ? [bad] : []);
    const name = created.name;
    if (await this.store.getProcess(tenantId, folderKey, name)) throw ProcessExists(name);
    await this.store.createProcess(created);
    this.changed(tenantId);
    return created;
  }

  async updateProcess(tenantId: string, folderKey: string, name: string, input: unknown): Promise<Process> {
    const process = await this.processOrThrow(tenantId, folderKey, name);
    const body = requireObject(input);
    if ("name" in body && body.name !== name) throw badRequest("invalid-process", "A process cannot be renamed; create a new one.");
    const updated = applyProcessFields({ ...process, updatedAt: this.now().toISOString() }, body, ["name"]);
    await this.store.updateProcess(updated);
    this.changed(tenantId);
    // a limit raised or removed lets waiting jobs run: robots waiting for work claim again
    if (isLimited(process)) this.notifier.publish("jobAvailable", { tenantId, processName: name });
    return updated;
  }

  async deleteProcess(tenantId: string, folderKey: string, name: string): Promise<void> {
    await this.folderOrThrow(tenantId, folderKey);
    const result = await this.store.deleteProcess(tenantId, folderKey, name);
    this.changed(tenantId);
    if (result === "missing") throw ProcessNotFound(name);
    if (result === "in-use") throw conflict("process-in-use", `API or time triggers still start '${name}'; delete or re-point them first.`);
  }

  // ---- triggers

  async triggerOrThrow(tenantId: string, id: string): Promise<Trigger> {
    const trigger = isUuid(id) ? await this.store.getTrigger(tenantId, id) : null;
    if (!trigger) throw notFound("trigger-not-found", `No API trigger with id '${id}' exists in this tenant.`);
    return trigger;
  }

  listTriggers(tenantId: string, folderKey: string | null): Promise<Trigger[]> {
    return this.store.listTriggers(tenantId, folderKey);
  }

  async createTrigger(tenantId: string, folderKey: string, input: unknown): Promise<Trigger> {
    await this.folderOrThrow(tenantId, folderKey);
    const body = requireObject(input);
    // every fault of the body in one answer: the missing fields with the wrong ones
    const missing = ["name", "slug", "verb", "processName"].filter((k) => body[k] === undefined).map((k) => ({ path: `/${k}`, message: "is required" }));
    const at = this.now().toISOString();
    const trigger = applyTriggerFields(
      {
        id: randomUUID(), tenantId, folderKey, name: "", slug: "", verb: "POST", processName: "", callMode: "AsyncRequestReply",
        defaultArguments: {}, priority: "Inherit", enabled: true, createdAt: at, updatedAt: at,
      },
      body,
      missing,
    );
    await this.processOrThrow(tenantId, folderKey, trigger.processName);
    if (await this.store.findTriggerBySlug(tenantId, trigger.slug)) throw SlugTaken(trigger.slug);
    await this.store.createTrigger(trigger);
    this.changed(tenantId);
    return trigger;
  }

  async updateTrigger(tenantId: string, id: string, input: unknown): Promise<Trigger> {
    const existing = await this.triggerOrThrow(tenantId, id);
    const updated = applyTriggerFields({ ...existing, updatedAt: this.now().toISOString() }, requireObject(input));
    if (updated.processName !== existing.processName) await this.processOrThrow(tenantId, existing.folderKey, updated.processName);
    if (updated.slug !== existing.slug && (await this.store.findTriggerBySlug(tenantId, updated.slug))) throw SlugTaken(updated.slug);
    await this.store.updateTrigger(updated);
    this.changed(tenantId);
    return updated;
  }

  async deleteTrigger(tenantId: string, id: string): Promise<void> {
    const deleted = await this.store.deleteTrigger(tenantId, id);
    this.changed(tenantId);
    if (!deleted) throw notFound("trigger-not-found", `No API trigger with id '${id}' exists in this tenant.`);
  }
}
