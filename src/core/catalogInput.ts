import { isJsonObject, unstorable } from "./arguments.js";
import { boundedInteger, MAX_DURATION_SECONDS, unsafeNameCharacter } from "./bounds.js";
import { MAX_CONCURRENT_JOBS, pointerProblem } from "./concurrencyLimits.js";
import { badRequest, SchemaTooComplex, type Violation } from "./errors.js";
import type { ErrorCode } from "./errorCodes.js";
import { isSlug } from "./identifiers.js";
import { SCHEMA_LIMITS, schemaProblem } from "./schemas.js";
import {
  BACKOFF_TYPES,
  CALL_MODES,
  PRIORITIES,
  VERBS,
  type CallMode,
  type JsonObject,
  type Priority,
  type Process,
  type RetryBackoff,
  type RetryPolicy,
  type Trigger,
  type TriggerPriority,
  type Verb,
} from "./types.js";

/**
 * What a body may say about a folder, a process or an API trigger: each field checked, every
 * fault of a body listed at once (`violations`), the record it describes built. The
 * Catalog service adds the rules of the store (existence, uniqueness).
 */

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

export function requireObject(input: unknown): JsonObject {
  if (!isJsonObject(input)) throw badRequest("invalid-body", "The request body must be a JSON object.");
  return input;
}

/** The name's fault in a body, as a violation at `/name`, or null. */
export function nameViolation(input: JsonObject): Violation | null {
  const name = input.name;
  const problem = nameProblem(name) ?? ((name as string).trim() !== name ? "must not start or end with spaces" : null);
  return problem === null ? null : { path: "/name", message: problem };
}

export function requireName(input: unknown, what: "folder"): string {
  const name = isJsonObject(input) ? input.name : undefined;
  const problem = nameProblem(name) ?? ((name as string).trim() !== name ? "must not start or end with spaces" : null);
  if (problem !== null) {
    throw badRequest(`invalid-${what}`, `${what} name must be 1-128 characters, without '/', '\\', control, bidirectional or zero-width characters or surrounding spaces.`, {
      violations: [{ path: "/name", message: problem }],
    });
  }
  return name as string;
}

/** 400 `code` listing every fault, its detail one sentence per fault (triggers, processes, time triggers) */
export function failWithViolations(code: ErrorCode, problems: Violation[]): never {
  throw badRequest(code, problems.map((p) => `${p.path.slice(1)}: ${p.message}`).join("; "), { violations: problems });
}
const fail = failWithViolations;

/** A trigger's arguments (API or time trigger): a JSON object whose keys do not start with '$' (control parameters); null when fine. */
export function triggerArgumentsProblem(value: unknown): string | null {
  return isJsonObject(value) && !Object.keys(value).some((k) => k.startsWith("$")) ? null : "must be a JSON object whose keys do not start with '$'";
}

/** A trigger's priority: Inherit or a process priority; null when fine. */
export function triggerPriorityProblem(value: unknown): string | null {
  return value === "Inherit" || (PRIORITIES as readonly unknown[]).includes(value) ? null : `must be Inherit or one of ${PRIORITIES.join(", ")}`;
}

/** Any JSON a client sends is stored and rendered again: nesting is bounded, like input arguments'. */
function deepProblem(body: JsonObject): Violation | null {
  return unstorable(body);
}

export function applyProcessFields(p: Process, body: JsonObject, ignore: string[], found: Violation[] = []): Process {
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
      case "retry":
        out.retry = retryPolicy(out.retry, value, problems);
        break;
      case "maxConcurrentJobs":
      case "maxConcurrentJobsPerKey":
        if (value === null) out[key] = null;
        else {
          const n = boundedInteger(value, 1, MAX_CONCURRENT_JOBS);
          if (n !== null) out[key] = n; else bad(`must be an integer from 1 to ${MAX_CONCURRENT_JOBS}, or null for no limit`);
        }
        break;
      case "concurrencyKey": {
        const problem = value === null ? null : pointerProblem(value);
        if (problem === null) out.concurrencyKey = value as string | null; else bad(problem);
        break;
      }
      default:
        if (!["id", "tenantId", "folderKey", "createdAt", "updatedAt"].includes(key)) bad("is not a field of a process");
    }
  }
  // a limit per key needs the key; said once, where the body set either of them
  if ((out.maxConcurrentJobsPerKey ?? null) !== null && (out.concurrencyKey ?? null) === null && !problems.some((p) => p.path === "/concurrencyKey" || p.path === "/maxConcurrentJobsPerKey")) {
    problems.push({ path: "/maxConcurrentJobsPerKey", message: "requires concurrencyKey (a JSON Pointer into the input arguments)" });
  }
  if (tooComplex) throw tooComplex;
  if (problems.length) fail("invalid-process", problems);
  return out;
}

/**
 * A retry policy from a body's `retry`, on top of the current one: each field left out keeps
 * its value. `backoffSeconds`, the policy's field before `backoff` existed, is still taken:
 * it was exponential, so it means `backoff: { type: "Exponential", delaySeconds }`.
 */
function retryPolicy(current: RetryPolicy, value: unknown, problems: Violation[]): RetryPolicy {
  if (!isJsonObject(value)) {
    problems.push({ path: "/retry", message: `must be { maxAttempts: 1..${MAX_RETRY_ATTEMPTS}, backoff: { type, delaySeconds, maxDelaySeconds, jitter } }` });
    return current;
  }
  const retry: RetryPolicy = { ...current, backoff: { ...current.backoff } };
  const seconds = (v: unknown, path: string): number | null => {
    const n = boundedInteger(v, 0, MAX_DURATION_SECONDS);
    if (n === null) problems.push({ path, message: `must be an integer from 0 to ${MAX_DURATION_SECONDS} (a year)` });
    return n;
  };
  if (value.backoffSeconds !== undefined && value.backoff !== undefined) {
    problems.push({ path: "/retry/backoffSeconds", message: "is the former name of backoff.delaySeconds: give backoff or backoffSeconds, not both" });
  }
  let maxDelayGiven = false;
  for (const [field, v] of Object.entries(value)) {
    const at = `/retry/${field}`;
    if (field === "maxAttempts") {
      const n = boundedInteger(v, 1, MAX_RETRY_ATTEMPTS);
      if (n !== null) retry.maxAttempts = n; else problems.push({ path: at, message: `must be an integer from 1 to ${MAX_RETRY_ATTEMPTS}` });
    } else if (field === "backoffSeconds") {
      const n = seconds(v, at);
      if (n !== null) retry.backoff = { ...retry.backoff, type: "Exponential", delaySeconds: n };
    } else if (field === "backoff") {
      if (!isJsonObject(v)) { problems.push({ path: at, message: "must be { type: Fixed|Exponential, delaySeconds, maxDelaySeconds, jitter }" }); continue; }
      for (const [f, w] of Object.entries(v)) {
        const path = `${at}/${f}`;
        if (f === "type") {
          if ((BACKOFF_TYPES as readonly unknown[]).includes(w)) retry.backoff.type = w as RetryBackoff["type"];
          else problems.push({ path, message: `must be one of ${BACKOFF_TYPES.join(", ")}` });
        } else if (f === "delaySeconds" || f === "maxDelaySeconds") {
          const n = seconds(w, path);
          if (n !== null) retry.backoff[f] = n;
          if (f === "maxDelaySeconds") maxDelayGiven = true;
        } else if (f === "jitter") {
          if (typeof w === "boolean") retry.backoff.jitter = w; else problems.push({ path, message: "must be a boolean" });
        } else problems.push({ path, message: "is not a field of a backoff (type, delaySeconds, maxDelaySeconds, jitter)" });
      }
    } else problems.push({ path: at, message: "is not a field of a retry policy (maxAttempts, backoff)" });
  }
  if (retry.backoff.maxDelaySeconds < retry.backoff.delaySeconds) {
    // a cap given below the delay is a mistake; one left as it was follows a longer delay up
    if (maxDelayGiven) problems.push({ path: "/retry/backoff/maxDelaySeconds", message: "must be at least delaySeconds" });
    else retry.backoff.maxDelaySeconds = retry.backoff.delaySeconds;
  }
  return retry;
}

export function applyTriggerFields(t: Trigger, body: JsonObject, found: Violation[] = []): Trigger {
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
      case "defaultArguments": {
        const problem = triggerArgumentsProblem(value);
        if (problem === null) out.defaultArguments = value as JsonObject; else bad(problem);
        break;
      }
      case "priority": {
        const problem = triggerPriorityProblem(value);
        if (problem === null) out.priority = value as TriggerPriority; else bad(problem);
        break;
      }
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
