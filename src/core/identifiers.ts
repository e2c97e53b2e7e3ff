import { randomUUID } from "node:crypto";

/** The shapes of the identifiers in URLs: an API trigger's slug, and the UUIDs of folders, triggers and jobs. */

const SLUG = /^[A-Za-z0-9_.-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 1-128 letters, digits, '-', '_' or '.' */
export function isSlug(value: string): boolean {
  return SLUG.test(value);
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * A UUID of version 7 (RFC 9562): the first 48 bits are the time in milliseconds, the other 74
 * random. Keys written in time order land at the end of their indexes, so a write dirties a
 * page or two instead of a random page per index (fewer pages for each commit to write, and a
 * job table of a million rows costs no more to insert into than an empty one); they are still
 * unguessable. Job keys and webhook delivery ids.
 */
export function timeOrderedUuid(nowMs: number = Date.now()): string {
  const random = randomUUID();
  const t = nowMs.toString(16).padStart(12, "0");
  // the random UUID's own version digit (at 14) becomes 7; its variant bits stay
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${random.slice(15)}`;
}
