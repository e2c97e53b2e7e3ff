/**
 * Idempotency keys (SPEC §8): a call that creates a job (an invocation, POST /jobs) carries
 * `Idempotency-Key`, so that the client may repeat it after a lost answer (a network error,
 * 429, 503) without starting the job twice: the server answers a repeat with the same key
 * as it did the first time, with `Idempotent-Replayed: true`.
 */

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const REPLAYED_HEADER = "idempotent-replayed";

/** 1–255 printable ASCII characters, as the server accepts. */
const VALID_KEY = /^[\x20-\x7E]{1,255}$/;

/**
 * A new key: a UUID v7 (RFC 9562), the time in milliseconds then 74 random bits. Keys made
 * one after the other sort in the order they were made, so the server's index of keys grows
 * at its end instead of at a random place per key: a random key costs an invocation a write
 * of an index page of its own (see bench/README.md, scenario 1b).
 */
export function newIdempotencyKey(nowMs: number = Date.now()): string {
  // the 48 bits of a v7 timestamp (until the year 10889)
  if (!Number.isSafeInteger(nowMs) || nowMs < 0 || nowMs >= 2 ** 48) throw new RangeError("nowMs must be milliseconds since 1970 that fit in 48 bits.");
  // getRandomValues works in every browser context (randomUUID needs a secure one) and in Node
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let t = nowMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The key one call uses: the caller's, none (`false`), or, by default, a new one. A key the
 * server would refuse is refused here, before anything is sent.
 */
export function idempotencyKeyOf(option: string | false | undefined): string | null {
  if (option === false) return null;
  if (option === undefined) return newIdempotencyKey();
  if (!VALID_KEY.test(option)) throw new TypeError("An idempotency key is 1 to 255 printable ASCII characters.");
  return option;
}

/** Whether the server answered a repeat of an earlier call from what it stored. */
export const isReplayed = (res: Response): boolean => res.headers.get(REPLAYED_HEADER)?.trim().toLowerCase() === "true";
