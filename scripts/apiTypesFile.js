// What the served OpenAPI document generates, as text: the client's and the console's resource
// types (src/client/openapi.ts). Shared by scripts/gen-api-types.js (which writes the file)
// and test/unit/apiTypes.test.ts (which checks it is current).
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

/**
 * The tenant base the document is built for. Any base gives the same types (it only shows in
 * `servers`, which types leave out); a fixed one keeps the generation deterministic.
 */
export const API_TYPES_BASE = "http://localhost:8080/default/DefaultTenant/orchestrator_";

/** The checked-in file, relative to the repository's root. */
export const API_TYPES_FILE = "src/client/openapi.ts";

const HEADER = `// Generated from the served OpenAPI document (src/http/openapi.ts) by \`npm run gen:api-types\`
// (openapi-typescript); do not edit. test/unit/apiTypes.test.ts fails when it is stale.
// Only \`components\`: the client (src/client/types.ts) and the console (web/src/api.ts) alias
// its schemas; the paths and operations (four times as long) have no user yet.
// It imports nothing, so the client stays dependency-free.

`;

/** @param {Record<string, unknown>} document the document as openApiDocument(API_TYPES_BASE) builds it */
export async function apiTypesSource(document) {
  // the document as served (its JSON), and a copy: the server caches the object, and
  // openapi-typescript's bundler may annotate what it is given
  const served = JSON.parse(JSON.stringify(document));
  // defaultNonNullable false: a request body's field with a default stays optional;
  // emptyObjectsUnknown: a JSON Schema field (`type: object`, no properties) is Record<string, unknown>
  const ast = await openapiTS(served, { silent: true, defaultNonNullable: false, emptyObjectsUnknown: true });
  const components = ast.filter((node) => ts.isInterfaceDeclaration(node) && node.name.text === "components");
  if (components.length !== 1) throw new Error("openapi-typescript's output has no `components` interface");
  return HEADER + astToString(components);
}
