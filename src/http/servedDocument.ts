/**
 * The OpenAPI document as a server serves it, without a store: the routes are registered on
 * a server that is never opened (nothing of the Baton is called while routes register), so
 * the operations generated from them are there. For the tools that write or check what is
 * generated from the document (scripts/gen-api-types.js, test/unit/apiTypes.test.ts).
 */
import type { Baton } from "../core/Baton.js";
import { openApiDocument } from "./openapi.js";
import { buildServer } from "./server.js";

/** a Baton whose every member is a no-op (what registering routes and metrics touches), never awaited as a promise */
const inert: unknown = new Proxy(function inert() {}, {
  get: (_target, key) => (key === "then" ? undefined : inert),
  apply: () => inert,
});

export async function servedOpenApiDocument(base: string): Promise<Record<string, unknown>> {
  const server = buildServer({ baton: inert as Baton });
  await server.app.ready();
  try {
    return openApiDocument(base);
  } finally {
    await server.app.close();
  }
}
