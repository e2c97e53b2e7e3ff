import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { badRequest, type Violation } from "./errors.js";
import { analyzeSchema, compilePattern, type SchemaCost, type SchemaProblem } from "./schemaLimits.js";
import type { JsonObject } from "./types.js";
import { canonicalJson } from "./canonicalJson.js";

export { SCHEMA_LIMITS, type SchemaProblem } from "./schemaLimits.js";

/** The violations an answer lists; `violationCount` says how many were found. */
export const MAX_VIOLATIONS = 20;
/**
 * Pattern matching one validation may do, in RE2 instructions × characters (a pattern's
 * program size times the length of each string it is tried on). RE2 is linear, not free.
 */
export const PATTERN_BUDGET = 20_000_000;
/**
 * Keyword checks one validation may cost, from the schema's checks per value at each depth
 * times the values (and keys) of the arguments at that depth. Over it, the arguments are
 * refused before Ajv sees them.
 */
export const VALIDATION_BUDGET = 20_000_000;
/**
 * Every violation is collected (Ajv's `allErrors`) only while the validation may cost at most
 * this many checks (each check can add one error); beyond it, validation stops at the first
 * and the answer says `truncated`.
 */
export const ALL_ERRORS_BUDGET = 100_000;
/** schema text the compiled-validator cache may hold; the oldest entries go first */
const CACHE_BYTES = 8 * 1024 * 1024;

// ajv-formats is CommonJS; under NodeNext its callable export arrives as `.default`.
type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats));

class PatternBudgetExceeded extends Error {}
let patternSpent = 0;

/**
 * Ajv's `code.regExp` engine: patterns are matched by RE2 (re2js), in time linear in the
 * string, and every match is charged to the validation's PATTERN_BUDGET.
 */
const re2Engine = Object.assign(
  (pattern: string): { test(s: string): boolean; toString(): string } => {
    const rx = compilePattern(pattern);
    const size = rx.programSize();
    return {
      test(s: string) {
        patternSpent += size * (s.length + 1);
        if (patternSpent > PATTERN_BUDGET) throw new PatternBudgetExceeded();
        return rx.test(s);
      },
      // Ajv keys its pattern cache by this
      toString: () => `re2:${pattern}`,
    };
  },
  { code: "re2" },
);

/** `uniqueItems` in linear time (Ajv's own compares every pair of items that are not all scalars of a declared type). */
const uniqueItems = Object.assign((schema: boolean, data: unknown): boolean => {
  uniqueItems.errors = undefined;
  if (!schema || !Array.isArray(data)) return true;
  const seen = new Map<string, number>();
  for (let i = 0; i < data.length; i++) {
    const key = canonicalJson(data[i]);
    const j = seen.get(key);
    if (j !== undefined) {
      uniqueItems.errors = [{ keyword: "uniqueItems", params: { i, j }, message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)` }];
      return false;
    }
    seen.set(key, i);
  }
  return true;
}, { errors: undefined as Partial<ErrorObject>[] | undefined });

function makeAjv(allErrors: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors, strict: false, validateSchema: true, code: { regExp: re2Engine } });
  addFormats(ajv);
  ajv.removeKeyword("uniqueItems");
  ajv.addKeyword({ keyword: "uniqueItems", type: "array", schemaType: "boolean", errors: true, validate: uniqueItems });
  return ajv;
}
const firstError = makeAjv(false);
const everyError = makeAjv(true);

/** Compiles without registering the schema (or its `$id`s) in the shared instance: tenants' schemas never see each other, and nothing accumulates. */
function compileWith(ajv: Ajv2020, schema: JsonObject): ValidateFunction {
  try {
    return ajv.compile(schema);
  } finally {
    ajv.removeSchema(schema);
  }
}

interface Compiled {
  schema: JsonObject;
  bytes: number;
  cost: SchemaCost;
  first: ValidateFunction;
  every?: ValidateFunction;
}

/** Compiled validators, keyed by the schema's text: a process's schema is compiled once. */
const cache = new Map<string, Compiled>();
let cachedBytes = 0;

class SchemaRefused extends Error {
  constructor(readonly problem: SchemaProblem) {
    super(problem.message);
  }
}

function compiled(schema: JsonObject): Compiled {
  const text = JSON.stringify(schema);
  const hit = cache.get(text);
  if (hit) return hit;
  const analysis = analyzeSchema(schema);
  if (!("checksAtDepth" in analysis)) throw new SchemaRefused(analysis);
  const copy = JSON.parse(text) as JsonObject;
  let first: ValidateFunction;
  try {
    first = compileWith(firstError, copy);
  } catch (err) {
    throw new SchemaRefused({ pointer: "", message: `is not a valid JSON Schema: ${(err as Error).message}` });
  }
  const entry: Compiled = { schema: copy, bytes: text.length, cost: analysis, first };
  cache.set(text, entry);
  cachedBytes += entry.bytes;
  for (const [key, old] of cache) {
    if (cachedBytes <= CACHE_BYTES) break;
    cache.delete(key);
    cachedBytes -= old.bytes;
  }
  return entry;
}

/** Why a schema cannot be a process's schema (limits, RE2 patterns, JSON Schema itself), with a pointer inside it; null when it can. */
export function schemaProblem(schema: JsonObject): SchemaProblem | null {
  try {
    compiled(schema);
    return null;
  } catch (err) {
    if (err instanceof SchemaRefused) return err.problem;
    throw err;
  }
}

export interface Validation {
  /** at most MAX_VIOLATIONS */
  violations: Violation[];
  /** how many were found */
  count: number;
  /** the list is not every violation: cut at MAX_VIOLATIONS, or validation stopped at the first */
  truncated: boolean;
}

const VALID: Validation = { violations: [], count: 0, truncated: false };

/** Values (and object keys) at each depth of a JSON value, the top being depth 1. Iterative. */
function valuesPerDepth(value: unknown): number[] {
  const counts: number[] = [];
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    counts[d] = (counts[d] ?? 0) + 1;
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) for (const c of v) stack.push([c, d + 1]);
    else {
      for (const [k, c] of Object.entries(v)) {
        stack.push([k, d + 1]);
        stack.push([c, d + 1]);
      }
    }
  }
  return counts;
}

function toViolation(e: ErrorObject): Violation {
  const missing = e.keyword === "required" ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : "";
  return { path: `${e.instancePath}${missing}` || "/", message: e.message ?? "is invalid" };
}

function run(validate: ValidateFunction, value: unknown): ErrorObject[] | "pattern-budget" {
  patternSpent = 0;
  try {
    return validate(value) ? [] : (validate.errors ?? []);
  } catch (err) {
    if (err instanceof PatternBudgetExceeded) return "pattern-budget";
    throw err;
  } finally {
    patternSpent = 0;
  }
}

/**
 * The violations of `value` against a process's schema, each with a JSON Pointer to where it
 * is: every one while that is cheap (ALL_ERRORS_BUDGET), else the first; at most MAX_VIOLATIONS
 * listed. Bounded: the schema's limits were checked when it was saved (again here, for one
 * stored before), and the arguments' size times the schema's cost must fit VALIDATION_BUDGET.
 * A schema that breaks the limits is `400 invalid-schema`.
 */
export function validateAgainst(schema: JsonObject, value: unknown, what: string): Validation {
  let entry: Compiled;
  try {
    entry = compiled(schema);
  } catch (err) {
    if (!(err instanceof SchemaRefused)) throw err;
    const at = err.problem.pointer || "/";
    throw badRequest("invalid-schema", `The process's ${what} is not accepted any more (at ${at}: ${err.problem.message}); update the process.`, {
      violations: [{ path: at, message: err.problem.message }],
      ...(err.problem.limit ? { limit: err.problem.limit } : {}),
    });
  }
  const perDepth = valuesPerDepth(value);
  const checks = perDepth.reduce((s, n, d) => s + n * (entry.cost.checksAtDepth[d] ?? 0), 0);
  if (checks > VALIDATION_BUDGET) {
    return { violations: [{ path: "/", message: `is too large to validate against this schema (up to ${checks} keyword checks; at most ${VALIDATION_BUDGET})` }], count: 1, truncated: true };
  }
  let errors = run(entry.first, value);
  if (errors === "pattern-budget") {
    return { violations: [{ path: "/", message: `holds strings too long to match against this schema's patterns (at most ${PATTERN_BUDGET} RE2 instructions × characters)` }], count: 1, truncated: true };
  }
  if (errors.length === 0) return VALID;
  let every = false;
  if (checks <= ALL_ERRORS_BUDGET) {
    entry.every ??= compileWith(everyError, entry.schema);
    const all = run(entry.every, value);
    if (all !== "pattern-budget" && all.length > 0) {
      errors = all;
      every = true;
    }
  }
  return {
    violations: errors.slice(0, MAX_VIOLATIONS).map(toViolation),
    count: errors.length,
    truncated: !every || errors.length > MAX_VIOLATIONS,
  };
}
