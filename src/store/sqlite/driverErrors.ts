import { BatonError, StoreUnavailable, UniqueViolation } from "../../core/errors.js";

/**
 * better-sqlite3's errors as Baton's typed errors: a unique index's refusal names its
 * columns (`UNIQUE constraint failed: folders.tenant_id, folders.name`); a database another
 * process holds past busy_timeout is unavailable for now. Anything else is a bug and goes
 * on as it is (500 at the edge).
 */
export function translateSqliteError(err: unknown): unknown {
  if (err instanceof BatonError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    const message = String((err as Error).message);
    return new UniqueViolation(message.replace(/^UNIQUE constraint failed: /, ""), err);
  }
  // extended result codes (better-sqlite3 turns them on): SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT, …
  if (typeof code === "string" && /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN)(_|$)/.test(code)) {
    return StoreUnavailable(err);
  }
  return err;
}
