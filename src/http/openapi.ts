/** The OpenAPI 3.1 document of the API, served at `…/api/v1/openapi.json`. */
export function openApiDocument(): Record<string, unknown> {
  return { openapi: "3.1.0", info: { title: "Baton", version: "0.1.0" }, paths: {} };
}
