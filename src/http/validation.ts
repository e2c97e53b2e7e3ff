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

/** One violation: a JSON Pointer into the part at fault (for the querystring and params, `/` and the name) and what is wrong. */
export interface Violation {
  path: string;
  message: string;
}

/** Ajv's errors as violations: the pointer of the property at fault, and a sentence about it. */
export function violationsOf(errors: readonly ErrorObject[]): Violation[] {
  const seen = new Set<string>();
  const out: Violation[] = [];
  // a union (`anyOf`: `string | null`…) whose branches all fail is one fault, not one per branch
  const unions = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  const branchOf = (e: ErrorObject) => unions.find((u) => u !== e && e.instancePath === u.instancePath && e.schemaPath.startsWith(`${u.schemaPath}/`));
  for (const e of errors) {
    if (branchOf(e)) continue;
    let v = toViolation(e);
    if (unions.includes(e)) {
      const types = errors.filter((b) => branchOf(b) === e && b.keyword === "type").map((b) => String((b.params as { type: unknown }).type));
      const others = errors.some((b) => branchOf(b) === e && b.keyword !== "type");
      v = { path: v.path, message: types.length && !others ? `must be ${types.join(" or ")}` : "does not match any of the allowed shapes" };
    }
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
