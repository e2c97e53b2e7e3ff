import { createHash } from "node:crypto";
import { canonicalJson } from "./canonicalJson.js";
import type { JsonObject, Process } from "./types.js";

/**
 * Concurrency limits (SPEC §9): what a process may say about them, and the key a job is
 * counted under. The claim enforces them in the store (src/store/sql/concurrencyBudget.ts and
 * each engine's claim); docs/deployment.md, "Concurrency limits", says how.
 */

/** the most jobs a limit may allow at once (per process or per key) */
export const MAX_CONCURRENT_JOBS = 10_000;
/** the longest concurrencyKey pointer, in characters */
export const MAX_POINTER_LENGTH = 512;
/** a job's key value longer than this (canonical JSON, in characters) is stored as its SHA-256 */
export const MAX_KEY_VALUE_LENGTH = 256;

/** RFC 6901: `/` then reference tokens in which `~` only escapes `0` (~) or `1` (/); at least one token */
const POINTER = /^(\/([^~/]|~[01])*)+$/u;

/** Why `value` is not a concurrencyKey (a JSON Pointer into the input arguments), or null. */
export function pointerProblem(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_POINTER_LENGTH || !POINTER.test(value)) {
    return `must be a JSON Pointer (RFC 6901) of 1-${MAX_POINTER_LENGTH} characters into the input arguments, such as /customerId ('~' only as ~0 or ~1), or null`;
  }
  return null;
}

/** The value at an RFC 6901 pointer, or undefined when the input has none there. */
export function valueAt(input: JsonObject, pointer: string): unknown {
  let at: unknown = input;
  for (const raw of pointer.split("/").slice(1)) {
    const token = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(at)) {
      // an array index: digits without a leading zero ("-", the end of the array, names no value)
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      at = at[Number(token)];
    } else if (typeof at === "object" && at !== null && Object.hasOwn(at, token)) {
      at = (at as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
    if (at === undefined) return undefined;
  }
  return at;
}

/**
 * The key a new job of `process` is counted under: the canonical JSON of the value at the
 * process's pointer (so `"42"` and `42` are different keys, and objects equal whatever their
 * key order), or `sha256:<hex>` of it when longer than MAX_KEY_VALUE_LENGTH. Null when the
 * process has no concurrencyKey or the input has no value (or null) there: such a job is held
 * by maxConcurrentJobs only, not by a per-key limit.
 */
export function concurrencyKeyOf(process: Pick<Process, "concurrencyKey">, input: JsonObject): string | null {
  if (!process.concurrencyKey) return null;
  const value = valueAt(input, process.concurrencyKey);
  if (value === undefined || value === null) return null;
  const text = canonicalJson(value);
  return text.length <= MAX_KEY_VALUE_LENGTH ? text : `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/** Whether a process has any limit (its claims take the limited path). */
export function isLimited(p: Pick<Process, "maxConcurrentJobs" | "maxConcurrentJobsPerKey">): boolean {
  return (p.maxConcurrentJobs ?? null) !== null || (p.maxConcurrentJobsPerKey ?? null) !== null;
}
