import { randomUUID } from "node:crypto";
import { isJsonObject, unstorable } from "./arguments.js";
import { boundedInteger, MAX_DURATION_SECONDS, unsafeNameCharacter } from "./bounds.js";
import { badRequest, conflict, FolderExists, FolderNotFound, ProcessExists, ProcessNotFound, notFound, SchemaTooComplex, SlugTaken, type Violation } from "./errors.js";
import type { ErrorCode } from "./errorCodes.js";
import { isSlug, isUuid } from "./identifiers.js";
import { SCHEMA_LIMITS, schemaProblem } from "./schemas.js";
import type { Notifier } from "./notifier.js";
import type { Store } from "./store.js";
import { TtlCache } from "./TtlCache.js";
import {
  CALL_MODES,
  PRIORITIES,
  VERBS,
  type CallMode,
  type Folder,
  type JsonObject,
  type Priority,
  type Process,
  type Trigger,
  type TriggerPriority,
  type Verb,
} from "./types.js";

// names: 1-128 characters, no '/', '\\' or control characters (and none of bounds.ts's unsafe characters)
// eslint-disable-next-line no-control-regex
const NAME = /^[^\u0000-\u001f/\\]{1,128}$/;

/** the most retry attempts a process may have */
export const MAX_RETRY_ATTEMPTS = 100;

/** Why `value` is not a folder, process or trigger name, or null. */
export function nameProblem(value: unknown): string | null {
  if (typeof value !== "string" || !NAME.test(value)) return "must be 1-128 characters without '/', '\\' or control characters";
  return unsafeNameCharacter(value);
}

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
      inputSchema: null, outputSchema: null, priority: "Normal", maxDurationSeconds: null, retry: { maxAttempts: 1, backoffSeconds: 5 }, createdAt: at, updatedAt: at,
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
    return updated;
  }

  async deleteProcess(tenantId: string, folderKey: string, name: string): Promise<void> {
    await this.folderOrThrow(tenantId, folderKey);
    const result = await this.store.deleteProcess(tenantId, folderKey, name);
    this.changed(tenantId);
    if (result === "missing") throw ProcessNotFound(name);
    if (result === "in-use") throw conflict("process-in-use", `API triggers still start '${name}'; delete or re-point them first.`);
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

function requireObject(input: unknown): JsonObject {
  if (!isJsonObject(input)) throw badRequest("invalid-body", "The request body must be a JSON object.");
  return input;
}

/** The name's fault in a body, as a violation at `/name`, or null. */
function nameViolation(input: JsonObject): Violation | null {
  const name = input.name;
  const problem = nameProblem(name) ?? ((name as string).trim() !== name ? "must not start or end with spaces" : null);
  return problem === null ? null : { path: "/name", message: problem };
}

function requireName(input: unknown, what: "folder"): string {
  const name = isJsonObject(input) ? input.name : undefined;
  const problem = nameProblem(name) ?? ((name as string).trim() !== name ? "must not start or end with spaces" : null);
  if (problem !== null) {
    throw badRequest(`invalid-${what}`, `${what} name must be 1-128 characters, without '/', '\\', control, bidirectional or zero-width characters or surrounding spaces.`, {
      violations: [{ path: "/name", message: problem }],
    });
  }
  return name as string;
}

function fail(code: ErrorCode, problems: Violation[]): never {
  throw badRequest(code, problems.map((p) => `${p.path.slice(1)}: ${p.message}`).join("; "), { violations: problems });
}

/** Any JSON a client sends is stored and rendered again: nesting is bounded, like input arguments'. */
function deepProblem(body: JsonObject): Violation | null {
  return unstorable(body);
}

function applyProcessFields(p: Process, body: JsonObject, ignore: string[], found: Violation[] = []): Process {
  const deep = deepProblem(body);
  if (deep) fail("invalid-process", [deep]);
  const problems: Violation[] = [...found];
  let tooComplex: Error | undefined;
  const out = { ...p };
  for (const [key, value] of Object.entries(body)) {
    if (ignore.includes(key)) continue;
    const bad = (message: string) => problems.push({ path: `/${key}`, message });
    switch (key) {
      case "description":
        if (typeof value === "string" && value.length <= 2000) out.description = value; else bad("must be a string of at most 2000 characters");
        break;
      case "defaultInputArguments":
        if (isJsonObject(value)) out.defaultInputArguments = value; else bad("must be a JSON object");
        break;
      case "inputSchema":
      case "outputSchema":
        if (value === null) out[key] = null;
        else if (isJsonObject(value)) {
          const problem = schemaProblem(value);
          if (!problem) out[key] = value;
          else if (problem.limit) tooComplex ??= SchemaTooComplex(`/${key}${problem.pointer}`, problem.limit, SCHEMA_LIMITS[problem.limit], problem.message);
          else problems.push({ path: `/${key}${problem.pointer}`, message: problem.message });
        } else bad("must be a JSON Schema object or null");
        break;
      case "priority":
        if ((PRIORITIES as readonly unknown[]).includes(value)) out.priority = value as Priority; else bad(`must be one of ${PRIORITIES.join(", ")}`);
        break;
      case "maxDurationSeconds":
        if (value === null) out.maxDurationSeconds = null;
        else {
          const seconds = boundedInteger(value, 1, MAX_DURATION_SECONDS);
          if (seconds !== null) out.maxDurationSeconds = seconds; else bad(`must be an integer from 1 to ${MAX_DURATION_SECONDS} (a year) or null`);
        }
        break;
      case "retry": {
        if (!isJsonObject(value)) { bad(`must be { maxAttempts: 1..${MAX_RETRY_ATTEMPTS}, backoffSeconds: 0..${MAX_DURATION_SECONDS} }`); break; }
        const retry = { ...out.retry };
        for (const [field, v] of Object.entries(value)) {
          const at = (message: string) => problems.push({ path: `/retry/${field}`, message });
          if (field === "maxAttempts") {
            const n = boundedInteger(v, 1, MAX_RETRY_ATTEMPTS);
            if (n !== null) retry.maxAttempts = n; else at(`must be an integer from 1 to ${MAX_RETRY_ATTEMPTS}`);
          } else if (field === "backoffSeconds") {
            const n = boundedInteger(v, 0, MAX_DURATION_SECONDS);
            if (n !== null) retry.backoffSeconds = n; else at(`must be an integer from 0 to ${MAX_DURATION_SECONDS} (a year)`);
          } else at("is not a field of a retry policy (maxAttempts, backoffSeconds)");
        }
        out.retry = retry;
        break;
      }
      default:
        if (!["id", "tenantId", "folderKey", "createdAt", "updatedAt"].includes(key)) bad("is not a field of a process");
    }
  }
  if (tooComplex) throw tooComplex;
  if (problems.length) fail("invalid-process", problems);
  return out;
}

function applyTriggerFields(t: Trigger, body: JsonObject, found: Violation[] = []): Trigger {
  const deep = deepProblem(body);
  if (deep) fail("invalid-trigger", [deep]);
  const problems: Violation[] = [...found];
  const out = { ...t };
  for (const [key, value] of Object.entries(body)) {
    const bad = (message: string) => problems.push({ path: `/${key}`, message });
    switch (key) {
      case "name": {
        const problem = nameProblem(value);
        if (problem === null) out.name = value as string; else bad(problem);
        break;
      }
      case "slug":
        if (typeof value === "string" && isSlug(value)) out.slug = value; else bad("must be 1-128 letters, digits, '-', '_' or '.'");
        break;
      case "verb":
        if ((VERBS as readonly unknown[]).includes(value)) out.verb = value as Verb; else bad(`must be one of ${VERBS.join(", ")}`);
        break;
      case "processName":
        if (nameProblem(value) === null) out.processName = value as string; else bad("must be the name of a process in the trigger's folder");
        break;
      case "callMode":
        if ((CALL_MODES as readonly unknown[]).includes(value)) out.callMode = value as CallMode; else bad(`must be one of ${CALL_MODES.join(", ")}`);
        break;
      case "defaultArguments":
        if (isJsonObject(value) && !Object.keys(value).some((k) => k.startsWith("$"))) out.defaultArguments = value; else bad("must be a JSON object whose keys do not start with '$'");
        break;
      case "priority":
        if (value === "Inherit" || (PRIORITIES as readonly unknown[]).includes(value)) out.priority = value as TriggerPriority; else bad(`must be Inherit or one of ${PRIORITIES.join(", ")}`);
        break;
      case "enabled":
        if (typeof value === "boolean") out.enabled = value; else bad("must be a boolean");
        break;
      default:
        if (!["id", "tenantId", "folderKey", "createdAt", "updatedAt", "invokeUrl"].includes(key)) bad("is not a field of an API trigger");
    }
  }
  if (problems.length) fail("invalid-trigger", problems);
  return out;
}
