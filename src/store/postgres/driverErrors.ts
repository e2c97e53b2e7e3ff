import { BatonError, InvalidCharacters, StoreUnavailable, UniqueViolation } from "../../core/errors.js";

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN",
  // admin/crash shutdown, cannot connect now, connection exceptions, too many connections
  "57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006", "53300",
]);
// pg's own messages: the pool could not connect, the connection ended, or the client's
// query_timeout ran out ("Query read timeout": PostgreSQL did not answer at all, frozen)
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Client was closed|Query read timeout|Cannot use a pool after calling end/i;

/**
 * pg's errors as Baton's typed errors. 23505 is a unique violation (its constraint's name,
 * `folders_tenant_id_name_key`); 57014 is statement_timeout (Baton cancels no query
 * otherwise): the store is too slow to answer now; 22021/22P05, text PostgreSQL cannot keep
 * (NUL), is the input's fault. Anything else is a bug and goes on as it is (500 at the edge).
 */
export function translatePostgresError(err: unknown): unknown {
  // already Baton's (a resource's 409 thrown inside a transaction): its message is the user's text, never a driver's
  if (err instanceof BatonError) return err;
  const e = err as { code?: unknown; message?: unknown; constraint?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : undefined;
  if (code === "23505") return new UniqueViolation(typeof e?.constraint === "string" ? e.constraint : "unknown", err);
  if (code === "57014") return StoreUnavailable(err, { statementTimeout: true });
  if (code === "22021" || code === "22P05") return InvalidCharacters(err);
  if ((code && UNAVAILABLE_CODES.has(code)) || (typeof e?.message === "string" && UNAVAILABLE_MESSAGES.test(e.message))) return StoreUnavailable(err);
  return err;
}

/** The client gave up waiting (query_timeout): the connection is in an unknown state and must not be reused. */
export const isReadTimeout = (err: unknown): boolean => {
  const e = err as { message?: unknown; cause?: { message?: unknown } } | null;
  return e?.message === "Query read timeout" || e?.cause?.message === "Query read timeout";
};
