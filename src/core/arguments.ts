import { badRequest } from "./errors.js";
import { CALL_MODES, type CallMode, type JsonObject } from "./types.js";

/** Control parameters start with `$` and never reach the process (SPEC §2). */
export const CONTROL_PARAMETERS = ["$callMode"] as const;

/**
 * A query-string value that parses as a finite JSON number, a boolean, an array or an object is passed
 * as that; anything else (including `null` and quoted strings) stays the literal string.
 */
export function queryValue(raw: string): unknown {
  const t = raw.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  const first = t[0];
  if (first === "[" || first === "{" || first === "-" || (first !== undefined && first >= "0" && first <= "9")) {
    try {
      const v: unknown = JSON.parse(t);
      // 1e999 parses as Infinity, which JSON cannot carry (it would be stored as null): it stays the string
      if (typeof v === "number" ? Number.isFinite(v) : Array.isArray(v) || (typeof v === "object" && v !== null)) return v;
    } catch {
      // not JSON: a string
    }
  }
  return raw;
}

/** Arguments from a query string; a key given twice becomes an array of its values. */
export function argumentsFromQuery(search: URLSearchParams): JsonObject {
  const args: JsonObject = {};
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    put(args, key, key.startsWith("$")
      ? values[values.length - 1]
      : values.length === 1 ? queryValue(values[0]!) : values.map(queryValue));
  }
  return args;
}

/** Sets an own property, even one named `__proto__` (an assignment would set the prototype and lose the argument). */
function put(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Splits `$` control parameters from arguments; an unknown `$` key or a bad value is 400. */
export function splitControlParameters(args: JsonObject): { args: JsonObject; callMode: CallMode | null } {
  const rest: JsonObject = {};
  let callMode: CallMode | null = null;
  for (const [key, value] of Object.entries(args)) {
    if (!key.startsWith("$")) {
      put(rest, key, value);
      continue;
    }
    if (key !== "$callMode") {
      throw badRequest("unknown-control-parameter", `'${key}' is not a control parameter; the only one is $callMode.`, { parameter: key });
    }
    if (typeof value !== "string" || !(CALL_MODES as readonly string[]).includes(value)) {
      throw badRequest("invalid-call-mode", `$callMode must be one of ${CALL_MODES.join(", ")}.`, { parameter: key, value });
    }
    callMode = value as CallMode;
  }
  return { args: rest, callMode };
}

/** Process defaults, overridden by trigger defaults, overridden by the request (shallow, per key). */
export function mergeArguments(processDefaults: JsonObject, triggerDefaults: JsonObject, request: JsonObject): JsonObject {
  return { ...processDefaults, ...triggerDefaults, ...request };
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How deep input arguments may nest; deeper ones are refused before anything recursive (validation, storage) sees them. */
export const MAX_ARGUMENT_DEPTH = 100;

/** The JSON Pointer of the first object or array nested deeper than `max` levels (the top level is 1), or null. Iterative: safe at any depth. */
export function tooDeep(value: unknown, max = MAX_ARGUMENT_DEPTH): string | null {
  const stack: [unknown, number, string][] = [[value, 1, ""]];
  while (stack.length > 0) {
    const [v, depth, path] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return path || "/";
    for (const [k, child] of Object.entries(v)) stack.push([child, depth + 1, `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`]);
  }
  return null;
}

/** half of a UTF-16 surrogate pair without its other half: PostgreSQL's jsonb refuses one (SQLite would keep it) */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a JSON value cannot be stored as it is, or null: nested deeper than `max` levels, a
 * string or key holding a NUL character or a lone surrogate (PostgreSQL cannot keep them, so
 * neither store takes them), or a number that is not finite (`1e999` in a body parses as
 * Infinity, which JSON.stringify would store as null). Iterative: safe at any depth. Answers
 * with a JSON Pointer and a message.
 */
export function unstorable(value: unknown, max = MAX_ARGUMENT_DEPTH): { path: string; message: string } | null {
  const stack: [unknown, number, string][] = [[value, 1, ""]];
  while (stack.length > 0) {
    const [v, depth, path] = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\u0000")) return { path: path || "/", message: "contains a NUL character (\\u0000), which cannot be stored" };
      if (LONE_SURROGATE.test(v)) return { path: path || "/", message: "contains a lone surrogate (\\ud800-\\udfff), which cannot be stored" };
      continue;
    }
    if (typeof v === "number" && !Number.isFinite(v)) return { path: path || "/", message: "is not a finite number (JSON numbers such as 1e999 overflow to Infinity, which cannot be stored)" };
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return { path: path || "/", message: `nests deeper than ${max} levels` };
    for (const [k, child] of Object.entries(v)) {
      const at = `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      if (k.includes("\u0000")) return { path: at, message: "has a key with a NUL character (\\u0000), which cannot be stored" };
      if (LONE_SURROGATE.test(k)) return { path: at, message: "has a key with a lone surrogate (\\ud800-\\udfff), which cannot be stored" };
      stack.push([child, depth + 1, at]);
    }
  }
  return null;
}
