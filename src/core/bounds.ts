import type { Violation } from "./errors.js";

/**
 * The bounds every number, date and name the API takes is held to, so nothing reaches the
 * store that it cannot keep (a 500), or that breaks a job later (a deadline no Date can hold).
 */

/** the longest duration the API takes (a process's maxDurationSeconds, a retry's backoff): a year */
export const MAX_DURATION_SECONDS = 365 * 24 * 60 * 60;

/** the largest value of a 32-bit integer column (PostgreSQL `integer`) */
export const INT32_MAX = 2 ** 31 - 1;

/** the earliest and latest instants the API takes or computes: years 0001 to 9999, what every store keeps */
export const MIN_INSTANT_MS = Date.parse("0001-01-01T00:00:00.000Z");
export const MAX_INSTANT_MS = Date.parse("9999-12-31T23:59:59.999Z");

/** An instant `ms` after the epoch as ISO 8601, clamped into years 0001-9999: never throws, whatever the arithmetic gave. */
export function clampedIso(ms: number): string {
  const t = Number.isNaN(ms) ? MAX_INSTANT_MS : Math.min(MAX_INSTANT_MS, Math.max(MIN_INSTANT_MS, ms));
  return new Date(t).toISOString();
}

/** `from` plus `seconds`, clamped (see clampedIso) */
export function isoAfter(from: number, seconds: number): string {
  return clampedIso(from + seconds * 1000);
}

// YYYY-MM-DD, optionally THH:MM[:SS[.fraction]] and Z or ±HH:MM
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/**
 * An ISO 8601 date or date-time (`2024-05-01`, `2024-05-01T12:00:00Z`, `…+02:00`) of years
 * 0001-9999 that exists on the calendar, normalized to `toISOString()`; null for anything
 * else (`+275760-09-13`, `0000-00-00`, `2024-02-31`, `March 7, 2024`, a number).
 */
export function parseInstant(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 40) return null;
  const m = ISO_INSTANT.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 59))) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t) || t < MIN_INSTANT_MS || t > MAX_INSTANT_MS) return null;
  return new Date(t).toISOString();
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

export const INSTANT_MESSAGE = "must be an ISO 8601 date or date-time (such as 2024-05-01T12:00:00Z) of the years 0001 to 9999";

/** An integer from `min` to `max`, or null. */
export function boundedInteger(value: unknown, min: number, max: number): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? value : null;
}

/**
 * Characters a name may not hold: control characters (C0, DEL, C1), bidirectional overrides
 * and isolates (U+202A–U+202E, U+2066–U+2069, and the marks U+200E, U+200F, U+061C), zero-width
 * characters (U+200B–U+200D, U+2060, U+FEFF), line and paragraph separators (U+2028, U+2029)
 * and unpaired surrogates: they make one name look like another in a list, a log or a terminal.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `name` is not a safe name (a message for a violation), or null. */
export function unsafeNameCharacter(name: string): string | null {
  const m = UNSAFE_IN_NAME.exec(name);
  if (!m) return null;
  const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return `holds the character U+${code} (a control, bidirectional, zero-width or unpaired character), which names may not hold`;
}

/** A violation for `path` when `name` holds an unsafe character, else null. */
export function nameViolation(path: string, name: string): Violation | null {
  const message = unsafeNameCharacter(name);
  return message ? { path, message } : null;
}

/** how many process names a robot session may serve */
export const MAX_SESSION_PROCESSES = 1000;
