import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { badRequest, type Violation } from "./errors.js";
import type { JsonObject } from "./types.js";

// ajv-formats is CommonJS; under NodeNext its callable export arrives as `.default`.
type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats));

const ajv = new Ajv2020({ allErrors: true, strict: false, validateSchema: true });
addFormats(ajv);

/** Compiled validators, keyed by the schema's text: a process's schema is compiled once. */
const cache = new Map<string, ValidateFunction>();

export function compileSchema(schema: JsonObject, what: string): ValidateFunction {
  const text = JSON.stringify(schema);
  let validate = cache.get(text);
  if (validate) return validate;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw badRequest("invalid-schema", `The ${what} is not a valid JSON Schema: ${(err as Error).message}`);
  }
  if (cache.size > 1000) cache.clear();
  cache.set(text, validate);
  return validate;
}

/** Every violation, not just the first, with a JSON Pointer to where it is. */
export function violations(schema: JsonObject, value: unknown): Violation[] {
  const validate = compileSchema(schema, "schema");
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => {
    const missing = e.keyword === "required" ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : "";
    return { path: `${e.instancePath}${missing}` || "/", message: e.message ?? "is invalid" };
  });
}
