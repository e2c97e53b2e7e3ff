/**
 * Every error a caller can see is a BatonError: a stable `code`, an HTTP `status`, a
 * human `title` and `detail`. The HTTP layer renders it as application/problem+json
 * (RFC 9457); anything else thrown is coerced once, at the edge, into `internal-error`.
 */
export class BatonError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    title: string,
    detail: string,
    options: { extra?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BatonError";
    this.status = status;
    this.code = code;
    this.title = title;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (code: string, detail: string, extra?: Record<string, unknown>) =>
  new BatonError(400, code, "Bad Request", detail, { extra });

export const notFound = (code: string, detail: string) => new BatonError(404, code, "Not Found", detail);

export const conflict = (code: string, detail: string, extra?: Record<string, unknown>) =>
  new BatonError(409, code, "Conflict", detail, { extra });

export const unauthorized = (detail: string) =>
  new BatonError(401, "unauthorized", "Unauthorized", detail, {
    headers: { "www-authenticate": 'Bearer realm="baton"' },
  });

export const forbidden = (code: string, detail: string) => new BatonError(403, code, "Forbidden", detail);

export const TriggerNotFound = (slug: string) =>
  notFound("trigger-not-found", `No API trigger with slug '${slug}' exists in this folder.`);
export const FolderNotFound = (key: string) => notFound("folder-not-found", `No folder with key '${key}' exists in this tenant.`);
export const ProcessNotFound = (name: string) =>
  notFound("process-not-found", `No process named '${name}' exists in this folder.`);
export const JobNotFound = (key: string) => notFound("job-not-found", `No job with key '${key}' exists in this tenant.`);
export const TenantNotFound = () => notFound("tenant-not-found", "No such organization or tenant.");

/** `allowed`: the Allow header's value, e.g. `GET, HEAD, OPTIONS` */
export const MethodNotAllowed = (allowed: string, detail = `This trigger is invoked with ${allowed}.`) =>
  new BatonError(405, "method-not-allowed", "Method Not Allowed", detail, {
    headers: { allow: allowed },
  });

export const TriggerDisabled = (slug: string) =>
  conflict("trigger-disabled", `The API trigger '${slug}' is disabled; enable it to create jobs.`);

export const PayloadTooLarge = (limit: number) =>
  new BatonError(413, "payload-too-large", "Payload Too Large", `The request body exceeds this tenant's limit of ${limit} bytes.`, {
    extra: { limit },
  });

export const UnsupportedMediaType = (got: string) =>
  new BatonError(415, "unsupported-media-type", "Unsupported Media Type", `Expected Content-Type application/json, got '${got}'.`);

export interface Violation {
  path: string;
  message: string;
}

/** `violations` lists at most 20 (MAX_VIOLATIONS); `violationCount` is how many were found, `truncated` whether the list is not all of them. */
export const InvalidArguments = (found: { violations: Violation[]; count: number; truncated: boolean }) =>
  badRequest("invalid-arguments", `The input arguments do not match the process's input schema (${found.count} violation${found.count === 1 ? "" : "s"}${found.truncated ? " found; the list is truncated" : ""}).`, {
    violations: found.violations, violationCount: found.count, truncated: found.truncated,
  });

/** A process's schema that breaks one of SCHEMA_LIMITS: `limit` names it, `max` is its value, `violations[0].path` points into the process body. */
export const SchemaTooComplex = (path: string, limit: string, max: number, message: string) =>
  badRequest("schema-too-complex", `${path.slice(1)} ${message}.`, { violations: [{ path, message }], limit, max });

export const Internal = (cause: unknown) =>
  new BatonError(500, "internal-error", "Internal Server Error", "An unexpected error occurred; it has been logged.", { cause });

export const StoreUnavailable = (cause: unknown) =>
  new BatonError(503, "store-unavailable", "Service Unavailable", "The job store is unreachable; retry shortly.", {
    headers: { "retry-after": "5" },
    cause,
  });

const UNAVAILABLE_CODES = new Set([
  "SQLITE_BUSY", "SQLITE_LOCKED", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN",
  // PostgreSQL: admin/crash shutdown, cannot connect now, connection exceptions, too many connections
  "57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006", "53300",
  // statement_timeout (Baton cancels no query otherwise): the store is too slow to answer now
  "57014",
]);
// "Query read timeout": the client's query_timeout, PostgreSQL did not answer at all (frozen)
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Client was closed|Query read timeout/i;

/**
 * A statement that ran past `statement_timeout`: the store answered, one query was slow. It
 * is a 503 for its caller, but no outage: leases keep expiring (Maintenance's grace is for
 * a store nobody can reach).
 */
export function isStatementTimeout(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "57014";
}

/** a unique index refused a write (PostgreSQL, SQLite) */
const UNIQUE_CODES = new Set(["23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"]);

/** A unique constraint refused a write: two callers created the same name at once, and this one lost. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && UNIQUE_CODES.has(String((err as { code?: unknown }).code));
}

/**
 * For `.catch(…)` on a store write whose name the core checked just before: the caller that
 * loses a race for the name gets the resource's 409, as a later caller does, not a 500.
 */
export function onUniqueViolation(conflictError: () => BatonError): (err: unknown) => never {
  return (err) => { throw isUniqueViolation(err) ? conflictError() : err; };
}

/** A failure of the store's connection rather than of the request: 503 with Retry-After, nothing lost. */
export function isStoreUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === "string" && UNAVAILABLE_CODES.has(e.code)) return true;
  return typeof e?.message === "string" && UNAVAILABLE_MESSAGES.test(e.message);
}
