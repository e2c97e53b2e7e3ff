import { createHash, generateKeyPairSync, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { calculateJwkThumbprint, errors as joseErrors, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";
import { badRequest, BatonError, committed, conflict, notFound, unauthorized } from "./errors.js";
import type { Notifier } from "./notifier.js";
import { ALL_SCOPES, validateScopes } from "./scopes.js";
import type { ExternalAppRecord, Store } from "./store.js";
import { hashToken } from "./tokenSecrets.js";
import { TtlCache } from "./TtlCache.js";
import type { ExternalApp, Principal, Tenant } from "./types.js";

/*
 * External applications: confidential OAuth 2.0 clients of one tenant. They trade their
 * client id and secret for an access token at `{base}/{org}/identity_/connect/token` (the
 * client-credentials grant, RFC 6749 §4.4). Access tokens are JWTs (RFC 9068 profile:
 * `typ: at+jwt`) signed with an ES256 key Baton generates once and keeps in the store's
 * secrets, so every node verifies them without a store read of the token itself.
 */

export const CLIENT_ID_PREFIX = "baton_app_";
export const CLIENT_SECRET_PREFIX = "baton_cs_";
/** lifetime of an access token, seconds (`expires_in`) */
export const ACCESS_TOKEN_SECONDS = 3600;
/** `aud` of every access token Baton issues */
export const TOKEN_AUDIENCE = "baton";
const TOKEN_TYPE = "at+jwt";
const ALG = "ES256";
/** name of the signing key (a private JWK) in the store's secrets */
export const SIGNING_KEY_SECRET = "oauth-signing-key";

/** An error of the token endpoint, answered as RFC 6749 §5.2 says (not problem+json). */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: "invalid_request" | "invalid_client" | "invalid_grant" | "invalid_scope" | "unsupported_grant_type",
    readonly description: string,
  ) {
    super(description);
    this.name = "OAuthError";
  }
}

/** A bearer in the compact JWS shape (three base64url parts whose header is a JSON object with `alg`): verified as an access token. */
export function looksLikeJwt(bearer: string): boolean {
  const parts = bearer.split(".");
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as unknown;
    return typeof header === "object" && header !== null && typeof (header as { alg?: unknown }).alg === "string";
  } catch {
    return false;
  }
}

/**
 * Binds a token to the secret it was obtained with: a short digest of the secret's hash
 * (it reveals nothing of the secret). A rotation changes it, so every token issued before
 * stops working at once, even one issued in the same second as the rotation.
 */
function secretFingerprint(secretHash: string): string {
  return createHash("sha256").update(`baton-oauth-secret:${secretHash}`).digest("base64url").slice(0, 22);
}

/** `OR.X` is granted by `OR.X`; `OR.X.Read` and `OR.X.Write` by themselves or by `OR.X`. */
function granted(appScopes: readonly string[], scope: string): boolean {
  if (appScopes.includes(scope)) return true;
  const m = /^(OR\.[A-Za-z]+)\.(Read|Write)$/.exec(scope);
  return m !== null && appScopes.includes(m[1]!);
}

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9 _.@-]{0,126}[A-Za-z0-9_.@-])?$/;

interface SigningKeys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  kid: string;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

export class ExternalApps {
  /** applications by client id, for access-token checks; cleared on every node by `credentialsChanged` */
  private readonly apps = new TtlCache<ExternalAppRecord>(10_000);
  private keys: Promise<SigningKeys> | null = null;

  constructor(private readonly store: Store, private readonly now: () => Date, private readonly notifier: Notifier) {
    const clear = () => this.apps.clear();
    notifier.subscribe("credentialsChanged", clear);
    notifier.onMissedEvents(clear);
  }

  // ---- management (organization administrators)

  async create(org: string, input: { name?: unknown; tenant?: unknown; scopes?: unknown }): Promise<{ app: ExternalApp; clientSecret: string }> {
    const body = (typeof input === "object" && input !== null ? input : {}) as { name?: unknown; tenant?: unknown; scopes?: unknown };
    const { name, tenant: tenantName } = body;
    if (typeof name !== "string" || !NAME.test(name)) {
      throw badRequest("invalid-external-app", "name must be 1-128 letters, digits, spaces, '-', '_', '.' or '@', starting with a letter or digit and not ending with a space.");
    }
    if (typeof tenantName !== "string" || tenantName === "") throw badRequest("invalid-external-app", "tenant must be the name of a tenant of this organization.");
    const tenant = await this.store.findTenant(org, tenantName);
    if (!tenant) throw badRequest("invalid-external-app", `This organization has no tenant named '${tenantName}'.`);
    const scopes = validateScopes(body.scopes);
    const clientId = CLIENT_ID_PREFIX + randomBytes(16).toString("hex");
    const clientSecret = CLIENT_SECRET_PREFIX + randomBytes(32).toString("base64url");
    const createdAt = this.now().toISOString();
    const app: ExternalApp = { id: randomUUID(), org, tenantId: tenant.id, tenantName: tenant.name, name, clientId, scopes, createdAt, secretRotatedAt: null, revokedAt: null };
    const created = await this.store.createExternalApp({ id: app.id, org, tenantId: tenant.id, name, clientId, secretHash: hashToken(clientSecret), scopes, createdAt });
    if (!created) throw conflict("external-app-exists", `An external application named '${name}' already exists in this organization (a revoked one keeps its name); choose another name.`);
    return { app, clientSecret };
  }

  list(org: string): Promise<ExternalApp[]> {
    return this.store.listExternalApps(org);
  }

  private async get(org: string, clientId: string): Promise<ExternalApp> {
    const record = await this.store.findExternalAppByClientId(clientId);
    if (!record || record.app.org !== org) throw notFound("external-app-not-found", `No external application with client id '${clientId}' exists in this organization.`);
    return record.app;
  }

  /** A new secret, shown once; the old one, and every token obtained with it, stop working at once. */
  async rotateSecret(org: string, clientId: string): Promise<{ app: ExternalApp; clientSecret: string }> {
    const app = await this.get(org, clientId);
    if (app.revokedAt) throw conflict("external-app-revoked", "This external application is revoked; create a new one.");
    const clientSecret = CLIENT_SECRET_PREFIX + randomBytes(32).toString("base64url");
    const at = this.now().toISOString();
    if (!(await this.store.rotateExternalAppSecret(org, clientId, hashToken(clientSecret), at))) {
      throw conflict("external-app-revoked", "This external application is revoked; create a new one.");
    }
    this.notifier.publish("credentialsChanged", { tenantId: app.tenantId });
    return { app: { ...app, secretRotatedAt: at }, clientSecret };
  }

  /** Revoked for good: no new tokens, and the tokens it holds stop working at once. */
  async revoke(org: string, clientId: string): Promise<void> {
    const app = await this.get(org, clientId);
    await this.store.revokeExternalApp(org, clientId, this.now().toISOString());
    this.notifier.publish("credentialsChanged", { tenantId: app.tenantId });
  }

  // ---- the client-credentials grant

  /**
   * Authenticates the client (constant-time comparison of the secret's hash) and issues an
   * access token for the requested scopes (space-separated; a subset of the application's,
   * all of them when absent). `issuer` is the organization's identity URL.
   */
  async issueToken(input: { org: string; issuer: string; clientId: string; clientSecret: string; scope: string | undefined }): Promise<IssuedToken> {
    const record = input.clientId.startsWith(CLIENT_ID_PREFIX) && input.clientId.length <= 128 ? await this.store.findExternalAppByClientId(input.clientId) : null;
    const given = createHash("sha256").update(input.clientSecret).digest();
    // an unknown client costs the same comparison as a known one
    const expected = Buffer.from(record?.secretHash ?? "0".repeat(64), "hex");
    const secretOk = expected.length === given.length && timingSafeEqual(expected, given);
    if (!record || !secretOk || record.app.org !== input.org || record.app.revokedAt) {
      throw new OAuthError(401, "invalid_client", "Client authentication failed.");
    }
    const { app } = record;

    let scopes: string[];
    if (input.scope === undefined || input.scope.trim() === "") {
      scopes = [...app.scopes];
    } else {
      const requested = [...new Set(input.scope.split(" ").filter((s) => s !== ""))];
      const refused = requested.filter((s) => !ALL_SCOPES.includes(s) || !granted(app.scopes, s));
      if (refused.length) throw new OAuthError(400, "invalid_scope", `Not granted to this client: ${refused.join(" ")}. Granted: ${app.scopes.join(" ")}.`);
      scopes = requested;
    }

    const { privateKey, kid } = await this.signingKeys();
    const iat = Math.floor(this.now().getTime() / 1000);
    const accessToken = await new SignJWT({ tenant_id: app.tenantId, client_id: app.clientId, scope: scopes.join(" "), sfp: secretFingerprint(record.secretHash) })
      .setProtectedHeader({ alg: ALG, typ: TOKEN_TYPE, kid })
      .setIssuer(input.issuer)
      .setSubject(app.clientId)
      .setAudience(TOKEN_AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + ACCESS_TOKEN_SECONDS)
      .sign(privateKey);
    return { accessToken, expiresIn: ACCESS_TOKEN_SECONDS, scope: scopes.join(" ") };
  }

  // ---- access tokens, wherever a PAT is accepted

  /** Verifies an access token for `tenant` (signature, type, audience, expiry, tenant, the application's state), or throws 401. */
  async authenticate(tenant: Tenant, bearer: string): Promise<Principal> {
    const { publicKey } = await this.signingKeys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(bearer, publicKey, {
        algorithms: [ALG],
        typ: TOKEN_TYPE,
        audience: TOKEN_AUDIENCE,
        currentDate: this.now(),
        requiredClaims: ["iss", "sub", "aud", "exp", "iat", "jti", "scope", "tenant_id", "sfp"],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthorized("The token has expired.");
      throw unauthorized("The token is not valid.");
    }
    const { sub, jti, scope, tenant_id: tenantId, sfp } = payload as JWTPayload & { scope?: unknown; tenant_id?: unknown; sfp?: unknown };
    if (typeof sub !== "string" || typeof jti !== "string" || typeof scope !== "string" || typeof tenantId !== "string" || typeof sfp !== "string") {
      throw unauthorized("The token is not valid.");
    }
    // a token of another tenant is simply not valid here: no hint that the tenant exists
    if (tenantId !== tenant.id) throw unauthorized("The token is not valid for this tenant.");
    const record = await this.appRecord(sub);
    if (!record || record.app.tenantId !== tenant.id) throw unauthorized("The token is not valid for this tenant.");
    if (record.app.revokedAt) throw unauthorized("The token's external application has been revoked.");
    if (sfp !== secretFingerprint(record.secretHash)) throw unauthorized("The token was issued before the external application's secret was rotated.");
    const scopes = scope.split(" ").filter((s) => s !== "" && granted(record.app.scopes, s));
    return { kind: "oauth", tokenId: jti, userId: null, tenantId: tenant.id, org: tenant.org, scopes: new Set(scopes), orgAdmin: false, clientId: sub, name: record.app.name, permissions: null };
  }

  private async appRecord(clientId: string): Promise<ExternalAppRecord | null> {
    const cached = this.apps.get(clientId);
    if (cached) return cached;
    const record = await this.store.findExternalAppByClientId(clientId);
    if (record && !record.app.revokedAt) this.apps.set(clientId, record);
    return record;
  }

  /** The ES256 key pair, generated once for the whole deployment (the first node to ask wins), then loaded by every node. */
  private signingKeys(): Promise<SigningKeys> {
    this.keys ??= this.loadSigningKeys().catch((err: unknown) => {
      this.keys = null;
      throw err;
    });
    return this.keys;
  }

  private async loadSigningKeys(): Promise<SigningKeys> {
    const text = await this.store.getOrCreateSecret(SIGNING_KEY_SECRET, () => {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      return JSON.stringify({ ...privateKey.export({ format: "jwk" }), alg: ALG });
    });
    // the key is committed before any token is signed with it: the signing's awaits cross turns,
    // after its batch, whose failure the answer would not see (a token signed with a key that
    // was never stored, cached here for every later token of this node)
    await committed(this.store);
    const jwk = JSON.parse(text) as JWK;
    if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d) throw new BatonError(500, "internal-error", "Internal Server Error", "The stored OAuth signing key is not a P-256 private key.");
    const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
    return {
      privateKey: (await importJWK(jwk, ALG)) as CryptoKey,
      publicKey: (await importJWK(publicJwk, ALG)) as CryptoKey,
      kid: await calculateJwkThumbprint(publicJwk),
    };
  }
}
