import { createHash, randomBytes } from "node:crypto";

/*
 * The secrets of personal access tokens and robot keys: what they look like, and the hash
 * under which the store keeps them (the secret itself is never stored).
 */

export const PAT_PREFIX = "baton_pat_";
export const ROBOT_KEY_PREFIX = "baton_rk_";

/** 256 bits from the CSPRNG; only the SHA-256 of it is stored (it is not a password, so no slow hash is needed). */
export function generateToken(): string {
  return PAT_PREFIX + randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
