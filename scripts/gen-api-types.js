#!/usr/bin/env node
// Writes the client's and the console's resource types (src/client/openapi.ts) from the
// OpenAPI document exactly as the server builds and serves it (src/http/servedDocument.ts:
// the routes' generated operations and openapi.ts's prose).
// test/unit/apiTypes.test.ts fails when the file is stale: run `npm run gen:api-types` after
// changing the routes, their schemas (src/http/schemas/) or the document's prose (src/http/openapi.ts).
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { API_TYPES_BASE, API_TYPES_FILE, apiTypesSource } from "./apiTypesFile.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { servedOpenApiDocument } = await tsImport(pathToFileURL(join(root, "src/http/servedDocument.ts")).href, import.meta.url);

const source = await apiTypesSource(await servedOpenApiDocument(API_TYPES_BASE));
writeFileSync(join(root, API_TYPES_FILE), source);
console.log(`gen-api-types: ${API_TYPES_FILE} written (${source.split("\n").length} lines)`);
