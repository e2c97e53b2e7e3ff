/**
 * Named shapes: a TypeBox schema that is a resource of the document (`components.schemas`,
 * whose name the client's and the console's generated types use). Routes use the schema
 * object itself (Fastify validates and serializes with it inline); the document refers to
 * it by its name (openapiRoutes.ts replaces each named object by a `$ref`).
 */
const names = new Map<object, string>();

/** Declares `schema` as the component `name` of the document; returns it unchanged. */
export function named<T extends object>(name: string, schema: T): T {
  names.set(schema, name);
  return schema;
}

/** the named shapes, by name */
export function namedSchemas(): Map<string, object> {
  return new Map([...names].map(([schema, name]) => [name, schema]));
}

/**
 * A copy of `schema` (plain JSON: TypeBox's symbols dropped) in which every named shape
 * (but the root, with `keepRoot`) is `{ $ref: "#/components/schemas/{name}" }`.
 */
export function withRefs(schema: unknown, keepRoot = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withRefs(s));
  if (schema === null || typeof schema !== "object") return schema;
  const name = keepRoot ? undefined : names.get(schema);
  if (name) return { $ref: `#/components/schemas/${name}` };
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, withRefs(v)]));
}
