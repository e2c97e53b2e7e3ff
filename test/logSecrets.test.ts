import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, type BatonServer } from "../src/http/server.js";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";
import { mask, scanText } from "./helpers/logCapture.js";

/**
 * Secrets in logs (issue 5): the scanner the end-of-run teardown uses (test/globalSetup.ts)
 * finds them, and a real server logging at info does not print them.
 */

describe("the log scanner", () => {
  const pat = `baton_pat_${"A1b2C3d4".repeat(5)}`;

  it("reports a log line with a token, with the file, the line and the secret masked", () => {
    const log = `{"level":30,"time":1,"msg":"ok"}\n{"level":30,"time":2,"msg":"Authorization: Bearer ${pat}"}\n`;
    const findings = scanText("server-1.log", log);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ file: "server-1.log", line: 2, kind: "personal access token" });
    expect(findings[0]!.text).not.toContain(pat);
    expect(findings[0]!.text).toContain(mask(pat));
  });

  it("reports every format: robot keys, client secrets, JWTs, session cookies, test passwords, recorded values", () => {
    const lines = [
      `robot key baton_rk_${"x".repeat(43)}`,
      `secret baton_cs_${"y".repeat(43)}`,
      "jwt eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiYXRvbl9hcHAifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg",
      "cookie: baton_session=abcdefghijklmnop",
      'login {"password":"test-password"}',
      "an opaque value s3cr3t-recorded-value in a message",
    ];
    const findings = scanText("server-2.log", lines.join("\n"), ["s3cr3t-recorded-value"]);
    expect(findings.map((f) => f.kind)).toEqual(["robot key", "client secret", "JWT", "session cookie", "test password", "recorded secret"]);
    expect(findings.map((f) => f.line)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const f of findings) expect(f.text).not.toMatch(/baton_rk_x{20}|baton_cs_y{20}|abcdefghijklmnop|test-password|s3cr3t-recorded-value/);
  });

  it("finds nothing in a clean log", () => {
    const log = [
      '{"level":30,"time":1,"reqId":"r1","req":{"method":"GET","url":"/default/DefaultTenant/orchestrator_/api/v1/jobs?limit=5&token=[redacted]"},"msg":"incoming request"}',
      '{"level":30,"time":2,"reqId":"r1","res":{"statusCode":401},"responseTime":1.2,"msg":"request completed"}',
      "WWW-Authenticate: Bearer realm=\"baton\"",
      "baton_pat_ (prefix only)",
    ].join("\n");
    expect(scanText("server-3.log", log, ["s3cr3t-recorded-value"])).toEqual([]);
  });

  it("reads a child's stderr and its JSON log lines, not what a command shows its user on purpose", () => {
    const banner = `Baton is running at http://127.0.0.1:1\n  admin token: ${pat}`;
    const child = `### baton pid=1 stdout\n${banner}\n{"level":40,"time":3,"msg":"warned ${pat}"}\n### baton pid=1 stderr\nerror: ${pat}\n`;
    expect(scanText("children-1.log", child).map((f) => f.line)).toEqual([4, 6]);
  });
});

describe.each(["json", "human"] as const)("a server logging at info (format %s)", (format) => {
  let b: TestBaton;
  let server: BatonServer;
  let url: string;
  const lines: string[] = [];

  beforeAll(async () => {
    b = await startTestBaton();
    server = buildServer({ baton: b.baton, logger: { level: "info", format, stream: { write: (line) => { lines.push(line); } } } });
    await server.app.listen({ port: 0, host: "127.0.0.1" });
    const address = server.app.server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await server?.app.close();
    await b?.close();
  });

  it("prints no bearer token, query credential, signature, cookie, password or client secret", async () => {
    const base = `${url}/default/DefaultTenant/orchestrator_`;
    const created = await b.apiJson("/api/v1/tokens", { method: "POST", json: { name: "logged", scopes: ["OR.Jobs", "OR.Execution", "OR.Settings"] } });
    const pat: string = created.token;
    const bearer = { authorization: `Bearer ${pat}` };
    const secrets = [pat, b.token, "test-password", "wrong-password-42", "hunter2-argument"];

    expect((await fetch(`${base}/api/v1/jobs`, { headers: bearer })).status).toBe(200);
    expect((await fetch(`${base}/api/v1/jobs?limit=5&token=${pat}&access_token=${pat}`, { headers: bearer })).status).toBe(200);
    expect((await fetch(`${base}/api/v1/jobs`, { headers: { authorization: `Bearer ${pat}x` } })).status).toBe(401);
    expect((await fetch(`${base}/api/v1/jobs`, { headers: { ...bearer, cookie: `baton_session=${pat.slice(10)}` } })).status).toBe(200);

    // a failed and a good console login
    const login = (password: string) => fetch(`${base}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName: "admin", password }) });
    expect((await login("wrong-password-42")).status).toBe(401);
    const good = await login("test-password");
    expect(good.status).toBe(200);
    const session = /baton_session=([^;]+)/.exec(good.headers.get("set-cookie") ?? "")![1]!;
    secrets.push(session);
    expect((await fetch(`${base}/api/v1/session`, { headers: { cookie: `baton_session=${session}` } })).status).toBe(200);

    // invocation arguments in a query string, and a signed wait URI (syncRedirectsRequireAuth false)
    await b.patchSettings({ syncRedirectsRequireAuth: false, longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name: "NobodyRunsThis" } });
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, { method: "POST", json: { name: "q", slug: "logged-get", verb: "GET", processName: "NobodyRunsThis", callMode: "LongPolling" } });
    const invoked = await fetch(`${base}/t/${b.sharedKey}/logged-get?password=hunter2-argument&n=1`, { headers: bearer, redirect: "manual" });
    expect(invoked.status).toBe(303);
    const wait = invoked.headers.get("location")!;
    const sig = new URL(wait).searchParams.get("sig")!;
    secrets.push(sig);
    expect((await fetch(wait, { redirect: "manual" })).status).toBe(303);

    // the OAuth token endpoint: a client secret in the form body, good and bad
    const app = await (await fetch(`${url}/default/api/v1/external-apps`, {
      method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "logged-app", tenant: "DefaultTenant", scopes: ["OR.Jobs"] }),
    })).json();
    secrets.push(app.clientSecret);
    const tokenAt = (secret: string) => fetch(`${url}/default/identity_/connect/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: secret }).toString(),
    });
    expect((await tokenAt(`${app.clientSecret}x`)).status).toBe(401);
    const issued = await tokenAt(app.clientSecret);
    expect(issued.status).toBe(200);
    const jwt = (await issued.json()).access_token as string;
    secrets.push(jwt);
    expect((await fetch(`${base}/api/v1/jobs?access_token=${jwt}`, { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(200);

    const log = lines.join("");
    // it did log the requests, at info, with their (redacted) URLs: JSON lines, or one human line per request
    if (format === "json") expect(log).toContain('"msg":"request completed"');
    else {
      expect(log).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}GET \/default\/DefaultTenant\/orchestrator_\/api\/v1\/jobs\?limit=5&token=\[redacted\]&access_token=\[redacted\] 200 \d+ ms$/m);
      expect(log).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}console login refused userName="admin" address="127\.0\.0\.1"/m);
      expect(log).not.toContain("{");
    }
    expect(log).toContain("/api/v1/jobs?limit=5&token=[redacted]&access_token=[redacted]");
    expect(log).toContain("/wait?exp=");
    expect(log).toContain("sig=[redacted]");
    expect(log).toContain("logged-get?password=[redacted]&n=[redacted]");
    expect(log).toContain("console login refused");
    for (const secret of secrets) expect(log.includes(secret), `a secret (${mask(secret)}) in the log`).toBe(false);
    expect(scanText("server.log", log, secrets)).toEqual([]);
  });
});
