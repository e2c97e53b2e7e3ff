import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { servedOpenApiDocument } from "../../src/http/servedDocument.js";
import { API_TYPES_BASE, API_TYPES_FILE, apiTypesSource } from "../../scripts/apiTypesFile.js";

/**
 * The client's and the console's resource types are generated from the document the server
 * serves (src/client/openapi.ts, checked in): regenerated here in memory, they must equal the
 * file, so a schema changed without regenerating fails. The client and the console alias
 * them, so they cannot drift from the document on their own.
 */
const root = join(import.meta.dirname, "..", "..");

describe("the generated API types", () => {
  it(`${API_TYPES_FILE} is current (run \`npm run gen:api-types\`)`, async () => {
    const expected = await apiTypesSource(await servedOpenApiDocument(API_TYPES_BASE));
    const actual = readFileSync(join(root, API_TYPES_FILE), "utf8");
    expect(actual === expected, `${API_TYPES_FILE} is stale: run \`npm run gen:api-types\``).toBe(true);
  }, 30_000);

  it("does not depend on the base the document is built for", async () => {
    const other = await apiTypesSource(await servedOpenApiDocument("https://baton.example.com/acme/Production/orchestrator_"));
    expect(other).toBe(await apiTypesSource(await servedOpenApiDocument(API_TYPES_BASE)));
  }, 30_000);

  it("imports nothing: the client stays dependency-free", () => {
    const text = readFileSync(join(root, API_TYPES_FILE), "utf8");
    expect(text).not.toMatch(/^\s*import\b/m);
    expect(text).not.toMatch(/\bfrom\s+["']/);
  });
});
