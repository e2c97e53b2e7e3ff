import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../src/core/tokenSecrets.js";
import { SIGNING_KEY_SECRET } from "../src/core/ExternalApps.js";
import { buildServer } from "../src/http/server.js";
import { invoke, startTestBaton, TEST_STORE, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
/** `{origin}/default`: the organization's routes */
let orgUrl: string;
/** tenant OAuthOther of the same organization */
let otherBase: string;

beforeAll(async () => {
  b = await startTestBaton();
  orgUrl = `${b.url}/default`;
  const res = await fetch(`${orgUrl}/api/v1/tenants`, { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "OAuthOther" }) });
  expect(res.status).toBe(201);
  otherBase = `${orgUrl}/OAuthOther/orchestrator_`;
});
afterAll(async () => { await b?.close(); });

interface CreatedApp { id: string; clientId: string; clientSecret: string; name: string; tenant: string; scopes: string[]; tokenUrl: string }

let appCount = 0;
async function createApp(body: Record<string, unknown> = {}, bearer = b.token): Promise<CreatedApp> {
  const res = await orgApi("POST", "/api/v1/external-apps", { name: `app-${++appCount}`, tenant: "DefaultTenant", scopes: ["OR.Jobs", "OR.Folders"], ...body }, bearer);
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

function orgApi(method: string, path: string, body?: unknown, bearer: string | null = b.token): Promise<Response> {
  const headers: Record<string, string> = {};
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(`${orgUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** POST to the token endpoint: a form body by default. */
function tokenRequest(params: Record<string, string> | string, init: { headers?: Record<string, string>; contentType?: string | null } = {}): Promise<Response> {
  const body = typeof params === "string" ? params : new URLSearchParams(params).toString();
  const headers: Record<string, string> = { ...init.headers };
  if (init.contentType !== null) headers["content-type"] = init.contentType ?? "application/x-www-form-urlencoded";
  return fetch(`${orgUrl}/identity_/connect/token`, { method: "POST", headers, body });
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

async function getToken(app: CreatedApp, scope?: string): Promise<string> {
  const res = await tokenRequest({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret, ...(scope ? { scope } : {}) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()).access_token;
}

async function expectOAuthError(res: Response, status: number, error: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const body = await res.json();
  expect(body).toMatchObject({ error });
  if (body.error_description !== undefined) expect(typeof body.error_description).toBe("string");
  return body;
}

async function expect401(res: Response, detail?: RegExp): Promise<void> {
  expect(res.status).toBe(401);
  // error="invalid_token" where a bearer token was sent (RFC 6750; test/httpContract.test.ts)
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="baton"(, error="(invalid_token|invalid_request)")?$/);
  const body = await res.json();
  expect(body).toMatchObject({ status: 401, code: "unauthorized" });
  if (detail) expect(body.detail).toMatch(detail);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const jobs = (token: string, base = b.base) => fetch(`${base}/api/v1/jobs`, { headers: bearer(token) });

describe("external applications", () => {
  it("are created by organization administrators, with a secret shown once and stored only as a hash", async () => {
    const app = await createApp({ name: "Billing service", scopes: ["OR.Jobs", "OR.Folders", "OR.Jobs"] });
    expect(app.clientId).toMatch(/^baton_app_[0-9a-f]{32}$/);
    expect(app.clientSecret).toMatch(/^baton_cs_[A-Za-z0-9_-]{43}$/);
    expect(app).toMatchObject({ name: "Billing service", tenant: "DefaultTenant", scopes: ["OR.Jobs", "OR.Folders"], tokenUrl: `${orgUrl}/identity_/connect/token` });

    const listRes = await orgApi("GET", "/api/v1/external-apps");
    expect(listRes.status).toBe(200);
    const list = await listRes.json();
    expect(list.nextCursor).toBeNull();
    expect(list.items.find((a: { clientId: string }) => a.clientId === app.clientId)).toEqual({
      id: app.id, name: "Billing service", clientId: app.clientId, tenant: "DefaultTenant", scopes: ["OR.Jobs", "OR.Folders"],
      createdAt: expect.any(String), secretRotatedAt: null, revokedAt: null,
    });
    expect(JSON.stringify(list)).not.toContain(app.clientSecret);
    expect(JSON.stringify(list)).not.toContain("clientSecret");

    const stored = await b.baton.store.findExternalAppByClientId(app.clientId);
    expect(stored?.secretHash).toBe(hashToken(app.clientSecret));
    expect(JSON.stringify(stored)).not.toContain(app.clientSecret);
    if (TEST_STORE === "sqlite") expect(readFileSync(join(b.dataDir, "baton.db")).includes(Buffer.from(app.clientSecret))).toBe(false);
  });

  it("validates the name, tenant and scopes, and keeps names unique in the organization", async () => {
    for (const body of [
      { tenant: "DefaultTenant", scopes: ["OR.Jobs"] },
      { name: " padded", tenant: "DefaultTenant", scopes: ["OR.Jobs"] },
      { name: "x", scopes: ["OR.Jobs"] },
      { name: "x", tenant: "NoSuchTenant", scopes: ["OR.Jobs"] },
      { name: "x", tenant: "DefaultTenant", scopes: [] },
      { name: "x", tenant: "DefaultTenant", scopes: ["OR.Everything"] },
    ]) {
      const res = await orgApi("POST", "/api/v1/external-apps", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect((await res.json()).code).toMatch(/^invalid-(external-app|scopes)$/);
    }
    // a body of the wrong shape: every fault in one 400
    const shape = await orgApi("POST", "/api/v1/external-apps", { name: 5, scopes: "OR.Jobs" });
    expect(shape.status).toBe(400);
    expect(await shape.json()).toMatchObject({
      code: "invalid-external-app",
      violations: [{ path: "/tenant", message: "is required" }, { path: "/name", message: "must be string" }, { path: "/scopes", message: "must be array" }],
    });
    const tenant = await orgApi("POST", "/api/v1/tenants", { name: ["T"] });
    expect(await tenant.json()).toMatchObject({ status: 400, code: "invalid-tenant", violations: [{ path: "/name", message: "must be string" }] });
    await createApp({ name: "twice" });
    const again = await orgApi("POST", "/api/v1/external-apps", { name: "twice", tenant: "OAuthOther", scopes: ["OR.Jobs"] });
    expect(again.status).toBe(409);
    expect((await again.json()).code).toBe("external-app-exists");
  });

  it("refuses callers that are not organization administrators", async () => {
    const pat = await (await fetch(`${b.base}/api/v1/tokens`, {
      method: "POST", headers: { ...bearer(b.token), "content-type": "application/json" }, body: JSON.stringify({ name: "no-org-admin", scopes: ["OR.Users", "OR.Settings"] }),
    })).json();
    for (const [method, path, body] of [
      ["POST", "/api/v1/external-apps", { name: "nope", tenant: "DefaultTenant", scopes: ["OR.Jobs"] }],
      ["GET", "/api/v1/external-apps", undefined],
      ["POST", "/api/v1/external-apps/baton_app_x/secret", undefined],
      ["DELETE", "/api/v1/external-apps/baton_app_x", undefined],
    ] as const) {
      const forbidden = await orgApi(method, path, body, pat.token);
      expect(forbidden.status, `${method} ${path}`).toBe(403);
      expect((await forbidden.json()).code).toBe("not-org-admin");
      await expect401(await orgApi(method, path, body, null));
    }
    // nor can an application administer applications with its own access token
    const token = await getToken(await createApp());
    await expect401(await orgApi("GET", "/api/v1/external-apps", undefined, token));
  });
});

describe("the client-credentials grant", () => {
  let app: CreatedApp;
  beforeAll(async () => { app = await createApp({ name: "grant", scopes: ["OR.Jobs", "OR.Folders"] }); });

  it("issues a signed, one-hour JWT for a form body, with no-store", async () => {
    const res = await tokenRequest({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("pragma")).toBe("no-cache");
    const body = await res.json();
    expect(body).toEqual({ access_token: expect.any(String), token_type: "Bearer", expires_in: 3600, scope: "OR.Jobs OR.Folders" });

    const header = decodeProtectedHeader(body.access_token);
    expect(header).toMatchObject({ alg: "ES256", typ: "at+jwt", kid: expect.any(String) });
    const claims = decodeJwt(body.access_token);
    const tenant = (await b.baton.store.findTenant("default", "DefaultTenant"))!;
    expect(claims).toMatchObject({
      iss: `${orgUrl}/identity_`, sub: app.clientId, aud: "baton", client_id: app.clientId, tenant_id: tenant.id, scope: "OR.Jobs OR.Folders",
      jti: expect.any(String), iat: expect.any(Number), exp: expect.any(Number),
    });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(60);
    expect(JSON.stringify(claims)).not.toContain(app.clientSecret);
  });

  it("accepts HTTP Basic client authentication (RFC 6749 §2.3.1)", async () => {
    const res = await tokenRequest({ grant_type: "client_credentials" }, { headers: { authorization: basic(app.clientId, app.clientSecret) } });
    expect(res.status).toBe(200);
    expect((await res.json()).token_type).toBe("Bearer");
    // client_id may be repeated in the body when it is the same client
    const both = await tokenRequest({ grant_type: "client_credentials", client_id: app.clientId }, { headers: { authorization: basic(app.clientId, app.clientSecret) } });
    expect(both.status).toBe(200);
  });

  it("gives a token that invokes a trigger and reads its status, and is refused outside its scopes", async () => {
    const token = await getToken(app);
    const invoked = await invoke(b, "echo", { via: "oauth" }, { headers: bearer(token) });
    expect(invoked.status).toBe(202);
    const { statusUri } = await invoked.json();
    expect([200, 303]).toContain((await fetch(statusUri, { headers: bearer(token), redirect: "manual" })).status);
    expect((await fetch(`${b.base}/api/v1/folders`, { headers: bearer(token) })).status).toBe(200);

    const settings = await fetch(`${b.base}/api/v1/settings`, { headers: bearer(token) });
    expect(settings.status).toBe(403);
    expect(await settings.json()).toMatchObject({ code: "insufficient-scope", requiredScope: ["OR.Settings", "OR.Settings.Read"] });
    const tokens = await fetch(`${b.base}/api/v1/tokens`, { headers: bearer(token) });
    expect(tokens.status).toBe(403);
    // a robot-protocol call takes a robot key, never an access token
    const robot = await fetch(`${b.base}/api/robot/v1/sessions`, { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: JSON.stringify({ processes: ["Echo"], slots: 1 }) });
    expect(robot.status).toBe(401);
  });

  it("narrows the scopes to those asked for, never beyond the application's", async () => {
    const res = await tokenRequest({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret, scope: "OR.Jobs.Read" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.scope).toBe("OR.Jobs.Read");
    expect(decodeJwt(body.access_token).scope).toBe("OR.Jobs.Read");
    const reader = body.access_token as string;

    const invoked = await invoke(b, "echo", {});
    const { statusUri } = await invoked.json();
    expect([200, 303]).toContain((await fetch(statusUri, { headers: bearer(reader), redirect: "manual" })).status);
    const refused = await invoke(b, "echo", {}, { headers: bearer(reader) });
    expect(refused.status).toBe(403);
    expect((await refused.json()).code).toBe("insufficient-scope");
    expect((await fetch(`${b.base}/api/v1/folders`, { headers: bearer(reader) })).status).toBe(403);

    const two = await tokenRequest({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret, scope: "OR.Folders.Read OR.Jobs" });
    expect((await two.json()).scope).toBe("OR.Folders.Read OR.Jobs");

    for (const scope of ["OR.Settings", "OR.Jobs OR.Settings.Read", "OR.Nope", "or.jobs"]) {
      const bad = await tokenRequest({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret, scope });
      await expectOAuthError(bad, 400, "invalid_scope");
    }
  });

  it("answers invalid_client for a wrong secret, an unknown client or no client authentication", async () => {
    const wrong = await tokenRequest({ grant_type: "client_credentials", client_id: app.clientId, client_secret: `${app.clientSecret}x` });
    await expectOAuthError(wrong, 401, "invalid_client");
    expect(wrong.headers.get("www-authenticate")).toBeNull();
    await expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_id: "baton_app_00000000000000000000000000000000", client_secret: app.clientSecret }), 401, "invalid_client");
    await expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_id: "someone", client_secret: "x" }), 401, "invalid_client");
    await expectOAuthError(await tokenRequest({ grant_type: "client_credentials" }), 401, "invalid_client");

    // with HTTP Basic, the 401 says how to authenticate
    const viaBasic = await tokenRequest({ grant_type: "client_credentials" }, { headers: { authorization: basic(app.clientId, "wrong") } });
    await expectOAuthError(viaBasic, 401, "invalid_client");
    expect(viaBasic.headers.get("www-authenticate")).toMatch(/^Basic realm="baton"/);
    const malformed = await tokenRequest({ grant_type: "client_credentials" }, { headers: { authorization: "Basic !!!" } });
    await expectOAuthError(malformed, 401, "invalid_client");
    expect(malformed.headers.get("www-authenticate")).toMatch(/^Basic/);

    // an application of another organization is unknown here
    const elsewhere = await fetch(`${b.url}/other-org/identity_/connect/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret }).toString(),
    });
    await expectOAuthError(elsewhere, 401, "invalid_client");
  });

  it("answers unsupported_grant_type, invalid_request and wrong content types as RFC 6749 says", async () => {
    const creds = { client_id: app.clientId, client_secret: app.clientSecret };
    for (const grant_type of ["password", "authorization_code", "refresh_token", "CLIENT_CREDENTIALS"]) {
      await expectOAuthError(await tokenRequest({ grant_type, ...creds }), 400, "unsupported_grant_type");
    }
    await expectOAuthError(await tokenRequest(creds), 400, "invalid_request");
    await expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_id: app.clientId }), 400, "invalid_request");
    await expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_secret: app.clientSecret }), 400, "invalid_request");
    await expectOAuthError(await tokenRequest(`grant_type=client_credentials&grant_type=client_credentials&client_id=${app.clientId}&client_secret=${app.clientSecret}`), 400, "invalid_request");
    // two client authentication methods at once
    await expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_secret: app.clientSecret }, { headers: { authorization: basic(app.clientId, app.clientSecret) } }), 400, "invalid_request");
    await expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_id: "baton_app_other" }, { headers: { authorization: basic(app.clientId, app.clientSecret) } }), 400, "invalid_request");

    // the body must be a form
    const asJson = await tokenRequest(JSON.stringify({ grant_type: "client_credentials", ...creds }), { contentType: "application/json" });
    await expectOAuthError(asJson, 400, "invalid_request");
    await expectOAuthError(await tokenRequest(new URLSearchParams({ grant_type: "client_credentials", ...creds }).toString(), { contentType: "text/plain" }), 400, "invalid_request");
    await expectOAuthError(await tokenRequest("", { contentType: null }), 400, "invalid_request");
    // a charset parameter is fine
    expect((await tokenRequest({ grant_type: "client_credentials", ...creds }, { contentType: "application/x-www-form-urlencoded; charset=UTF-8" })).status).toBe(200);
    // and small
    const huge = await tokenRequest({ grant_type: "client_credentials", ...creds, scope: "OR.Jobs ".repeat(2000) });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error).toBe("invalid_request");
  });
});

describe("access tokens", () => {
  it("are bound to the application's tenant: 401 in another tenant", async () => {
    const mine = await getToken(await createApp({ name: "default-tenant-app" }));
    const theirs = await getToken(await createApp({ name: "other-tenant-app", tenant: "OAuthOther" }));
    expect((await jobs(theirs, otherBase)).status).toBe(200);
    await expect401(await jobs(theirs), /not valid for this tenant/);
    await expect401(await invoke(b, "echo", {}, { headers: bearer(theirs) }), /not valid for this tenant/);
    await expect401(await jobs(mine, otherBase), /not valid for this tenant/);
  });

  it("refuses a tampered token, one signed with another key, and alg none", async () => {
    const token = await getToken(await createApp({ name: "tamper" }));
    expect((await jobs(token)).status).toBe(200);
    const [h, p, s] = token.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    const forged = (changes: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...claims, ...changes })).toString("base64url");
    // more scopes, another tenant, a later expiry: the signature no longer matches
    await expect401(await jobs(`${h}.${forged({ scope: "OR.Jobs OR.Settings OR.Users" })}.${s}`), /not valid/);
    await expect401(await jobs(`${h}.${forged({ exp: claims.exp + 86_400 })}.${s}`), /not valid/);
    const flipped = s!.slice(0, 10) + (s![10] === "A" ? "B" : "A") + s!.slice(11);
    await expect401(await jobs(`${h}.${p}.${flipped}`), /not valid/);
    await expect401(await jobs(`${h}.${p}.`));
    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString("base64url");
    await expect401(await jobs(`${none}.${p}.`));
    await expect401(await jobs(`${none}.${p}.${s}`), /not valid/);

    // the same claims signed with a key that is not Baton's
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: "ES256", typ: "at+jwt" }).sign(privateKey);
    await expect401(await jobs(foreign), /not valid/);
  });

  it("stop working when they expire", async () => {
    const token = await getToken(await createApp({ name: "expiry" }));
    const claims = decodeJwt(token);
    // sign with Baton's own key (from the store's secrets), as the token endpoint does, but in the past
    const jwk = JSON.parse(await b.baton.store.getOrCreateSecret(SIGNING_KEY_SECRET, () => "unused")) as JWK;
    const key = await importJWK(jwk, "ES256");
    const sign = (iat: number, exp: number) =>
      new SignJWT({ ...claims, iat, exp }).setProtectedHeader(decodeProtectedHeader(token) as { alg: string }).sign(key);
    const now = Math.floor(Date.now() / 1000);
    // the re-signed token is accepted while it is valid: only the expiry differs below
    expect((await jobs(await sign(now - 60, now + 3540))).status).toBe(200);
    await expect401(await jobs(await sign(now - 7200, now - 3600)), /expired/);
    await expect401(await jobs(await sign(now - 3601, now - 1)), /expired/);
  });

  it("rotation: the old secret and its tokens stop working at once, the new secret works", async () => {
    const app = await createApp({ name: "rotate" });
    const before = await getToken(app);
    expect((await jobs(before)).status).toBe(200);

    const res = await orgApi("POST", `/api/v1/external-apps/${app.clientId}/secret`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const rotated = await res.json();
    expect(rotated).toEqual({ clientId: app.clientId, clientSecret: expect.stringMatching(/^baton_cs_[A-Za-z0-9_-]{43}$/), secretRotatedAt: expect.any(String) });
    expect(rotated.clientSecret).not.toBe(app.clientSecret);

    await expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret }), 401, "invalid_client");
    await expect401(await jobs(before), /rotated/);
    const after = await getToken({ ...app, clientSecret: rotated.clientSecret });
    expect((await jobs(after)).status).toBe(200);
    // still refused once the caches have been refilled
    await expect401(await jobs(before), /rotated/);

    const listed = (await (await orgApi("GET", "/api/v1/external-apps")).json()).items.find((a: { clientId: string }) => a.clientId === app.clientId);
    expect(listed.secretRotatedAt).toBe(rotated.secretRotatedAt);
    expect(JSON.stringify(listed)).not.toContain(rotated.clientSecret);

    const unknown = await orgApi("POST", "/api/v1/external-apps/baton_app_00000000000000000000000000000000/secret");
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).code).toBe("external-app-not-found");
  });

  it("revocation: the application gets no token and its tokens stop working", async () => {
    const app = await createApp({ name: "revoke" });
    const token = await getToken(app);
    expect((await invoke(b, "echo", {}, { headers: bearer(token) })).status).toBe(202);

    expect((await orgApi("DELETE", `/api/v1/external-apps/${app.clientId}`)).status).toBe(204);
    await expect401(await invoke(b, "echo", {}, { headers: bearer(token) }), /revoked/);
    await expect401(await jobs(token), /revoked/);
    await expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret }), 401, "invalid_client");

    expect((await orgApi("DELETE", `/api/v1/external-apps/${app.clientId}`)).status).toBe(204);
    const rotate = await orgApi("POST", `/api/v1/external-apps/${app.clientId}/secret`);
    expect(rotate.status).toBe(409);
    expect((await rotate.json()).code).toBe("external-app-revoked");
    const listed = (await (await orgApi("GET", "/api/v1/external-apps")).json()).items.find((a: { clientId: string }) => a.clientId === app.clientId);
    expect(listed.revokedAt).toEqual(expect.any(String));
    const unknown = await orgApi("DELETE", "/api/v1/external-apps/baton_app_00000000000000000000000000000000");
    expect(unknown.status).toBe(404);
  });

  it("refuses a token of a client the store does not know", async () => {
    // an access token for a client the store does not know (signed with Baton's key) is not valid
    const token = await getToken(await createApp({ name: "ghost" }));
    const claims = decodeJwt(token);
    const key = await importJWK(JSON.parse(await b.baton.store.getOrCreateSecret(SIGNING_KEY_SECRET, () => "unused")) as JWK, "ES256");
    const ghost = await new SignJWT({ ...claims, sub: "baton_app_ffffffffffffffffffffffffffffffff", client_id: "baton_app_ffffffffffffffffffffffffffffffff" })
      .setProtectedHeader(decodeProtectedHeader(token) as { alg: string }).sign(key);
    await expect401(await jobs(ghost));
  });
});

describe("logs", () => {
  it("never contain a client secret, an access token or Basic credentials", async () => {
    const lines: string[] = [];
    const server = buildServer({ baton: b.baton, logger: { level: "trace", stream: { write: (line) => { lines.push(line); } } } });
    await server.app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const url = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
      const org = `${url}/default`;
      const created = await (await fetch(`${org}/api/v1/external-apps`, {
        method: "POST", headers: { ...bearer(b.token), "content-type": "application/json" }, body: JSON.stringify({ name: "logged", tenant: "DefaultTenant", scopes: ["OR.Jobs"] }),
      })).json();
      const form = (secret: string) => new URLSearchParams({ grant_type: "client_credentials", client_id: created.clientId, client_secret: secret }).toString();
      const post = (body: string, headers: Record<string, string> = {}) =>
        fetch(`${org}/identity_/connect/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
      const issued = await (await post(form(created.clientSecret))).json();
      const viaBasic = await post("grant_type=client_credentials", { authorization: basic(created.clientId, created.clientSecret) });
      expect(viaBasic.status).toBe(200);
      const basicToken = (await viaBasic.json()).access_token;
      expect((await post(form(`${created.clientSecret}-wrong`))).status).toBe(401);
      expect((await fetch(`${url}/default/DefaultTenant/orchestrator_/api/v1/jobs`, { headers: bearer(issued.access_token) })).status).toBe(200);
      const rotated = await (await fetch(`${org}/api/v1/external-apps/${created.clientId}/secret`, { method: "POST", headers: bearer(b.token) })).json();
      expect((await fetch(`${url}/default/DefaultTenant/orchestrator_/api/v1/jobs`, { headers: bearer(issued.access_token) })).status).toBe(401);
      expect((await post(form(rotated.clientSecret))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));

      const text = lines.join("");
      expect(text).toContain("/identity_/connect/token");
      for (const secret of [created.clientSecret, rotated.clientSecret, issued.access_token, basicToken, basic(created.clientId, created.clientSecret).slice(6), b.token]) {
        expect(text).not.toContain(secret);
      }
      // not even a JWT's signature part
      expect(text).not.toContain(issued.access_token.split(".")[2]);
    } finally {
      await server.app.close();
    }
  });
});
