import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_STORE, startSocketlessBaton, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
let bootstrapId: string;
beforeAll(async () => {
  b = await startSocketlessBaton();
  bootstrapId = (await b.apiJson("/api/v1/tokens")).items.find((t: { name: string }) => t.name === "bootstrap").id;
});
afterAll(async () => { await b?.close(); });

const LOCAL = ["127.0.0.1", "::ffff:127.0.0.1", "::1"];

/** A call under the tenant (or an absolute URL) with its own X-Request-Id; the admin token unless `token` says otherwise. */
async function send(method: string, path: string, requestId: string, body?: unknown, token = b.token, via: TestBaton = b): Promise<Response> {
  const headers: Record<string, string> = { "x-request-id": requestId, authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return via.fetch(path.startsWith("http") ? path : `${via.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: "manual" });
}

async function ok(res: Response, status: number): Promise<any> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return text ? JSON.parse(text) : undefined;
}

/** The whole audit log of the tenant, newest first, page by page. */
async function auditLog(query = "", via: TestBaton = b, token = via.token): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: any[]; nextCursor: string | null } = await ok(
      await via.fetch(`${via.base}/api/v1/audit?limit=1000${query}${cursor ? `&cursor=${cursor}` : ""}`, { headers: { authorization: `Bearer ${token}` } }), 200);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** The rows as stored, every column: no secret may be in them. */
async function rawAuditRows(): Promise<unknown[]> {
  const store = b.baton.store as any;
  if (TEST_STORE === "postgres") return (await store.pool.query("SELECT * FROM audit_log")).rows;
  return store.connection.prepare("SELECT * FROM audit_log").all();
}

describe("the audit log", () => {
  it("records each management change with its actor, action, target, address and request id", async () => {
    const folder = await ok(await send("POST", "/api/v1/folders", "a-folder-create", { name: "Audited" }), 201);
    await ok(await send("PATCH", `/api/v1/folders/${folder.key}`, "a-folder-update", { name: "Audited 2" }), 200);
    const process = await ok(await send("POST", `/api/v1/folders/${folder.key}/processes`, "a-process-create", {
      name: "Audited", defaultInputArguments: { apiPassword: "process-default-value-1" }, priority: "High",
    }), 201);
    await ok(await send("PATCH", `/api/v1/folders/${folder.key}/processes/Audited`, "a-process-update", { description: "d", maxDurationSeconds: 60 }), 200);
    const trigger = await ok(await send("POST", `/api/v1/folders/${folder.key}/triggers`, "a-trigger-create", {
      name: "Audited", slug: "audited-slug", verb: "POST", processName: "Audited", defaultArguments: { password: "trigger-default-value-2" },
    }), 201);
    await ok(await send("PATCH", `/api/v1/triggers/${trigger.id}`, "a-trigger-update", { enabled: false, defaultArguments: { apiKey: "trigger-default-value-3" }, id: trigger.id }), 200);
    const job = await ok(await send("POST", "/api/v1/jobs", "a-job-start", { folderKey: folder.key, processName: "Audited", inputArguments: { secretInput: "job-argument-value-4" } }), 201);
    await ok(await send("POST", `/api/v1/jobs/${job.key}/stop`, "a-job-stop", { strategy: "Kill" }), 202);
    const robot = await ok(await send("POST", "/api/v1/robots", "a-robot-create", { name: "audited-robot" }), 201);
    await ok(await send("DELETE", `/api/v1/robots/${robot.id}`, "a-robot-revoke"), 204);
    const token = await ok(await send("POST", "/api/v1/tokens", "a-token-create", { name: "audited-token", scopes: ["OR.Jobs.Read", "OR.Audit.Read"] }), 201);
    await ok(await send("DELETE", `/api/v1/tokens/${token.id}`, "a-token-revoke"), 204);
    await ok(await send("PATCH", "/api/v1/settings", "a-settings-update", { jobRetentionDays: 31, corsAllowedOrigins: ["https://audit.example"] }), 200);
    await ok(await send("DELETE", `/api/v1/triggers/${trigger.id}`, "a-trigger-delete"), 204);
    await ok(await send("DELETE", `/api/v1/folders/${folder.key}/processes/Audited`, "a-process-delete"), 204);
    const empty = await ok(await send("POST", "/api/v1/folders", "a-folder-create-2", { name: "Audited empty" }), 201);
    await ok(await send("DELETE", `/api/v1/folders/${empty.key}`, "a-folder-delete"), 204);

    const log = await auditLog();
    const byRequest = (id: string) => {
      const found = log.filter((e) => e.requestId === id);
      expect(found, id).toHaveLength(1);
      return found[0];
    };
    const expected: [string, string, string, Record<string, unknown>][] = [
      ["a-folder-create", "folder.create", folder.key, { name: "Audited" }],
      ["a-folder-update", "folder.update", folder.key, { name: "Audited 2", fields: ["name"] }],
      ["a-process-create", "process.create", process.id, { folderKey: folder.key, name: "Audited", fields: ["defaultInputArguments", "name", "priority"] }],
      ["a-process-update", "process.update", process.id, { folderKey: folder.key, name: "Audited", fields: ["description", "maxDurationSeconds"] }],
      ["a-trigger-create", "trigger.create", trigger.id, { slug: "audited-slug", folderKey: folder.key, processName: "Audited", fields: ["defaultArguments", "name", "processName", "slug", "verb"] }],
      ["a-trigger-update", "trigger.update", trigger.id, { slug: "audited-slug", folderKey: folder.key, processName: "Audited", fields: ["defaultArguments", "enabled"] }],
      ["a-job-start", "job.start", job.key, { folderKey: folder.key, processName: "Audited" }],
      ["a-job-stop", "job.stop", job.key, { strategy: "Kill", processName: "Audited" }],
      ["a-robot-create", "robot.create", robot.id, { name: "audited-robot" }],
      ["a-robot-revoke", "robot.revoke", robot.id, {}],
      ["a-token-create", "token.create", token.id, { name: "audited-token", scopes: ["OR.Jobs.Read", "OR.Audit.Read"], expiresAt: null }],
      ["a-token-revoke", "token.revoke", token.id, {}],
      ["a-settings-update", "settings.update", b.tenant.id, { fields: ["corsAllowedOrigins", "jobRetentionDays"] }],
      ["a-trigger-delete", "trigger.delete", trigger.id, {}],
      ["a-process-delete", "process.delete", process.id, { folderKey: folder.key, name: "Audited" }],
      ["a-folder-delete", "folder.delete", empty.key, {}],
    ];
    for (const [requestId, action, target, details] of expected) {
      const entry = byRequest(requestId);
      expect(entry, requestId).toEqual({
        seq: expect.any(Number), at: expect.any(String), actor: { kind: "token", id: bootstrapId, name: "bootstrap" },
        action, target, details, sourceIp: expect.any(String), requestId,
      });
      expect(LOCAL).toContain(entry.sourceIp);
      expect(Date.now() - Date.parse(entry.at)).toBeLessThan(60_000);
    }
    // newest first, in the order the changes were made
    const order = expected.map(([id]) => byRequest(id).seq);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(log.map((e) => e.seq)).toEqual([...log.map((e) => e.seq)].sort((x, y) => y - x));

    // argument values never enter it, only the names of the fields that carry them
    const text = JSON.stringify(log);
    for (const value of ["process-default-value-1", "trigger-default-value-2", "trigger-default-value-3", "job-argument-value-4"]) expect(text).not.toContain(value);
    expect(JSON.stringify(await rawAuditRows())).not.toContain("value-");
    await b.patchSettings({ jobRetentionDays: 30, corsAllowedOrigins: [] });
  });

  it("records the change as its actor: another token's id and name", async () => {
    const admin = await ok(await send("POST", "/api/v1/tokens", "b-token", { name: "folder admin", scopes: ["OR.Folders"] }), 201);
    const folder = await ok(await send("POST", "/api/v1/folders", "b-folder", { name: "By another token" }, admin.token), 201);
    const [entry] = await auditLog("&action=folder.create");
    expect(entry).toMatchObject({ action: "folder.create", target: folder.key, requestId: "b-folder", actor: { kind: "token", id: admin.id, name: "folder admin" } });
  });

  it("does not record refused changes, reads or invocations", async () => {
    const before = await auditLog();
    await ok(await send("POST", "/api/v1/folders", "c-bad", { name: "a/b" }), 400);
    await ok(await send("POST", "/api/v1/folders", "c-dup", { name: "Shared" }), 409);
    await ok(await send("DELETE", `/api/v1/triggers/00000000-0000-4000-8000-000000000000`, "c-missing"), 404);
    const reader = await ok(await send("POST", "/api/v1/tokens", "c-reader", { name: "reader", scopes: ["OR.Folders.Read"] }), 201);
    await ok(await send("POST", "/api/v1/folders", "c-forbidden", { name: "Nope" }, reader.token), 403);
    await ok(await send("POST", "/api/v1/folders", "c-unauthorized", { name: "Nope" }, "baton_pat_nope"), 401);
    await ok(await send("GET", "/api/v1/folders", "c-read"), 200);
    await ok(await send("POST", `/t/${b.sharedKey}/echo`, "c-invoke", { a: 1, $callMode: "FireAndForget" }), 200);
    const after = await auditLog();
    expect(after.filter((e) => e.requestId?.startsWith("c-")).map((e) => e.requestId)).toEqual(["c-reader"]);
    expect(after.length).toBe(before.length + 1);
  });

  it("keeps secrets out: neither a token nor a robot key appears in GET /audit or in the stored rows", async () => {
    const pat = await ok(await send("POST", "/api/v1/tokens", "d-pat", { name: "secret-test", scopes: ["OR.Jobs"] }), 201);
    const robot = await ok(await send("POST", "/api/v1/robots", "d-robot", { name: "secret-robot" }), 201);
    expect(pat.token).toMatch(/^baton_pat_/);
    expect(robot.key).toMatch(/^baton_rk_/);
    await ok(await send("DELETE", `/api/v1/tokens/${pat.id}`, "d-pat-revoke"), 204);
    await ok(await send("DELETE", `/api/v1/robots/${robot.id}`, "d-robot-revoke"), 204);

    const res = await b.fetch(`${b.base}/api/v1/audit?limit=1000`, { headers: { authorization: `Bearer ${b.token}` } });
    const answer = await res.text();
    const rows = JSON.stringify(await rawAuditRows());
    for (const secret of [pat.token, robot.key, b.token]) {
      expect(answer).not.toContain(secret);
      expect(rows).not.toContain(secret);
    }
    // nor anything shaped like one
    for (const text of [answer, rows]) {
      expect(text).not.toMatch(/baton_(pat|rk)_/);
      expect(text).not.toContain("test-password");
    }
    // the entries are there, by id
    expect(answer).toContain(pat.id);
    expect(answer).toContain(robot.id);
  });

  it("records a new tenant in that tenant's own log", async () => {
    const created = await ok(await send("POST", `${b.url}/default/api/v1/tenants`, "e-tenant", { name: "AuditedTenant" }), 201);
    const other = { ...b, base: `${b.url}/default/AuditedTenant/orchestrator_` } as TestBaton;
    const log = await auditLog("", other);
    expect(log).toEqual([{
      seq: expect.any(Number), at: expect.any(String), actor: { kind: "token", id: bootstrapId, name: "bootstrap" }, action: "tenant.create",
      target: created.id, details: { name: "AuditedTenant" }, sourceIp: expect.any(String), requestId: "e-tenant",
    }]);
    // a tenant's log holds its own changes only
    expect((await auditLog()).some((e) => e.requestId === "e-tenant")).toBe(false);
  });

  it("records external applications (never their secret) and changes made with their access tokens", async () => {
    const org = `${b.url}/default`;
    const app = await ok(await send("POST", `${org}/api/v1/external-apps`, "i-app-create", { name: "audited-app", tenant: "DefaultTenant", scopes: ["OR.Folders"] }), 201);
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret });
    const issued = await ok(await b.fetch(`${org}/identity_/connect/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form }), 200);
    const folder = await ok(await send("POST", "/api/v1/folders", "i-folder", { name: "By an application" }, issued.access_token), 201);
    const rotated = await ok(await send("POST", `${org}/api/v1/external-apps/${app.clientId}/secret`, "i-app-rotate"), 200);
    await ok(await send("DELETE", `${org}/api/v1/external-apps/${app.clientId}`, "i-app-revoke"), 204);

    const log = await auditLog();
    const entry = (requestId: string) => log.find((e) => e.requestId === requestId);
    const admin = { kind: "token", id: bootstrapId, name: "bootstrap" };
    expect(entry("i-app-create")).toMatchObject({ action: "external-app.create", target: app.clientId, actor: admin, details: { name: "audited-app", tenant: "DefaultTenant", scopes: ["OR.Folders"] } });
    expect(entry("i-folder")).toMatchObject({ action: "folder.create", target: folder.key, actor: { kind: "oauth", id: app.clientId, name: "audited-app" } });
    expect(entry("i-app-rotate")).toMatchObject({ action: "external-app.rotate-secret", target: app.clientId, actor: admin, details: { name: "audited-app" } });
    expect(entry("i-app-revoke")).toMatchObject({ action: "external-app.revoke", target: app.clientId, actor: admin, details: { name: "audited-app" } });
    const text = JSON.stringify(log) + JSON.stringify(await rawAuditRows());
    for (const secret of [app.clientSecret, rotated.clientSecret, issued.access_token]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/baton_cs_|eyJ[\w-]+\.eyJ/);
  });

  it("is readable with OR.Audit or OR.Audit.Read only", async () => {
    const token = async (scopes: string[]) => (await ok(await send("POST", "/api/v1/tokens", "f-token", { name: `audit ${scopes.join(" ")}`, scopes }), 201)).token;
    for (const scopes of [["OR.Audit"], ["OR.Audit.Read"]]) {
      const res = await b.fetch(`${b.base}/api/v1/audit`, { headers: { authorization: `Bearer ${await token(scopes)}` } });
      expect(res.status, scopes.join()).toBe(200);
      expect((await res.json()).items.length).toBeGreaterThan(0);
    }
    for (const scopes of [["OR.Audit.Write"], ["OR.Jobs", "OR.Execution", "OR.Folders", "OR.Robots", "OR.Settings", "OR.Users"]]) {
      const res = await b.fetch(`${b.base}/api/v1/audit`, { headers: { authorization: `Bearer ${await token(scopes)}` } });
      expect(res.status, scopes.join()).toBe(403);
      expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
      expect(await res.json()).toMatchObject({ code: "insufficient-scope", requiredScope: ["OR.Audit", "OR.Audit.Read"] });
    }
    const anonymous = await b.fetch(`${b.base}/api/v1/audit`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="baton"');
  });

  it("pages newest first with limit and cursor, and filters by action and time", async () => {
    const since = new Date().toISOString();
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await ok(await send("POST", "/api/v1/folders", `g-${i}`, { name: `Paged ${i}` }), 201)).key);
    await ok(await send("PATCH", `/api/v1/folders/${keys[0]}`, "g-rename", { name: "Paged renamed" }), 200);

    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await b.fetch(`${b.base}/api/v1/audit?limit=2&action=folder.create&since=${encodeURIComponent(since)}${cursor ? `&cursor=${cursor}` : ""}`, {
        headers: { authorization: `Bearer ${b.token}` },
      });
      const page: { items: any[]; nextCursor: string | null } = await ok(res, 200);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((e) => e.target)).toEqual([...keys].reverse());
    expect(new Set(seen.map((e) => e.seq)).size).toBe(5);

    expect((await auditLog(`&action=folder.*&since=${encodeURIComponent(since)}`)).map((e) => e.requestId)).toEqual(["g-rename", "g-4", "g-3", "g-2", "g-1", "g-0"]);
    expect(await auditLog(`&action=folder.create&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);

    for (const [query, code] of [["limit=0", "invalid-filter"], ["limit=1001", "invalid-filter"], ["action=DROP%20TABLE", "invalid-filter"], ["since=yesterday", "invalid-filter"], ["cursor=nope", "invalid-cursor"]]) {
      const res = await b.fetch(`${b.base}/api/v1/audit?${query}`, { headers: { authorization: `Bearer ${b.token}` } });
      expect(res.status, query).toBe(400);
      expect((await res.json()).code, query).toBe(code);
    }
  });

  it("takes the address from X-Forwarded-For only with BATON_TRUST_PROXY", async () => {
    // what the client claimed, then the address the proxy appended: only the last is believed
    const forwarded = { "x-forwarded-for": "198.51.100.66, 203.0.113.9" };
    const untrusted = await b.fetch(`${b.base}/api/v1/folders`, {
      method: "POST", headers: { ...forwarded, authorization: `Bearer ${b.token}`, "content-type": "application/json", "x-request-id": "h-spoofed" }, body: JSON.stringify({ name: "Forwarded 2" }),
    });
    expect(untrusted.status).toBe(201);
    expect(LOCAL).toContain((await auditLog()).find((e) => e.requestId === "h-spoofed").sourceIp);

    const proxied = await startSocketlessBaton({ trustProxy: true }, { demo: false });
    try {
      const res = await proxied.fetch(`${proxied.base}/api/v1/folders`, {
        method: "POST", headers: { ...forwarded, authorization: `Bearer ${proxied.token}`, "content-type": "application/json", "x-request-id": "h-proxied" }, body: JSON.stringify({ name: "Forwarded" }),
      });
      expect(res.status).toBe(201);
      const forged = await proxied.fetch(`${proxied.base}/api/v1/folders`, {
        method: "POST", headers: { "x-forwarded-for": "attacker says hi", authorization: `Bearer ${proxied.token}`, "content-type": "application/json", "x-request-id": "h-forged" }, body: JSON.stringify({ name: "Forged" }),
      });
      expect(forged.status).toBe(201);
      const log = await auditLog("", proxied);
      expect(log.find((e) => e.requestId === "h-proxied").sourceIp).toBe("203.0.113.9");
      expect(LOCAL).toContain(log.find((e) => e.requestId === "h-forged").sourceIp);
    } finally {
      await proxied.close();
    }
  });
});
