// What the error catalogue generates, as text: shared by scripts/gen-error-codes.js (which
// writes it) and test/unit/errorCodes.test.ts (which checks the files are current).

const START = "<!-- error-codes:start (generated from src/core/errorCodes.ts by `npm run gen:error-codes`) -->";
const END = "<!-- error-codes:end -->";

/** @param {Record<string, { status: number; when: string }>} codes */
export function clientErrorCodesSource(codes) {
  const lines = Object.entries(codes).map(([code, { status, when }]) => `  ${JSON.stringify(code)}: { status: ${status}, when: ${JSON.stringify(when)} },`);
  return `// Generated from src/core/errorCodes.ts by \`npm run gen:error-codes\`; do not edit.
// test/unit/errorCodes.test.ts fails when it no longer matches the server's catalogue.

/** Every error code the API answers (a problem's \`code\`), with its HTTP status and when it is answered. */
export const API_ERROR_CODES = {
${lines.join("\n")}
} as const;

/** A stable error code of the API: what \`BatonApiError.code\` holds for this server's version. */
export type ApiErrorCode = keyof typeof API_ERROR_CODES;
`;
}

/** @param {Record<string, { status: number; when: string }>} codes */
export function docsErrorTable(codes) {
  const rows = Object.entries(codes)
    .sort(([a, x], [b, y]) => x.status - y.status || a.localeCompare(b))
    .map(([code, { status, when }]) => `| ${status} | \`${code}\` | ${when.replace(/\|/g, "\\|")} |`);
  return [START, "", "| status | code | when |", "|---|---|---|", ...rows, "", END].join("\n");
}

/** docs/api.md with its table between the markers replaced (the markers must be there) */
export function replaceDocsTable(markdown, table) {
  const start = markdown.indexOf("<!-- error-codes:start");
  const end = markdown.indexOf(END);
  if (start < 0 || end < 0) throw new Error("docs/api.md has no error-codes markers");
  return markdown.slice(0, start) + table + markdown.slice(end + END.length);
}
