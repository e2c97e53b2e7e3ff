import { createHash } from "node:crypto";
import { canonicalJson } from "./canonicalJson.js";
import { BatonError, badRequest } from "./errors.js";

/**
 * Idempotency keys (SPEC §8, after the IETF draft "The Idempotency-Key HTTP Header Field"):
 * the header's checks, the fingerprint of a request, and the mismatch error.
 */

/** 1–255 printable ASCII characters (space included, as the draft's grammar allows) */
const KEY = /^[\x20-\x7e]{1,255}$/;

const invalid = (message: string) =>
  badRequest("invalid-idempotency-key", `Invalid Idempotency-Key: ${message}.`, { violations: [{ path: "/headers/idempotency-key", message }] });

/**
 * The key of a request's Idempotency-Key header, null when it has none. `rawHeaders` tells a
 * header sent twice (Node joins the values with ", ", which could pass for one key).
 */
export function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>, rawHeaders: readonly string[]): string | null {
  const value = headers["idempotency-key"];
  if (value === undefined) return null;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === "idempotency-key") count++;
  if (Array.isArray(value) || count > 1) throw invalid("the header is given more than once");
  if (value.length === 0) throw invalid("the key is empty");
  if (value.length > 255) throw invalid(`the key is ${value.length} characters long; at most 255`);
  if (!KEY.test(value)) throw invalid("the key may hold printable ASCII characters only (0x20-0x7E)");
  return value;
}

/**
 * SHA-256 (hex) of the canonical JSON of what makes a request the same request: a retry
 * sends the same, whatever the order of its object keys.
 */
export function fingerprint(request: { verb: string; folderKey: string; trigger?: string; process?: string; inputArguments: unknown; callMode: string }): string {
  return createHash("sha256").update(canonicalJson(request)).digest("hex");
}

export const IdempotencyKeyMismatch = (key: string) =>
  new BatonError(422, "idempotency-key-mismatch", "Unprocessable Content",
    `The Idempotency-Key '${key}' was first sent with another request (verb, folder, trigger or process, input arguments or call mode); a key stands for one request.`);
