import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../src/core/tokenSecrets.js";
import { invoke, startTestBaton, TEST_STORE, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
beforeAll(async () => { b = await startTestBaton(); });
afterAll(async () => { await b.close(); });

async function createToken(body: Record<string, unknown>, via: TestBaton = b, bearer = via.token): Promise<{ id: string; token: string }> {
  const res = await via.api("/api/v1/tokens", { method: "POST", headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return res.json();
}

async function expect401(res: Response, detail?: RegExp) {
  expect(res.status).toBe(401);
  // error="invalid_token" where a bearer token was sent (RFC 6750; test/httpContract.test.ts)
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="baton"(, error="(invalid_token|invalid_request)")?$/);
  expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
  const body = await res.json();
  expect(body).toMatchObject({ status: 401, code: "unauthorized", title: "Unauthorized" });
  if (detail) expect(body.detail).toMatch(detail);
}

describe("personal access tokens", () => {
  it("refuses a missing, malformed or unknown token with 401 and WWW-Authenticate", async () => {
    await expect401(await fetch(b.invokeUrl("echo"), { method: "POST" }), /required/);
    await expect401(await fetch(b.invokeUrl("echo"), { method: "POST", headers: { authorization: "Basic YTpi" } }), /Bearer/);
    await expect401(await fetch(b.invokeUrl("echo"), { method: "POST", headers: { authorization: "Bearer baton_pat_nope" } }), /not valid/);
    await expect401(await fetch(`${b.base}/api/v1/jobs`, { headers: { authorization: `Bearer ${b.token}x` } }));
  });

  it("creates a high-entropy token shown once, stored only as a hash", async () => {
    const created = await createToken({ name: "ci", scopes: ["OR.Jobs"] });
    expect(created.token).toMatch(/^baton_pat_[A-Za-z0-9_-]{43}$/);
    const list = await b.apiJson("/api/v1/tokens");
    const listed = list.items.find((t: { id: string }) => t.id === created.id);
    expect(listed).toEqual({ id: created.id, userId: expect.any(String), name: "ci", scopes: ["OR.Jobs"], createdAt: expect.any(String), expiresAt: null, revokedAt: null, lastUsedAt: null });
    expect(JSON.stringify(list)).not.toContain(created.token);
    // the store keeps only the hash: look for the token in every stored token row
    const stored = await b.baton.store.findTokenByHash(hashToken(created.token));
    expect(stored?.token.id).toBe(created.id);
    expect(JSON.stringify(stored)).not.toContain(created.token);
    if (TEST_STORE === "sqlite") expect(readFileSync(join(b.dataDir, "baton.db")).includes(Buffer.from(created.token))).toBe(false);
  });

  it("validates names, scopes and expiry", async () => {
    const bad = (body: unknown) => b.api("/api/v1/tokens", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    for (const body of [{ scopes: ["OR.Jobs"] }, { name: "x", scopes: [] }, { name: "x", scopes: ["OR.Everything"] }, { name: "x", scopes: ["OR.Jobs"], expiresAt: "2000-01-01T00:00:00Z" }, { name: "x", scopes: ["OR.Jobs"], expiresAt: "soon" }]) {
      const res = await bad(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).code).toMatch(/^invalid-(token|scopes)$/);
    }
  });

  it("separates invoking and reading jobs from administering", async () => {
    const jobs = await createToken({ name: "jobs", scopes: ["OR.Jobs"] });
    const reader = await createToken({ name: "reader", scopes: ["OR.Jobs.Read"] });
    const admin = await createToken({ name: "no-jobs", scopes: ["OR.Execution", "OR.Folders"] });

    const invoked = await invoke(b, "echo", { a: 1 }, { headers: { authorization: `Bearer ${jobs.token}` } });
    expect(invoked.status).toBe(202);
    const { jobKey, statusUri } = await invoked.json();
    expect([200, 303]).toContain((await fetch(statusUri, { headers: { authorization: `Bearer ${reader.token}` }, redirect: "manual" })).status);

    // the jobs token cannot administer; the reader cannot invoke
    const trig = await b.api(`/api/v1/folders/${b.sharedKey}/triggers`, { method: "POST", headers: { authorization: `Bearer ${jobs.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "x", slug: "x1", verb: "POST", processName: "Echo" }) });
    expect(trig.status).toBe(403);
    expect(await trig.json()).toMatchObject({ code: "insufficient-scope", requiredScope: ["OR.Execution", "OR.Execution.Write"] });
    const readerInvoke = await invoke(b, "echo", {}, { headers: { authorization: `Bearer ${reader.token}` } });
    expect(readerInvoke.status).toBe(403);
    expect((await readerInvoke.json()).code).toBe("insufficient-scope");
    const tokens = await b.api("/api/v1/tokens", { headers: { authorization: `Bearer ${jobs.token}` } });
    expect(tokens.status).toBe(403);

    // a token that may not see jobs is told the job does not exist: 404, never 403
    const hidden = await fetch(statusUri, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(hidden.status).toBe(404);
    expect((await hidden.json()).code).toBe("job-not-found");
    expect((await b.api(`/api/v1/jobs/${jobKey}`, { headers: { authorization: `Bearer ${admin.token}` } })).status).toBe(404);
    // reading jobs takes any Jobs scope: the list says which
    const list = await b.api("/api/v1/jobs", { headers: { authorization: `Bearer ${admin.token}` } });
    expect(list.status).toBe(403);
    expect(await list.json()).toMatchObject({ code: "insufficient-scope", requiredScope: ["OR.Jobs", "OR.Jobs.Read", "OR.Jobs.Write"] });
    const writer = await createToken({ name: "writer", scopes: ["OR.Jobs.Write"] });
    expect((await b.api(`/api/v1/jobs/${jobKey}`, { headers: { authorization: `Bearer ${writer.token}` } })).status).toBe(200);
    // the admin-scoped token can administer
    expect((await b.api(`/api/v1/folders`, { headers: { authorization: `Bearer ${admin.token}` } })).status).toBe(200);
  });

  it("stops accepting a token once it expires", async () => {
    const soon = new Date(Date.now() + 1500).toISOString();
    const t = await createToken({ name: "short", scopes: ["OR.Jobs"], expiresAt: soon });
    expect((await b.api("/api/v1/jobs", { headers: { authorization: `Bearer ${t.token}` } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(soon) - Date.now() + 50));
    await expect401(await b.api("/api/v1/jobs", { headers: { authorization: `Bearer ${t.token}` } }), /expired/);
  });

  it("stops accepting a token once it is revoked", async () => {
    const t = await createToken({ name: "revoke-me", scopes: ["OR.Jobs"] });
    expect((await invoke(b, "echo", {}, { headers: { authorization: `Bearer ${t.token}` } })).status).toBe(202);
    expect((await b.api(`/api/v1/tokens/${t.id}`, { method: "DELETE" })).status).toBe(204);
    await expect401(await invoke(b, "echo", {}, { headers: { authorization: `Bearer ${t.token}` } }), /revoked/);
    const listed = (await b.apiJson("/api/v1/tokens")).items.find((x: { id: string }) => x.id === t.id);
    expect(listed.revokedAt).toEqual(expect.any(String));
    expect((await b.api(`/api/v1/tokens/00000000-0000-4000-8000-000000000000`, { method: "DELETE" })).status).toBe(404);
  });
});

describe("BATON_BOOTSTRAP_TOKEN and the first start", () => {
  it("makes the exact bootstrap value an admin token, idempotently across restarts", async () => {
    const token = "baton_pat_my-own-bootstrap-token-value-1234567890";
    const first = await startTestBaton({ bootstrapToken: token }, { demo: false });
    const { dataDir, databaseUrl } = first;
    expect((await first.api("/api/v1/settings")).status).toBe(200);
    await first.shutdown();
    // the same store again: the same data dir, or the same PostgreSQL schema
    const second = await startTestBaton({ bootstrapToken: token, dataDir, ...(databaseUrl ? { databaseUrl } : {}) }, { demo: false });
    try {
      expect((await second.api("/api/v1/settings")).status).toBe(200);
      const bootstrap = (await second.apiJson("/api/v1/tokens")).items.filter((t: { name: string }) => t.name === "bootstrap");
      expect(bootstrap).toHaveLength(1);
    } finally {
      await second.close();
      await first.dropStore();
    }
  });

  it("without it, generates an admin token once and writes it to <data dir>/admin-token (0600)", async () => {
    const c = await startTestBaton({ bootstrapToken: null, adminPassword: null }, { demo: false });
    try {
      expect(c.adminToken).toMatch(/^baton_pat_/);
      const file = join(c.dataDir, "admin-token");
      expect(readFileSync(file, "utf8").trim()).toBe(c.adminToken);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const pw = join(c.dataDir, "admin-password");
      expect(statSync(pw).mode & 0o777).toBe(0o600);
      expect(c.adminPassword).toBe(readFileSync(pw, "utf8").trim());
      const res = await fetch(`${c.base}/api/v1/settings`, { headers: { authorization: `Bearer ${c.adminToken}` } });
      expect(res.status).toBe(200);
    } finally {
      await c.close();
    }
  });
});

describe("tenants are isolated", () => {
  let other: { base: string; token: string; folderKey: string; jobKey: string };

  beforeAll(async () => {
    // an organization administrator (the bootstrap token) creates tenant Other and a token bound to it
    const res = await fetch(`${b.url}/default/api/v1/tenants`, { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "Other" }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: expect.any(String), name: "Other" });
    const base = `${b.url}/default/Other/orchestrator_`;
    const tokenRes = await fetch(`${base}/api/v1/tokens`, { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "other", scopes: ["OR.Jobs", "OR.Execution", "OR.Folders"] }) });
    expect(tokenRes.status).toBe(201);
    const token = (await tokenRes.json()).token;
    const h = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const folders = await (await fetch(`${base}/api/v1/folders`, { headers: h })).json();
    const folderKey = folders.items[0].key;
    expect((await fetch(`${base}/api/v1/folders/${folderKey}/processes`, { method: "POST", headers: h, body: JSON.stringify({ name: "Echo" }) })).status).toBe(201);
    expect((await fetch(`${base}/api/v1/folders/${folderKey}/triggers`, { method: "POST", headers: h, body: JSON.stringify({ name: "echo", slug: "echo", verb: "POST", processName: "Echo" }) })).status).toBe(201);
    const invoked = await fetch(`${base}/t/${folderKey}/echo`, { method: "POST", headers: h, body: "{}" });
    expect(invoked.status).toBe(202);
    other = { base, token, folderKey, jobKey: (await invoked.json()).jobKey };
  });

  it("refuses another tenant's token with 401", async () => {
    await expect401(await b.api("/api/v1/jobs", { headers: { authorization: `Bearer ${other.token}` } }), /not valid for this tenant/);
    await expect401(await invoke(b, "echo", {}, { headers: { authorization: `Bearer ${other.token}` } }));
  });

  it("answers 404 for another tenant's job and trigger, reached through one's own tenant", async () => {
    const mine = await invoke(b, "echo", {});
    const { jobKey } = await mine.json();
    const h = { authorization: `Bearer ${other.token}` };
    for (const path of [`/api/v1/jobs/${jobKey}`, `/api/v1/jobs/${jobKey}/status`, `/api/v1/jobs/${jobKey}/output`, `/api/v1/jobs/${jobKey}/wait`]) {
      const res = await fetch(`${other.base}${path}`, { headers: h });
      expect(res.status, path).toBe(404);
      expect((await res.json()).code).toBe("job-not-found");
    }
    const stop = await fetch(`${other.base}/api/v1/jobs/${jobKey}/stop`, { method: "POST", headers: { ...h, "content-type": "application/json" }, body: JSON.stringify({ strategy: "Kill" }) });
    expect(stop.status).toBe(404);
    const trig = await fetch(`${other.base}/t/${b.sharedKey}/echo`, { method: "POST", headers: h });
    expect(trig.status).toBe(404);
    expect((await trig.json()).code).toBe("trigger-not-found");
    const list = await (await fetch(`${other.base}/api/v1/jobs?limit=1000`, { headers: h })).json();
    expect(list.items.map((j: { key: string }) => j.key)).toEqual([other.jobKey]);
  });

  it("lets only organization administrators create tenants", async () => {
    const t = await createToken({ name: "not-org-admin", scopes: ["OR.Jobs", "OR.Settings", "OR.Users"] });
    const res = await fetch(`${b.url}/default/api/v1/tenants`, { method: "POST", headers: { authorization: `Bearer ${t.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "Nope" }) });
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe("not-org-admin");
    const again = await fetch(`${b.url}/default/api/v1/tenants`, { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "Other" }) });
    expect(again.status).toBe(409);
    await expect401(await fetch(`${b.url}/default/api/v1/tenants`, { method: "POST" }));
  });
});
