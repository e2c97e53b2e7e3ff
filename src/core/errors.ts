import type { ErrorCode } from "./errorCodes.js";

/**
 * Every error a caller can see is a BatonError: a stable `code`, an HTTP `status`, a
 * human `title` and `detail`. The HTTP layer renders it as application/problem+json
 * (RFC 9457); anything else thrown is coerced once, at the edge, into `internal-error`.
 */
export class BatonError extends Error {
  /** one of the catalogue's (errorCodes.ts) */
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: ErrorCode,
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

export const badRequest = (code: ErrorCode, detail: string, extra?: Record<string, unknown>) =>
  new BatonError(400, code, "Bad Request", detail, { extra });

export const notFound = (code: ErrorCode, detail: string) => new BatonError(404, code, "Not Found", detail);

export const conflict = (code: ErrorCode, detail: string, extra?: Record<string, unknown>) =>
  new BatonError(409, code, "Conflict", detail, { extra });

export const unauthorized = (detail: string) =>
  new BatonError(401, "unauthorized", "Unauthorized", detail, {
    headers: { "www-authenticate": 'Bearer realm="baton"' },
  });

export const forbidden = (code: ErrorCode, detail: string) => new BatonError(403, code, "Forbidden", detail);

export const TriggerNotFound = (slug: string) =>
  notFound("trigger-not-found", `No API trigger with slug '${slug}' exists in this folder.`);
export const FolderNotFound = (key: string) => notFound("folder-not-found", `No folder with key '${key}' exists in this tenant.`);
export const ProcessNotFound = (name: string) =>
  notFound("process-not-found", `No process named '${name}' exists in this folder.`);
export const JobNotFound = (key: string) => notFound("job-not-found", `No job with key '${key}' exists in this tenant.`);
export const FolderExists = (name: string) => conflict("folder-exists", `A folder named '${name}' already exists.`);
export const ProcessExists = (name: string) => conflict("process-exists", `A process named '${name}' already exists in this folder.`);
export const TimeTriggerExists = (name: string) => conflict("time-trigger-exists", `A time trigger named '${name}' already exists in this folder.`);
export const TimeTriggerNotFound = (id: string) => notFound("time-trigger-not-found", `No time trigger with id '${id}' exists in this tenant.`);
export const SlugTaken = (slug: string) => conflict("slug-taken", `The slug '${slug}' is already used by a trigger of this tenant.`);
export const RobotExists = (name: string) =>
  conflict("robot-exists", `A robot named '${name}' already exists; revoke it or choose another name.`);
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

/**
 * The store could not be reached, or gave up on a statement: 503 with Retry-After, nothing
 * lost. Each engine translates its driver's errors into it (driverErrors.ts in src/store/sqlite
 * and src/store/postgres).
 */
export class StoreUnavailableError extends BatonError {
  /**
   * One statement ran past the engine's statement timeout: the store answered, one query was
   * slow. A 503 for its caller, but no outage: leases keep expiring (Maintenance's grace is
   * for a store nobody can reach).
   */
  readonly statementTimeout: boolean;

  constructor(cause: unknown, options: { statementTimeout?: boolean } = {}) {
    super(503, "store-unavailable", "Service Unavailable", "The job store is unreachable; retry shortly.", {
      headers: { "retry-after": "5" },
      cause,
    });
    this.statementTimeout = options.statementTimeout ?? false;
  }
}

export const StoreUnavailable = (cause: unknown, options: { statementTimeout?: boolean } = {}) => new StoreUnavailableError(cause, options);

/**
 * Waits for the writes made so far to be committed (SQLite's group commit; at once where every
 * statement commits by itself): for a caller that wrote and will await across turns of the
 * event loop before it answers, whose answer's own check would come after its batch. A batch
 * that was not kept is a 503 store-unavailable, whatever undid it (an I/O error, another
 * caller's unit of work that failed half-way), as the answers' own check makes it.
 */
export async function committed(store: { durable(): Promise<void> | null }): Promise<void> {
  try {
    await store.durable();
  } catch (err) {
    throw asStoreUnavailable(err);
  }
}

/** A failed commit as the 503 its callers get: a StoreUnavailableError as it is, anything else (the cause) wrapped in one. */
export function asStoreUnavailable(err: unknown): StoreUnavailableError {
  return isStoreUnavailable(err) ? err : StoreUnavailable(err);
}

/** A failure of the store's connection rather than of the request (translated by the store). */
export function isStoreUnavailable(err: unknown): err is StoreUnavailableError {
  return err instanceof StoreUnavailableError;
}

/** See StoreUnavailableError.statementTimeout. */
export function isStatementTimeout(err: unknown): boolean {
  return err instanceof StoreUnavailableError && err.statementTimeout;
}

/**
 * A unique index refused a write: two callers created the same name at once, and this one
 * lost. Engines raise it with the index's table and columns; the store's aggregates turn it
 * into the resource's 409 (`folder-exists`, …). One that no aggregate expected still
 * answers 409, never 500.
 */
export class UniqueViolation extends BatonError {
  /** the table and columns of the refusing index, as the engine names them (`folders.tenant_id, name`) or the constraint's name */
  readonly constraint: string;

  constructor(constraint: string, cause: unknown) {
    super(409, "conflict", "Conflict", "A resource with these values already exists.", { cause });
    this.constraint = constraint;
  }
}

/** The text holds characters the store cannot keep (PostgreSQL and NUL): the input's fault. */
export const InvalidCharacters = (cause: unknown) =>
  new BatonError(400, "invalid-characters", "Bad Request", "The request holds characters that cannot be stored (such as NUL).", { cause });
