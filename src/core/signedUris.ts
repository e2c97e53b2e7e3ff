import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Wait URIs handed out when `syncRedirectsRequireAuth` is false carry an HMAC over
 * tenant, job key, purpose and expiry (SPEC §2), so they work without a token but cannot
 * be forged for another job, another tenant, another purpose or a later time.
 */
export type SignedPurpose = "wait";

function mac(secret: string, tenantId: string, jobKey: string, purpose: SignedPurpose, expires: number): Buffer {
  return createHmac("sha256", secret).update(`${tenantId}\n${jobKey}\n${purpose}\n${expires}`).digest();
}

export function sign(secret: string, tenantId: string, jobKey: string, purpose: SignedPurpose, expires: number): string {
  return mac(secret, tenantId, jobKey, purpose, expires).toString("base64url");
}

export function verify(
  secret: string, tenantId: string, jobKey: string, purpose: SignedPurpose, expires: number, signature: string, nowSeconds: number,
): "ok" | "expired" | "invalid" {
  if (!Number.isSafeInteger(expires)) return "invalid";
  const expected = mac(secret, tenantId, jobKey, purpose, expires);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
  return expires < nowSeconds ? "expired" : "ok";
}
