import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, isErrorCode } from "../../src/core/errorCodes.js";
import { API_ERROR_CODES } from "../../src/client/errorCodes.js";
import { clientErrorCodesSource, docsErrorTable, replaceDocsTable } from "../../scripts/errorCodeFiles.js";

/**
 * One catalogue of error codes (src/core/errorCodes.ts). The compiler checks that every
 * BatonError's code and every code the OpenAPI document lists is in it; this file checks the
 * rest: the statuses the code answers them with, and that what is generated from it (the
 * client's codes, the table of docs/api.md) is current.
 */
const root = join(import.meta.dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const HELPER_STATUS: Record<string, number> = { badRequest: 400, notFound: 404, conflict: 409, forbidden: 403 };

describe("the error catalogue", () => {
  it("every error the server builds answers with its code's status", () => {
    const found: string[] = [];
    for (const file of sources(join(root, "src")).filter((f) => !f.includes(`${join("src", "client")}`))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\b(badRequest|notFound|conflict|forbidden)\(\s*"([a-z0-9-]+)"/g)) found.push(`${m[2]} ${HELPER_STATUS[m[1]!]} ${file}`);
      for (const m of text.matchAll(/BatonError\(\s*(\d{3}),\s*"([a-z0-9-]+)"/g)) found.push(`${m[2]} ${m[1]} ${file}`);
      for (const m of text.matchAll(/\[(\d{3}), "([a-z0-9-]+)"/g)) found.push(`${m[2]} ${m[1]} ${file}`);
    }
    expect(found.length).toBeGreaterThan(80);
    const wrong = found.filter((f) => {
      const [code, status] = f.split(" ") as [string, string];
      return !isErrorCode(code) || ERROR_CODES[code].status !== Number(status);
    });
    expect(wrong).toEqual([]);
  });

  it("codes are lower-case words joined by dashes", () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
  });

  it("the client's codes are generated from it and current (npm run gen:error-codes)", () => {
    expect(API_ERROR_CODES).toEqual(ERROR_CODES);
    expect(readFileSync(join(root, "src/client/errorCodes.ts"), "utf8")).toBe(clientErrorCodesSource(ERROR_CODES));
  });

  it("the table of docs/api.md is generated from it and current (npm run gen:error-codes)", () => {
    const docs = readFileSync(join(root, "docs/api.md"), "utf8");
    expect(replaceDocsTable(docs, docsErrorTable(ERROR_CODES))).toBe(docs);
  });
});
