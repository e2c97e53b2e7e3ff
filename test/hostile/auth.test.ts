/**
 * Attack replays (issue 12): login throttling raced by concurrent attempts (finding 3), a
 * token minting a token that outlives it (finding 8), a signed wait URI outliving the
 * setting that allowed it, and a Host header reflected in Location (finding 11).
 */
import { systemClock } from "../../src/core/Clock.js";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD_CHECKS_QUEUED, PASSWORD_HASHES_AT_ONCE, passwordHashing } from "../../src/core/Users.js";
import { invoke, startTestBaton, type TestBaton } from "../helpers/baton.js";

let b: TestBaton;
/**
 * The core's clock: stopped while a burst of attempts arrives (however long a slow machine
 * takes to send them, the throttle's 1 s has not passed), and moved forward instead of
 * waiting out a throttle.
 */
let offsetMs = 0;
let frozenAt: number | null = null;
const now = () => frozenAt ?? Date.now() + offsetMs;
const freeze = () => { frozenAt = now(); };
const advance = (ms: number) => { if (frozenAt !== null) frozenAt += ms; else offsetMs += ms; };
/** runs on from the frozen time */
const thaw = () => { if (frozenAt !== null) offsetMs = frozenAt - Date.now(); frozenAt = null; };
beforeAll(async () => {
  // trustProxy: each test logs in "from" an address of its own (X-Forwarded-For), so that the
  // per-address throttle of one test does not reach another
  b = await startTestBaton({ trustProxy: true }, { clock: { now: () => new Date(now()), setTimeout: systemClock.setTimeout } });
});
afterAll(async () => { await b.close(); });

async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, any>> {
  const body = await res.json();
  expect({ status: res.status, body }).toMatchObject({ status, body: { status, code, type: "about:blank" } });
  expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
  return body;
}

function login(userName: string, password: string, address: string): Promise<Response> {
  return fetch(`${b.base}/api/v1/session`, {
    method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": address }, body: JSON.stringify({ userName, password }),
  });
}

async function createUser(name: string): Promise<void> {
  await b.apiJson("/api/v1/users", { method: "POST", json: { name, password: "correct-horse-1", roles: [{ role: "Viewer" }] } });
}

/** the answers' statuses, counted */
function tally(responses: Response[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of responses) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

async function expectThrottled(responses: Response[]): Promise<void> {
  for (const r of responses) {
    const body = await expectProblem(r, 429, "login-throttled");
    expect(body.detail).toMatch(/try again in \d+ s/);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  }
}

describe("login throttling under concurrency (finding 3)", () => {
  it("50 concurrent wrong passwords: 5 are checked, 45 answer 429; the right one waits, then gets in", async () => {
    await createUser("racer");
    const address = "198.51.100.3";
    freeze();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => login("racer", `wrong-password-${i}`, address))).finally(thaw);
    // every attempt is counted before its password is checked: exactly the 5 the policy allows are
    expect(tally(answers)).toEqual({ 401: 5, 429: 45 });
    for (const r of answers.filter((a) => a.status === 401)) await expectProblem(r, 401, "invalid-credentials");
    await expectThrottled(answers.filter((a) => a.status === 429));

    // the right password does not get past the throttle either
    freeze();
    try {
      const right = await login("racer", "correct-horse-1", address);
      await expectThrottled([right]);
      // once the wait is over (the clock moved, not waited for), it does
      advance(Number(right.headers.get("retry-after")) * 1000);
      const later = await login("racer", "correct-horse-1", address);
      expect(later.status).toBe(200);
      expect((await later.json()).user.name).toBe("racer");
    } finally {
      thaw();
    }
    // a success clears the name's count
    expect((await login("racer", "wrong-password", address)).status).toBe(401);
  });

  it("POST /session/password: 50 concurrent wrong current passwords, 5 checked, the rest 429", async () => {
    await createUser("changer");
    const address = "198.51.100.4";
    const session = await login("changer", "correct-horse-1", address);
    expect(session.status).toBe(200);
    const { csrfToken } = await session.json();
    const cookie = session.headers.get("set-cookie")!.split(";")[0]!;
    const change = (currentPassword: string) => fetch(`${b.base}/api/v1/session/password`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, "x-csrf-token": csrfToken, "x-forwarded-for": address },
      body: JSON.stringify({ currentPassword, newPassword: "correct-horse-2" }),
    });
    freeze();
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => change(`wrong-password-${i}`)));
      expect(tally(answers)).toEqual({ 403: 5, 429: 45 });
      for (const r of answers.filter((a) => a.status === 403)) await expectProblem(r, 403, "wrong-password");
      await expectThrottled(answers.filter((a) => a.status === 429));
      const right = await change("correct-horse-1");
      await expectThrottled([right]);
      advance(Number(right.headers.get("retry-after")) * 1000);
      expect((await change("correct-horse-1")).status).toBe(204);
    } finally {
      thaw();
    }
    expect((await login("changer", "correct-horse-2", address)).status).toBe(200);
  });

  it("the addresses of one IPv6 /64 count as one: a new address (and a new user name) per attempt does not escape the per-address limit", async () => {
    freeze();
    try {
      // 20 failures, each from its own address of 2001:db8:5:6::/64 and for its own (unknown) user name
      for (let i = 1; i <= 20; i++) await expectProblem(await login(`nobody-${i}`, "wrong-password", `2001:db8:5:6::${i.toString(16)}`), 401, "invalid-credentials");
      // the 21st, from yet another address of the block, waits
      await expectThrottled([await login("nobody-21", "wrong-password", "2001:db8:5:6:ffff::1")]);
      // another /64 is not held by it
      await expectProblem(await login("nobody-22", "wrong-password", "2001:db8:5:7::1"), 401, "invalid-credentials");
    } finally {
      thaw();
    }
  });

  it("with 2 password checks running and 32 waiting on the node, a login is refused at once (429 login-throttled, Retry-After 1), not queued, and not counted as a failure", async () => {
    await createUser("queued");
    const address = "198.51.100.9";
    expect(PASSWORD_CHECKS_QUEUED).toBe(32);
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    const holds = Array.from({ length: PASSWORD_HASHES_AT_ONCE + PASSWORD_CHECKS_QUEUED }, () => passwordHashing.run(() => released));
    try {
      expect([passwordHashing.active, passwordHashing.queued]).toEqual([2, 32]);
      const refused = await login("queued", "correct-horse-1", address);
      const body = await expectProblem(refused, 429, "login-throttled");
      expect(body.detail).toBe("This node is checking too many passwords at once; try again in 1 s.");
      expect(refused.headers.get("retry-after")).toBe("1");
    } finally {
      release();
      await Promise.all(holds);
    }
    // the refusal took nothing from the user's or the address's allowance: 5 wrong ones are still checked
    for (let i = 0; i < 5; i++) await expectProblem(await login("queued", `wrong-${i}`, address), 401, "invalid-credentials");
  });

  it("with 2 hashes running and 32 waiting on the node, a user write's new password is refused at once (429 password-hashing-busy, Retry-After 1) and nothing is saved; a write without a password goes through", async () => {
    await createUser("rehashed");
    const users = (await b.apiJson("/api/v1/users")).items as { id: string; name: string; roles: unknown[] }[];
    const user = users.find((u) => u.name === "rehashed")!;
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    const holds = Array.from({ length: PASSWORD_HASHES_AT_ONCE + PASSWORD_CHECKS_QUEUED }, () => passwordHashing.run(() => released));
    try {
      expect([passwordHashing.active, passwordHashing.queued]).toEqual([2, 32]);
      for (const refused of [
        await b.api("/api/v1/users", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "burst-1", password: "correct-horse-1", roles: [{ role: "Viewer" }] }) }),
        await b.api(`/api/v1/users/${user.id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ password: "another-horse-2", roles: [{ role: "Administrator" }] }) }),
      ]) {
        const body = await expectProblem(refused, 429, "password-hashing-busy");
        expect(body.detail).toBe("This node is hashing too many passwords at once; nothing was saved. Try again in 1 s.");
        expect(refused.headers.get("retry-after")).toBe("1");
      }
      // a body with faults is their 400 first, the hash never asked for
      const faulty = await b.api(`/api/v1/users/${user.id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ password: "another-horse-2", disabled: "yes" }) });
      await expectProblem(faulty, 400, "invalid-user");
      // no hash, no wait: a change of roles alone
      const roles = await b.api(`/api/v1/users/${user.id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ roles: [{ role: "Viewer" }] }) });
      expect(roles.status).toBe(200);
      expect([passwordHashing.active, passwordHashing.queued]).toEqual([2, 32]);
    } finally {
      release();
      await Promise.all(holds);
    }
    // nothing of the refused writes was kept: no user burst-1, the old password and roles
    expect(((await b.apiJson("/api/v1/users")).items as { name: string }[]).some((u) => u.name === "burst-1")).toBe(false);
    expect((await b.apiJson(`/api/v1/users/${user.id}`)).roles).toEqual([{ role: "Viewer", folderKey: null }]);
    expect((await login("rehashed", "correct-horse-1", "198.51.100.10")).status).toBe(200);
  });

  it("successful logins are not counted against their address", async () => {
    await createUser("regular");
    // more than the address allows failures for (20), one after another
    for (let i = 0; i < 25; i++) expect((await login("regular", "correct-horse-1", "198.51.100.5")).status).toBe(200);
  });
});

describe("a token's expiry is capped by its creator's (finding 8)", () => {
  const create = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => fetch(`${b.base}/api/v1/tokens`, {
    method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify(body),
  });

  it("a token created with an expiring token expires with it by default, and may not ask for later (or never)", async () => {
    const inAnHour = new Date(now() + 3600_000).toISOString();
    const parent = await b.apiJson("/api/v1/tokens", { method: "POST", json: { name: "expiring", scopes: ["OR.Users", "OR.Jobs"], expiresAt: inAnHour } });
    expect(parent.expiresAt).toBe(inAnHour);

    // no expiresAt: the creator's
    const child = await create(parent.token, { name: "child", scopes: ["OR.Jobs"] });
    expect(child.status).toBe(201);
    expect((await child.json()).expiresAt).toBe(inAnHour);

    // later, or never: 400 with the cap
    const later = new Date(Date.parse(inAnHour) + 1000).toISOString();
    for (const expiresAt of [later, null, "2999-01-01T00:00:00Z"]) {
      const refused = await expectProblem(await create(parent.token, { name: "forever", scopes: ["OR.Jobs"], expiresAt }), 400, "token-outlives-creator");
      expect(refused.maxExpiresAt).toBe(inAnHour);
    }

    // earlier or the same: as asked
    const sooner = new Date(Date.parse(inAnHour) - 60_000).toISOString();
    for (const expiresAt of [sooner, inAnHour]) {
      const ok = await create(parent.token, { name: "sooner", scopes: ["OR.Jobs"], expiresAt });
      expect(ok.status).toBe(201);
      expect((await ok.json()).expiresAt).toBe(expiresAt);
    }
    // the capped child cannot mint a longer-lived grandchild either
    const grandchildParent = await (await create(parent.token, { name: "middle", scopes: ["OR.Users"] })).json();
    await expectProblem(await create(grandchildParent.token, { name: "grandchild", scopes: ["OR.Users"], expiresAt: null }), 400, "token-outlives-creator");
  });

  it("a token that never expires, and a console session, may create tokens of any expiry", async () => {
    const fromToken = await create(b.token, { name: "ci", scopes: ["OR.Jobs"] });
    expect(fromToken.status).toBe(201);
    expect((await fromToken.json()).expiresAt).toBeNull();

    const session = await login("admin", "test-password", "198.51.100.6");
    expect(session.status).toBe(200);
    const { csrfToken } = await session.json();
    const fromConsole = await fetch(`${b.base}/api/v1/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: session.headers.get("set-cookie")!.split(";")[0]!, "x-csrf-token": csrfToken },
      body: JSON.stringify({ name: "from-console", scopes: ["OR.Jobs"], expiresAt: "2999-01-01T00:00:00.000Z" }),
    });
    expect(fromConsole.status).toBe(201);
    expect((await fromConsole.json()).expiresAt).toBe("2999-01-01T00:00:00.000Z");
  });
});

describe("signed wait URIs follow the setting as it is now (finding 11)", () => {
  it("switching syncRedirectsRequireAuth back on ends the signed URIs handed out before", async () => {
    await b.patchSettings({ syncRedirectsRequireAuth: false, longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
    try {
      const res = await invoke(b, "sleep", { seconds: 3, $callMode: "LongPolling" });
      expect(res.status).toBe(303);
      const location = res.headers.get("location")!;
      expect(location).toContain("sig=");
      // it works with no token while the setting allows it (303 again, or the result)
      expect([200, 303]).toContain((await fetch(location, { redirect: "manual" })).status);

      await b.patchSettings({ syncRedirectsRequireAuth: true });
      const refused = await fetch(location, { redirect: "manual" });
      await expectProblem(refused, 401, "unauthorized");
      expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
      // with a token, the same URI still waits
      const withToken = await fetch(location, { redirect: "manual", headers: { authorization: `Bearer ${b.token}` } });
      expect([200, 303]).toContain(withToken.status);
      await withToken.body?.cancel();
    } finally {
      await b.patchSettings({ syncRedirectsRequireAuth: true, longPollTimeoutSeconds: 50, syncMaxJobDurationSeconds: 900 });
    }
  });
});

interface RawAnswer { status: number; headers: IncomingHttpHeaders; body: string }

/** node:http, which, unlike fetch, sends the Host header it is given */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawAnswer> {
  const u = new URL(b.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("the Host header is checked, not reflected (finding 11)", () => {
  const path = () => new URL(b.invokeUrl("echo")).pathname;
  const invokeWithHost = (headers: Record<string, string>, auth = true) =>
    raw("POST", path(), { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${b.token}` } : {}), ...headers }, JSON.stringify({ $callMode: "AsyncRequestReply" }));

  it("a malformed Host is 400 invalid-host before anything else (no token needed to be refused, no job made)", async () => {
    const jobsBefore = (await b.apiJson("/api/v1/jobs?limit=1000")).items.length;
    for (const host of ["evil.example/phish?", "evil.example\"><script>", "evil.example:80x", "evil.example:99999", "[not-ipv6]:80", "a..b", "evil.example@other", "-lead.example"]) {
      for (const auth of [true, false]) {
        const res = await invokeWithHost({ host }, auth);
        expect(res.status, host).toBe(400);
        expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
        expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: "invalid-host", type: "about:blank" });
        expect(res.headers.location).toBeUndefined();
        expect(res.body).not.toContain("evil");
      }
    }
    // behind the trusted proxy, what it forwards is checked the same way
    const forwarded = await invokeWithHost({ host: "baton.internal", "x-forwarded-host": "evil.example/x" });
    expect(JSON.parse(forwarded.body)).toMatchObject({ status: 400, code: "invalid-host" });
    const proto = await invokeWithHost({ host: "baton.internal", "x-forwarded-proto": "javascript" });
    expect(JSON.parse(proto.body)).toMatchObject({ status: 400, code: "invalid-host" });
    expect((await b.apiJson("/api/v1/jobs?limit=1000")).items.length).toBe(jobsBefore);
  });

  it("a well-formed Host (name, IPv4, [IPv6], with a port) is the origin of Location and invokeUrl", async () => {
    for (const host of ["baton.internal", "baton.internal:8443", "203.0.113.7:8080", "[::1]:8080", "[2001:db8::1]", "baton_svc:8080"]) {
      const res = await invokeWithHost({ host });
      expect(res.status, res.body).toBe(202);
      expect(res.headers.location).toMatch(new RegExp(`^http://${host.replace(/[[\].]/g, "\\$&")}/`));
      const triggers = await raw("GET", `${new URL(b.base).pathname}/api/v1/triggers`, { authorization: `Bearer ${b.token}`, host });
      expect(JSON.parse(triggers.body).items[0].invokeUrl.startsWith(`http://${host}/`)).toBe(true);
    }
    const forwarded = await invokeWithHost({ host: "baton.internal", "x-forwarded-host": "public.example", "x-forwarded-proto": "https" });
    expect(forwarded.headers.location).toMatch(/^https:\/\/public\.example\//);
  });
});
