import { badRequest } from "./errors.js";

/** The query of a list: its page size, its cursor, and the 400 a bad filter answers. */

export function encodeCursor(n: number): string {
  return Buffer.from(JSON.stringify({ s: n })).toString("base64url");
}

/** A cursor this API handed out: a sequence number from 0 to `max`. */
export function decodeCursor(cursor: string | undefined, max = Number.MAX_SAFE_INTEGER): number | null {
  if (cursor === undefined || cursor === "") return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { s?: unknown };
    if (typeof v.s === "number" && Number.isSafeInteger(v.s) && v.s >= 0 && v.s <= max) return v.s;
  } catch {
    // falls through to the error below
  }
  throw badRequest("invalid-cursor", "cursor is not one this API handed out; pass nextCursor unchanged.", {
    violations: [{ path: "/cursor", message: "is not a cursor this API handed out" }],
  });
}

/** A list's `limit` query parameter: an integer from 1 to 1000, `fallback` when absent. */
export function queryLimit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  // decimal digits only: Number() would also take `0x10`, `1e2` or ` 5`
  const limit = /^[0-9]{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) invalidFilter("/limit", "must be an integer from 1 to 1000");
  return limit;
}

/** 400 invalid-filter naming the query parameter (`path` is `/name`). */
export function invalidFilter(path: string, message: string): never {
  throw badRequest("invalid-filter", `${path.slice(1)} ${message}.`, { violations: [{ path, message }] });
}
