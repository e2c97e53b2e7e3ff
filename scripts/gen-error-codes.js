#!/usr/bin/env node
// Writes what comes from the error catalogue (src/core/errorCodes.ts): the client's
// src/client/errorCodes.ts (the client imports nothing from the server) and the table of
// docs/api.md between its error-codes markers. test/unit/errorCodes.test.ts fails when
// either is stale: run `npm run gen:error-codes` after changing the catalogue.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { clientErrorCodesSource, docsErrorTable, replaceDocsTable } from "./errorCodeFiles.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { ERROR_CODES } = await tsImport(pathToFileURL(join(root, "src/core/errorCodes.ts")).href, import.meta.url);

writeFileSync(join(root, "src/client/errorCodes.ts"), clientErrorCodesSource(ERROR_CODES));
const docs = join(root, "docs/api.md");
writeFileSync(docs, replaceDocsTable(readFileSync(docs, "utf8"), docsErrorTable(ERROR_CODES)));
console.log(`gen-error-codes: ${Object.keys(ERROR_CODES).length} codes written to src/client/errorCodes.ts and docs/api.md`);
