import { INSTANT_MESSAGE, parseInstant } from "./bounds.js";
import { badRequest } from "./errors.js";

/** The query of a list: its page size, its cursor, and the 400 a bad filter answers. */

export function encodeCursor(n: number): string {
  return Buffer.from(JSON.stringify({ s: n })).toString("base64url");
}

/** A cursor this API handed out: a sequence number from 0 to `max`. */
export function decodeCursor(cursor: string | undefined, max = Number.MAX_SAFE_INTEGER): number | null {
  return decodeJobCursor(cursor, max)?.seq ?? null;
}

/**
 * Where a job list's page ends: the last job's seq and, on a list filtered by creation time
 * (ordered by `createdAt`, then seq), its `createdAt`.
 */
export interface JobCursor {
  seq: number;
  createdAt?: string;
}

export function encodeJobCursor(c: JobCursor): string {
  return Buffer.from(JSON.stringify(c.createdAt === undefined ? { s: c.seq } : { s: c.seq, c: c.createdAt })).toString("base64url");
}

/** an instant as the store writes it (ISO 8601, UTC, milliseconds) */
const STORED_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A job list's cursor this API handed out (`decodeCursor`'s, with a creation time when the list was filtered by time). */
export function decodeJobCursor(cursor: string | undefined, max = Number.MAX_SAFE_INTEGER): JobCursor | null {
  if (cursor === undefined || cursor === "") return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { s?: unknown; c?: unknown };
    if (typeof v.s === "number" && Number.isSafeInteger(v.s) && v.s >= 0 && v.s <= max) {
      if (v.c === undefined) return { seq: v.s };
      if (typeof v.c === "string" && STORED_INSTANT.test(v.c)) return { seq: v.s, createdAt: v.c };
    }
  } catch {
    // falls through to the error below
  }
  throw badRequest("invalid-cursor", "cursor is not one this API handed out; pass nextCursor unchanged.", {
    violations: [{ path: "/cursor", message: "is not a cursor this API handed out" }],
  });
}

const LIMIT_MESSAGE = "must be an integer from 1 to 1000";

/** A list's `limit` query parameter as a number, or null when it is not an integer from 1 to 1000. */
function parseLimit(value: string): number | null {
  // decimal digits only: Number() would also take `0x10`, `1e2` or ` 5`
  const limit = /^[0-9]{1,4}$/.test(value) ? Number(value) : Number.NaN;
  return Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : null;
}

/** A list's `limit` query parameter: an integer from 1 to 1000, `fallback` when absent. */
export function queryLimit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const limit = parseLimit(value);
  if (limit === null) invalidFilter("/limit", LIMIT_MESSAGE);
  return limit;
}

/** 400 invalid-filter naming the query parameter (`path` is `/name`). */
export function invalidFilter(path: string, message: string): never {
  throw badRequest("invalid-filter", `${path.slice(1)} ${message}.`, { violations: [{ path, message }] });
}

/**
 * The faults of a list's filters, gathered as they are read, so that one 400 invalid-filter
 * names every one (`path` is `/name`), as a body's 400 lists every violation.
 */
export class FilterFaults {
  private readonly violations: { path: string; message: string }[] = [];

  add(path: string, message: string): void {
    this.violations.push({ path, message });
  }

  /** `limit` (1 to 1000), `fallback` when absent or at fault */
  limit(value: string | undefined, fallback: number): number {
    if (value === undefined) return fallback;
    const limit = parseLimit(value);
    if (limit === null) this.add("/limit", LIMIT_MESSAGE);
    return limit ?? fallback;
  }

  /** an ISO 8601 instant of the years 0001-9999, normalized to UTC; undefined when absent or at fault */
  instant(name: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    const at = parseInstant(value);
    if (at === null) this.add(`/${name}`, INSTANT_MESSAGE);
    return at ?? undefined;
  }

  /** Throws the 400 that lists every fault, if any was found. */
  check(): void {
    if (this.violations.length === 0) return;
    const detail = this.violations.map((v) => `${v.path.slice(1)} ${v.message}`).join("; ");
    throw badRequest("invalid-filter", `${detail}.`, { violations: this.violations });
  }
}
