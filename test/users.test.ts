import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invoke, startTestBaton, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
beforeAll(async () => { b = await startTestBaton(); });
afterAll(async () => { await b.close(); });

interface Login { cookie: string; csrf: string; body: any; res: Response }

/** POST /session; the cookie as a browser would send it back */
async function login(userName: string, password: string, via: TestBaton = b): Promise<Login> {
  const res = await fetch(`${via.base}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName, password }) });
  const body = await res.json();
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { cookie: setCookie.split(";")[0]!, csrf: body.csrfToken, body, res };
}

/** a request with a console session: the cookie, and the CSRF header on changes */
function withSession(s: Login, path: string, init: RequestInit & { json?: unknown } = {}, csrf = true): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cookie", s.cookie);
  if (csrf && init.method && init.method !== "GET") headers.set("x-csrf-token", s.csrf);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  return fetch(path.startsWith("http") ? path : `${b.base}${path}`, { ...init, headers, redirect: "manual", ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
}

async function createUser(name: string, roles: unknown[], password = "correct-horse-1"): Promise<any> {
  return b.apiJson("/api/v1/users", { method: "POST", json: { name, password, roles } });
}

async function bearer(token: string, path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  return fetch(path.startsWith("http") ? path : `${b.base}${path}`, { ...init, headers, redirect: "manual", ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
}

function expectLoginProblem(l: Login, status: number, code: string) {
  expect(l.res.status, JSON.stringify(l.body)).toBe(status);
  expect(l.res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
  expect(l.body.code).toBe(code);
}

async function expectProblem(res: Response, status: number, code: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
  expect(JSON.parse(text).code).toBe(code);
}

describe("console login", () => {
  it("logs in with a password: an HttpOnly SameSite=Strict cookie scoped to the tenant, and a CSRF token", async () => {
    const s = await login("admin", "test-password");
    expect(s.res.status).toBe(200);
    const path = new URL(b.base).pathname;
    expect(s.res.headers.get("set-cookie")).toMatch(new RegExp(`^baton_session=[A-Za-z0-9_-]{43}; Path=${path}; Max-Age=43200; HttpOnly; SameSite=Strict$`));
    expect(s.body).toEqual({
      user: { id: expect.any(String), name: "admin", orgAdmin: true, roles: [] },
      permissions: { tenant: expect.arrayContaining(["Jobs.View", "Users.Edit", "Audit.View"]), folders: {} },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      expiresAt: expect.any(String),
    });
    const me = await withSession(s, "/api/v1/session");
    expect(me.status).toBe(200);
    expect((await me.json()).user.name).toBe("admin");
    // the session works on the management API, reads without the CSRF header
    expect((await withSession(s, "/api/v1/folders")).status).toBe(200);
  });

  it("refuses wrong passwords and unknown users alike, and malformed bodies", async () => {
    expectLoginProblem(await login("admin", "wrong-password"), 401, "invalid-credentials");
    expectLoginProblem(await login("nobody-at-all", "whatever-password"), 401, "invalid-credentials");
    const res = await fetch(`${b.base}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "admin" }) });
    await expectProblem(res, 400, "invalid-login");
    await expectProblem(await fetch(`${b.base}/api/v1/session`), 401, "unauthorized");
  });

  it("needs the CSRF token on every change made with the cookie", async () => {
    const s = await login("admin", "test-password");
    await expectProblem(await withSession(s, "/api/v1/folders", { method: "POST", json: { name: "csrf-a" } }, false), 403, "csrf-token-invalid");
    await expectProblem(await withSession(s, "/api/v1/folders", { method: "POST", json: { name: "csrf-a" }, headers: { "x-csrf-token": "forged" } }, false), 403, "csrf-token-invalid");
    expect((await withSession(s, "/api/v1/folders", { method: "POST", json: { name: "csrf-a" } })).status).toBe(201);
    // an invocation with the cookie (the console's "try it") needs it too
    await expectProblem(await withSession(s, b.invokeUrl("echo"), { method: "POST", json: { a: 1 } }, false), 403, "csrf-token-invalid");
    expect((await withSession(s, b.invokeUrl("echo"), { method: "POST", json: { a: 1 } })).status).toBe(202);
  });

  it("logs out: the cookie is cleared and the session is gone", async () => {
    const s = await login("admin", "test-password");
    const out = await withSession(s, "/api/v1/session", { method: "DELETE" });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^baton_session=; Path=.*; Max-Age=0; HttpOnly; SameSite=Strict$/);
    await expectProblem(await withSession(s, "/api/v1/session"), 401, "unauthorized");
    await expectProblem(await withSession(s, "/api/v1/folders"), 401, "unauthorized");
  });

  it("a session of one tenant is not valid in another", async () => {
    await b.apiJson(`${b.tenantUrl.replace(/\/[^/]+$/, "")}/api/v1/tenants`, { method: "POST", json: { name: "SessionOther" } });
    const s = await login("admin", "test-password");
    const other = b.base.replace(/\/[^/]+\/orchestrator_$/, "/SessionOther/orchestrator_");
    await expectProblem(await withSession(s, `${other}/api/v1/folders`), 401, "unauthorized");
  });

  it("throttles repeated failures for one user name: 429 with Retry-After, even for the right password", async () => {
    await createUser("throttled", [{ role: "Viewer" }]);
    for (let i = 0; i < 5; i++) expectLoginProblem(await login("throttled", "wrong-password"), 401, "invalid-credentials");
    const sixth = await login("throttled", "correct-horse-1");
    expect(sixth.res.status).toBe(429);
    expect(sixth.body.code).toBe("login-throttled");
    expect(Number(sixth.res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("a user changes its own password (admin too): the current one is checked; sessions end", async () => {
    const s = await login("admin", "test-password");
    const change = (body: unknown, csrf = true) => withSession(s, "/api/v1/session/password", { method: "POST", json: body }, csrf);
    await expectProblem(await change({ currentPassword: "test-password", newPassword: "new-admin-password" }, false), 403, "csrf-token-invalid");
    await expectProblem(await change({ currentPassword: "wrong", newPassword: "new-admin-password" }), 403, "wrong-password");
    await expectProblem(await change({ currentPassword: "test-password", newPassword: "short" }), 400, "invalid-user");
    await expectProblem(await change({ newPassword: "new-admin-password" }), 400, "invalid-password-change");
    const ok = await change({ currentPassword: "test-password", newPassword: "new-admin-password" });
    expect(ok.status).toBe(204);
    await expectProblem(await withSession(s, "/api/v1/session"), 401, "unauthorized");
    expectLoginProblem(await login("admin", "test-password"), 401, "invalid-credentials");
    const again = await login("admin", "new-admin-password");
    expect(again.res.status).toBe(200);
    // and back, with the bootstrap token of the admin user (a token of a user may change its password too)
    const res = await b.api("/api/v1/session/password", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ currentPassword: "new-admin-password", newPassword: "test-password" }) });
    expect(res.status).toBe(204);
    expect((await login("admin", "test-password")).res.status).toBe(200);
  });

  it("refuses over-long user names before looking them up", async () => {
    expectLoginProblem(await login("x".repeat(129), "whatever-password"), 400, "invalid-login");
    // a body of the wrong shape: every fault in one 400
    const res = await fetch(`${b.base}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName: 5 }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid-login", violations: [{ path: "/password", message: "is required" }, { path: "/userName", message: "must be string" }] });
  });

  it("a GET trigger invoked with the console cookie needs the CSRF token too", async () => {
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, { method: "POST", json: { name: "get-echo", slug: "get-echo", verb: "GET", processName: "Echo", callMode: "AsyncRequestReply" } });
    const s = await login("admin", "test-password");
    await expectProblem(await withSession(s, `${b.invokeUrl("get-echo")}?x=1`, { method: "GET" }), 403, "csrf-token-invalid");
    expect((await withSession(s, `${b.invokeUrl("get-echo")}?x=1`, { method: "GET", headers: { "x-csrf-token": s.csrf } })).status).toBe(202);
  });

  it("a tenant's Administrator cannot revoke the organization admin's tokens", async () => {
    await createUser("tenant-admin", [{ role: "Administrator" }], "tenant-admin-pw");
    const s = await login("tenant-admin", "tenant-admin-pw");
    const tokens = await (await withSession(s, "/api/v1/tokens")).json();
    const bootstrap = tokens.items.find((t: { name: string }) => t.name === "bootstrap");
    await expectProblem(await withSession(s, `/api/v1/tokens/${bootstrap.id}`, { method: "DELETE" }), 409, "user-of-organization");
    expect((await b.api("/api/v1/folders")).status).toBe(200);
    // its own tokens, and those of the tenant's users, it may
    const own = await (await withSession(s, "/api/v1/tokens", { method: "POST", json: { name: "mine", scopes: ["OR.Jobs.Read"] } })).json();
    expect((await withSession(s, `/api/v1/tokens/${own.id}`, { method: "DELETE" })).status).toBe(204);
  });

  it("a bearer token has no console session", async () => {
    await expectProblem(await b.api("/api/v1/session"), 401, "unauthorized");
  });
});

describe("users and roles", () => {
  it("lists the roles and their permissions", async () => {
    const roles = await b.apiJson("/api/v1/roles");
    expect(roles.items.map((r: { name: string }) => r.name)).toEqual(["Administrator", "Automation Developer", "Viewer"]);
    expect(roles.items[2].permissions).toEqual(["Folders.View", "Processes.View", "Triggers.View", "Jobs.View", "Robots.View", "Settings.View"]);
  });

  it("creates, lists, changes and deletes users; validates names, passwords and roles", async () => {
    const created = await createUser("viewer-1", [{ role: "Viewer" }]);
    expect(created).toEqual({
      id: expect.any(String), name: "viewer-1", orgAdmin: false, organizationUser: false, roles: [{ role: "Viewer", folderKey: null }],
      disabled: false, disabledAt: null, createdAt: expect.any(String),
    });
    expect(JSON.stringify(created)).not.toContain("correct-horse");
    const list = await b.apiJson("/api/v1/users");
    expect(list.items.map((u: { name: string }) => u.name)).toEqual(expect.arrayContaining(["viewer-1", "admin"]));
    expect(list.items.find((u: { name: string }) => u.name === "admin")).toMatchObject({ orgAdmin: true, organizationUser: true });

    const post = (body: unknown) => b.api("/api/v1/users", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await expectProblem(await post({ name: "viewer-1", password: "long-enough-1", roles: [] }), 409, "user-exists");
    await expectProblem(await post({ name: "admin", password: "long-enough-1", roles: [] }), 409, "user-exists");
    await expectProblem(await post({ name: "x", password: "short", roles: [] }), 400, "invalid-user");
    await expectProblem(await post({ name: "bad name!", password: "long-enough-1", roles: [] }), 400, "invalid-user");
    await expectProblem(await post({ name: "y", password: "long-enough-1", roles: [{ role: "Owner" }] }), 400, "invalid-user");
    await expectProblem(await post({ name: "y", password: "long-enough-1", roles: [{ role: "Viewer", folderKey: "00000000-0000-4000-8000-000000000000" }] }), 400, "invalid-user");

    const patched = await b.apiJson(`/api/v1/users/${created.id}`, { method: "PATCH", json: { roles: [{ role: "Automation Developer", folderKey: b.sharedKey }] } });
    expect(patched.roles).toEqual([{ role: "Automation Developer", folderKey: b.sharedKey }]);
    expect((await b.apiJson(`/api/v1/users/${created.id}`)).roles).toEqual(patched.roles);
    const adminId = list.items.find((u: { name: string }) => u.name === "admin").id;
    await expectProblem(await b.api(`/api/v1/users/${adminId}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: "{\"disabled\":true}" }), 409, "user-of-organization");

    expect((await b.api(`/api/v1/users/${created.id}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await b.api(`/api/v1/users/${created.id}`), 404, "user-not-found");
    await expectProblem(await b.api("/api/v1/users/not-a-user"), 404, "user-not-found");
  });

  it("records user changes and logins in the audit log, never the password", async () => {
    const user = await createUser("audited", [{ role: "Viewer" }], "audit-secret-pw");
    await login("audited", "audit-secret-pw");
    const audit = await b.apiJson("/api/v1/audit?limit=20");
    const actions = audit.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["user.create", "session.login"]));
    expect(audit.items.find((e: { action: string; target: string }) => e.action === "session.login" && e.target === user.id)).toBeTruthy();
    expect(JSON.stringify(audit)).not.toContain("audit-secret-pw");
  });
});

describe("permissions: scope and the user's permission in the folder", () => {
  let folderKey: string;
  let devToken: string;
  let viewerToken: string;
  let sharedJobKey: string;
  let viewerSession: Login;

  beforeAll(async () => {
    const folder = await b.apiJson("/api/v1/folders", { method: "POST", json: { name: "Team" } });
    folderKey = folder.key;
    await b.apiJson(`/api/v1/folders/${folderKey}/processes`, { method: "POST", json: { name: "Echo" } });
    await b.apiJson(`/api/v1/folders/${folderKey}/triggers`, { method: "POST", json: { name: "team-echo", slug: "team-echo", verb: "POST", processName: "Echo", callMode: "AsyncRequestReply" } });
    await createUser("dev", [{ role: "Automation Developer", folderKey }], "dev-password-1");
    await createUser("viewer", [{ role: "Viewer" }], "viewer-password-1");
    const dev = await login("dev", "dev-password-1");
    devToken = (await (await withSession(dev, "/api/v1/tokens", { method: "POST", json: { name: "dev", scopes: ["OR.Jobs", "OR.Execution", "OR.Folders", "OR.Robots", "OR.Settings"] } })).json()).token;
    const viewer = await login("viewer", "viewer-password-1");
    viewerSession = viewer;
    viewerToken = (await (await withSession(viewer, "/api/v1/tokens", { method: "POST", json: { name: "viewer", scopes: ["OR.Jobs", "OR.Execution"] } })).json()).token;
    sharedJobKey = (await (await invoke(b, "echo", { x: 1 })).json()).key ?? (await b.apiJson("/api/v1/jobs?limit=1")).items[0].key;
  });

  it("a folder grant: invoke and see in that folder only", async () => {
    const teamInvoke = `${b.base}/t/${folderKey}/team-echo`;
    const res = await bearer(devToken, teamInvoke, { method: "POST", json: { n: 1 } });
    expect(res.status).toBe(202);
    const sharedInvoke = await bearer(devToken, b.invokeUrl("echo"), { method: "POST", json: {} });
    await expectProblem(sharedInvoke, 404, "trigger-not-found");
    const folders = await (await bearer(devToken, "/api/v1/folders")).json();
    expect(folders.items.map((f: { key: string }) => f.key)).toEqual([folderKey]);
    const jobs = await (await bearer(devToken, "/api/v1/jobs?limit=1000")).json();
    expect(jobs.items.length).toBeGreaterThan(0);
    expect(jobs.items.every((j: { folderKey: string }) => j.folderKey === folderKey)).toBe(true);
    await expectProblem(await bearer(devToken, `/api/v1/jobs/${sharedJobKey}`), 404, "job-not-found");
    await expectProblem(await bearer(devToken, `/api/v1/jobs/${sharedJobKey}/status`), 404, "job-not-found");
    await expectProblem(await bearer(devToken, `/api/v1/folders/${b.sharedKey}/triggers`), 404, "folder-not-found");
    // tenant-wide permissions the folder grant does not give
    await expectProblem(await bearer(devToken, "/api/v1/robots"), 403, "permission-denied");
    await expectProblem(await bearer(devToken, "/api/v1/settings"), 403, "permission-denied");
    await expectProblem(await bearer(devToken, "/api/v1/folders", { method: "POST", json: { name: "nope" } }), 403, "permission-denied");
  });

  it("a Viewer sees everything and changes nothing: 403 permission-denied where it can see", async () => {
    expect((await bearer(viewerToken, `/api/v1/jobs/${sharedJobKey}`)).status).toBe(200);
    await expect.poll(async () => (await b.apiJson(`/api/v1/jobs/${sharedJobKey}`)).state).toBe("Successful");
    expect((await bearer(viewerToken, `/api/v1/jobs/${sharedJobKey}/status`)).status).toBe(303);
    await expectProblem(await bearer(viewerToken, b.invokeUrl("echo"), { method: "POST", json: {} }), 403, "permission-denied");
    await expectProblem(await bearer(viewerToken, `/api/v1/jobs/${sharedJobKey}/stop`, { method: "POST", json: { strategy: "Kill" } }), 403, "permission-denied");
    const triggers = await (await bearer(viewerToken, "/api/v1/triggers")).json();
    await expectProblem(await bearer(viewerToken, `/api/v1/triggers/${triggers.items[0].id}`, { method: "DELETE" }), 403, "permission-denied");
  });

  it("a token cannot mint a token with more scopes; an external application cannot mint one at all", async () => {
    const users = await b.apiJson("/api/v1/tokens", { method: "POST", json: { name: "users-only", scopes: ["OR.Users"] } });
    const res = await bearer(users.token, "/api/v1/tokens", { method: "POST", json: { name: "more", scopes: ["OR.Jobs"] } });
    await expectProblem(res, 403, "insufficient-scope");
    expect((await bearer(users.token, "/api/v1/tokens", { method: "POST", json: { name: "same", scopes: ["OR.Users.Read"] } })).status).toBe(201);
  });

  it("lists a user's own tokens; Users.View lists everyone's", async () => {
    const mine = await (await withSession(viewerSession, "/api/v1/tokens")).json();
    expect(mine.items.map((t: { name: string }) => t.name)).toEqual(["viewer"]);
    const everyone = await b.apiJson("/api/v1/tokens");
    expect(everyone.items.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(["viewer", "dev"]));
    // another user's token: a Viewer may not revoke it (and does not know it exists)
    const devId = everyone.items.find((t: { name: string }) => t.name === "dev").id;
    await expectProblem(await withSession(viewerSession, `/api/v1/tokens/${devId}`, { method: "DELETE" }), 404, "token-not-found");
    await expectProblem(await bearer(devToken, "/api/v1/tokens"), 403, "insufficient-scope");
  });

  it("records lastUsedAt", async () => {
    const t = await b.apiJson("/api/v1/tokens", { method: "POST", json: { name: "used", scopes: ["OR.Jobs"] } });
    expect((await bearer(t.token, "/api/v1/jobs?limit=1")).status).toBe(200);
    await expect.poll(async () => (await b.apiJson("/api/v1/tokens")).items.find((x: { id: string }) => x.id === t.id).lastUsedAt).not.toBeNull();
  });

  it("disabling a user ends its sessions and stops its tokens; a new password ends its sessions", async () => {
    const u = await createUser("leaver", [{ role: "Viewer" }], "leaver-password-1");
    const s = await login("leaver", "leaver-password-1");
    const token = (await (await withSession(s, "/api/v1/tokens", { method: "POST", json: { name: "t", scopes: ["OR.Jobs.Read"] } })).json()).token;
    expect((await bearer(token, "/api/v1/jobs?limit=1")).status).toBe(200);
    await b.apiJson(`/api/v1/users/${u.id}`, { method: "PATCH", json: { disabled: true } });
    await expectProblem(await bearer(token, "/api/v1/jobs?limit=1"), 401, "unauthorized");
    await expectProblem(await withSession(s, "/api/v1/session"), 401, "unauthorized");
    expectLoginProblem(await login("leaver", "leaver-password-1"), 401, "invalid-credentials");
    await b.apiJson(`/api/v1/users/${u.id}`, { method: "PATCH", json: { disabled: false } });
    const again = await login("leaver", "leaver-password-1");
    expect(again.res.status).toBe(200);
    await b.apiJson(`/api/v1/users/${u.id}`, { method: "PATCH", json: { password: "leaver-password-2" } });
    await expectProblem(await withSession(again, "/api/v1/session"), 401, "unauthorized");
    expect((await login("leaver", "leaver-password-2")).res.status).toBe(200);
  });

  it("deleting a user deletes its tokens", async () => {
    const u = await createUser("gone", [{ role: "Viewer" }], "gone-password-1");
    const s = await login("gone", "gone-password-1");
    const token = (await (await withSession(s, "/api/v1/tokens", { method: "POST", json: { name: "t", scopes: ["OR.Jobs.Read"] } })).json()).token;
    expect((await b.api(`/api/v1/users/${u.id}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await bearer(token, "/api/v1/jobs?limit=1"), 401, "unauthorized");
  });
});

describe("robot keys", () => {
  it("rotation: the old key stops at once and its sessions end; the new key works; a revoked key cannot be rotated", async () => {
    const created = await b.apiJson("/api/v1/robots", { method: "POST", json: { name: "rotating" } });
    const open = (key: string) => bearer(key, "/api/robot/v1/sessions", { method: "POST", json: { processes: ["Echo"], slots: 1 } });
    const first = await open(created.key);
    expect(first.status).toBe(201);
    const { sessionId } = await first.json();
    const rotated = await b.apiJson(`/api/v1/robots/${created.id}/rotate`, { method: "POST" });
    expect(rotated).toEqual({ id: created.id, name: "rotating", createdAt: created.createdAt, rotatedAt: expect.any(String), folderKeys: null, revokedAt: null, key: expect.stringMatching(/^baton_rk_/) });
    expect(rotated.key).not.toBe(created.key);
    await expectProblem(await open(created.key), 401, "unauthorized");
    await expectProblem(await bearer(rotated.key, `/api/robot/v1/sessions/${sessionId}/heartbeat`, { method: "POST", json: {} }), 404, "session-not-found");
    expect((await open(rotated.key)).status).toBe(201);
    expect((await b.api(`/api/v1/robots/${created.id}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await b.api(`/api/v1/robots/${created.id}/rotate`, { method: "POST" }), 409, "robot-revoked");
    await expectProblem(await b.api(`/api/v1/robots/00000000-0000-4000-8000-000000000000/rotate`, { method: "POST" }), 404, "robot-not-found");
  });
});

describe("robot keys limited to folders", () => {
  it("a robot key of some folders claims only their jobs; folderKeys are validated", async () => {
    const folder = await b.apiJson("/api/v1/folders", { method: "POST", json: { name: "RobotFolder" } });
    for (const key of [b.sharedKey, folder.key]) await b.apiJson(`/api/v1/folders/${key}/processes`, { method: "POST", json: { name: "Limited" } });
    const robot = await b.apiJson("/api/v1/robots", { method: "POST", json: { name: "limited", folderKeys: [folder.key] } });
    expect(robot.folderKeys).toEqual([folder.key]);
    const inShared = await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Limited" } });
    const inFolder = await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: folder.key, processName: "Limited" } });
    const open = await bearer(robot.key, "/api/robot/v1/sessions", { method: "POST", json: { processes: ["Limited"], slots: 5 } });
    const { sessionId } = await open.json();
    const claimed = await (await bearer(robot.key, `/api/robot/v1/sessions/${sessionId}/claim`, { method: "POST", json: { max: 5, waitSeconds: 0 } })).json();
    expect(claimed.jobs.map((j: { key: string }) => j.key)).toEqual([inFolder.key]);
    expect((await b.apiJson(`/api/v1/jobs/${inShared.key}`)).state).toBe("Pending");
    const sessions = await b.apiJson("/api/v1/robots/sessions");
    expect(sessions.items.find((s: { id: string }) => s.id === sessionId).folderKeys).toEqual([folder.key]);
    const post = (body: unknown) => b.api("/api/v1/robots", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await expectProblem(await post({ name: "bad-1", folderKeys: [] }), 400, "invalid-robot");
    await expectProblem(await post({ name: "bad-2", folderKeys: ["00000000-0000-4000-8000-000000000000"] }), 400, "invalid-robot");
    await b.apiJson(`/api/v1/jobs/${inShared.key}/stop`, { method: "POST", json: { strategy: "Kill" } });
  });
});

describe("live events", () => {
  it("streams `jobs` events to a console session when jobs change", async () => {
    const s = await login("admin", "test-password");
    const controller = new AbortController();
    const res = await fetch(`${b.base}/api/v1/events`, { headers: { cookie: s.cookie }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const first = await reader.read();
    text += decoder.decode(first.value);
    expect(text).toContain(": connected");
    expect((await invoke(b, "echo", { live: true })).status).toBe(202);
    while (!/event: jobs\ndata: \{"at":"[^"]+"\}\n\n/.test(text)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    expect(text).toMatch(/event: jobs\ndata: \{"at":"[^"]+"\}\n\n/);
    controller.abort();
  });

  it("needs a credential that may read jobs", async () => {
    await expectProblem(await fetch(`${b.base}/api/v1/events`), 401, "unauthorized");
    const t = await b.apiJson("/api/v1/tokens", { method: "POST", json: { name: "no-jobs", scopes: ["OR.Settings"] } });
    await expectProblem(await bearer(t.token, "/api/v1/events"), 403, "insufficient-scope");
  });
});
