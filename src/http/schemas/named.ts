/**
 * Named shapes: a TypeBox schema that is a resource of the document (`components.schemas`,
 * whose name the client's and the console's generated types use). Routes use the schema
 * object itself (Fastify validates and serializes with it inline); the document refers to
 * it by its name (openapiRoutes.ts replaces each named object by a `$ref`).
 */
const names = new Map<object, string>();
const taken = new Set<string>();

/**
 * Declares `schema` as the component `name` of the document; returns it unchanged. A name is
 * declared once: a second shape of the same name (two files each declaring `JobState`) would
 * silently replace the first in the document, so it throws; import the first instead.
 */
export function named<T extends object>(name: string, schema: T): T {
  if (taken.has(name)) throw new Error(`The schema ${name} is declared twice (schemas/named.ts): import the one declared first.`);
  taken.add(name);
  names.set(schema, name);
  return schema;
}

/** uses of named shapes with a sentence of their own (namedWithDescription) */
const described = new Map<object, { name: string; description: string }>();

/**
 * A use of the named shape `schema` with a sentence of its own (a `$callMode` that overrides
 * the trigger's): Fastify sees the shape with that description, the document
 * `{ $ref, description }`. Not through `Type.Optional`, which copies it: for an optional field,
 * an object schema written out (`Type.Unsafe`).
 */
export function namedWithDescription<T extends object>(schema: T, description: string): T {
  const name = names.get(schema);
  if (!name) throw new Error("namedWithDescription: not a named shape");
  const use = { ...schema, description };
  described.set(use, { name, description });
  return use;
}

/** the named shapes, by name */
export function namedSchemas(): Map<string, object> {
  return new Map([...names].map(([schema, name]) => [name, schema]));
}

/** The named shapes as the document's `components.schemas`: each nested named shape by reference. */
export function namedComponents(): Record<string, unknown> {
  return Object.fromEntries([...names].map(([schema, name]) => [name, withRefs(schema, true)]));
}

/** on a `T | null` made by common.ts OrNull: its T and options, so that a named T is written as a `$ref` */
export const NULLABLE_OF = Symbol("nullableOf");

/**
 * A copy of `schema` (plain JSON: TypeBox's symbols dropped) in which every named shape
 * (but the root, with `keepRoot`) is `{ $ref: "#/components/schemas/{name}" }`, a named one
 * or null (OrNull) `{ anyOf: [{ $ref }, { type: "null" }] }`.
 */
export function withRefs(schema: unknown, keepRoot = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withRefs(s));
  if (schema === null || typeof schema !== "object") return schema;
  const name = keepRoot ? undefined : names.get(schema);
  if (name) return { $ref: `#/components/schemas/${name}` };
  const nullable = (schema as { [NULLABLE_OF]?: { of: object; options: object } })[NULLABLE_OF];
  if (nullable && names.has(nullable.of)) return { anyOf: [withRefs(nullable.of), { type: "null" }], ...nullable.options };
  const use = described.get(schema);
  if (use) return { $ref: `#/components/schemas/${use.name}`, description: use.description };
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, withRefs(v)]));
}
