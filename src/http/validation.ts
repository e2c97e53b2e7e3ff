/**
 * How Fastify validates what a route declares (its body, querystring and params schemas),
 * and how every fault becomes one `violations: [{ path, message }]` list.
 *
 * Two Ajv instances: bodies are taken as sent (no type coercion: `{"name": 5}` is a fault,
 * not the string "5"); the querystring and params are strings on the wire, so they are
 * coerced to the declared types (`?limit=5` is the integer 5). Both report every fault
 * (`allErrors`), never drop an unknown property silently (`removeAdditional: false`: a
 * schema closes an object with `additionalProperties: false`, and a stray field is a
 * violation), and fill declared defaults.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";
import type { ErrorCode } from "../core/errorCodes.js";
import { badRequest, type BatonError } from "../core/errors.js";

// ajv-formats is CommonJS; under NodeNext its callable export arrives as `.default`.
type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats));

function newAjv(coerceTypes: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, coerceTypes: coerceTypes ? "array" : false, removeAdditional: false, useDefaults: true, strict: false, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}

const bodies = newAjv(false);
const parameters = newAjv(true);

/** Fastify's validator compiler: the body without coercion, the querystring and params with it. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === "body" ? bodies : parameters;
  return ajv.compile(schema as object) as ValidateFunction;
};

/**
 * A body validated by its schema and by `check`, a rule the schema cannot say (a bound set
 * by the server's options, a format of the core's own): both lists of faults in the one 400.
 * `check` gets the body as Ajv left it (defaults filled) whether or not it matched, and
 * reports only what the schema does not (it skips a value of the wrong type).
 */
export function bodyCheckedAlso(check: (body: unknown) => Violation[]): FastifySchemaCompiler<unknown> {
  return (route) => {
    const validate = validatorCompiler(route) as ValidateFunction;
    if (route.httpPart !== "body") return validate;
    const checked = Object.assign((body: unknown): boolean => {
      const valid = validate(body);
      const more = check(body);
      if (valid && more.length === 0) return true;
      checked.errors = [...(valid ? [] : validate.errors ?? []), ...more.map((v): ErrorObject => ({
        keyword: "check", instancePath: v.path, schemaPath: "#", params: {}, message: v.message,
      }))];
      return false;
    }, { errors: null as ErrorObject[] | null });
    return checked;
  };
}

/** One violation: a JSON Pointer into the part at fault (for the querystring and params, `/` and the name) and what is wrong. */
export interface Violation {
  path: string;
  message: string;
}

/** Ajv's errors as violations: the pointer of the property at fault, and a sentence about it. */
export function violationsOf(errors: readonly ErrorObject[]): Violation[] {
  // A union (`anyOf`: `string | null`…) whose branches all fail is one fault, not one per
  // branch: the faults of the one branch the value's type fits (`0` for `integer ≥ 1 | null`:
  // must be >= 1), else one sentence for the union (must be string or null).
  const unions = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  const inBranch = (u: ErrorObject, e: ErrorObject) => e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`) && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`));
  const branch = (u: ErrorObject, e: ErrorObject) => e.schemaPath.slice(u.schemaPath.length + 1).split("/", 1)[0]!;
  const dropped = new Set<ErrorObject>();
  const sentences = new Map<ErrorObject, string>();
  for (const u of unions) {
    const inside = errors.filter((e) => inBranch(u, e));
    // a branch's own type check, failed: the value is not of that branch's type
    const misfit = (e: ErrorObject) => e.keyword === "type" && e.instancePath === u.instancePath && e.schemaPath === `${u.schemaPath}/${branch(u, e)}/type`;
    const misfits = new Set(inside.filter(misfit).map((e) => branch(u, e)));
    const fitting = [...new Set(inside.map((e) => branch(u, e)))].filter((b) => !misfits.has(b));
    if (fitting.length === 1) {
      dropped.add(u);
      for (const e of inside) if (branch(u, e) !== fitting[0]) dropped.add(e);
      continue;
    }
    for (const e of inside) dropped.add(e);
    const types = inside.filter(misfit).map((e) => String((e.params as { type: unknown }).type));
    sentences.set(u, types.length && fitting.length === 0 ? `must be ${types.join(" or ")}` : "does not match any of the allowed shapes");
  }
  const seen = new Set<string>();
  const out: Violation[] = [];
  for (const e of errors) {
    if (dropped.has(e)) continue;
    const v = toViolation(e);
    const sentence = sentences.get(e);
    if (sentence) v.message = sentence;
    const key = `${v.path}\u0000${v.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}

function toViolation(e: ErrorObject): Violation {
  const at = e.instancePath || "";
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required": return { path: `${at}/${escape(String(params.missingProperty))}`, message: "is required" };
    case "additionalProperties": return { path: `${at}/${escape(String(params.additionalProperty))}`, message: "is not a known field" };
    case "enum": return { path: at || "/", message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "const": return { path: at || "/", message: `must be ${JSON.stringify(params.allowedValue)}` };
    default: return { path: at || "/", message: e.message ?? "is not valid" };
  }
}

const escape = (name: string) => name.replace(/~/g, "~0").replace(/\//g, "~1");

/** Fastify's httpPart names, and the word a detail uses for each. */
const PART_NAMES: Record<string, string> = { body: "body", querystring: "query", params: "path", headers: "headers" };

/**
 * The one 400 of a request that does not match its route's schemas: the route's code for
 * its body (`config.errors.invalid`, e.g. invalid-user), its querystring's
 * (`config.errors.invalidQuery`, invalid-query by default), `invalid-request` otherwise;
 * every violation listed.
 */
export function validationProblem(errors: readonly ErrorObject[], part: string, codes: { invalid?: ErrorCode; invalidQuery?: ErrorCode } = {}): BatonError {
  const violations = violationsOf(errors);
  const prefix = part === "querystring" ? "/" : "";
  const listed = violations.map((v) => ({ path: part === "querystring" && v.path.startsWith("/") ? v.path : `${prefix}${v.path}`, message: v.message }));
  const chosen: ErrorCode = part === "body" ? codes.invalid ?? "invalid-body" : part === "querystring" ? codes.invalidQuery ?? "invalid-query" : "invalid-request";
  const first = listed[0];
  const detail = listed.length === 1 && first
    ? `The ${PART_NAMES[part] ?? part} is not valid: ${first.path} ${first.message}.`
    : `The ${PART_NAMES[part] ?? part} is not valid: ${listed.length} violations.`;
  return badRequest(chosen, detail, { violations: listed });
}
