import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Standard Webhooks' secret format: `whsec_` and the key's bytes in base64. */
export const SECRET_PREFIX = "whsec_";

export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

/** the HMAC key of a secret: its decoded bytes (Standard Webhooks) */
function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, "base64");
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the secret's decoded bytes (Standard Webhooks). */
export function standardSignature(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac("sha256", keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

/**
 * `X-UiPath-Signature`: base64 HMAC-SHA256 of the body alone, keyed (as UiPath's webhooks
 * are) with the secret's text as UTF-8, the whole `whsec_…` string.
 */
export function uipathSignature(secret: string, body: string): string {
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(body).digest("base64");
}

/** The headers of one delivery, signed with every secret given (the current one, and the previous during a rotation's grace). */
export function signedHeaders(secrets: readonly string[], id: string, timestamp: number, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": secrets.map((s) => standardSignature(s, id, timestamp, body)).join(" "),
    "x-uipath-signature": uipathSignature(secrets[0]!, body),
  };
}

/** Checks a `webhook-signature` header against a secret (receivers' side; used by the tests and the CLI). */
export function verifyStandardSignature(secret: string, id: string, timestamp: string, body: string, header: string): boolean {
  const expected = Buffer.from(standardSignature(secret, id, Number(timestamp), body).slice(3), "base64");
  return header.split(" ").some((part) => {
    const [version, sig] = part.split(",");
    if (version !== "v1" || !sig) return false;
    const got = Buffer.from(sig, "base64");
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
