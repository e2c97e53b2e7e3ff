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
