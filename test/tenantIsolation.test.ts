import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSocketlessBaton, type TestBaton } from "./helpers/baton.js";

/**
 * Tenant isolation (SPEC §1, issue 5) as a property: random resources in two tenants, then
 * random cross-tenant calls, each refused with an exact status, and neither tenant changed
 * by them. Two kinds of cross-tenant call:
 * - `foreignCred`: a credential of tenant T (PAT, OAuth access token, robot key) on the
 *   victim V's URL with V's ids: 401, whatever the route (the credential is not valid there);
 * - `foreignId`: T's own credential on T's URL with an id of V: exactly what an id that
 *   does not exist gets (404 on the management API and the invocation URIs; the robot
 *   protocol's documented answers for a session or job that is not the caller's).
 * The bootstrap token is org-wide and is used only to set up tenants and external apps.
 */

const ADMIN_SCOPES = ["OR.Jobs", "OR.Execution", "OR.Folders", "OR.Robots", "OR.Settings", "OR.Users", "OR.Audit"];
const VERBS = ["GET", "POST", "PUT", "DELETE"] as const;
const CALL_MODES = ["AsyncRequestReply", "FireAndForget", "LongPolling"] as const;

type Verb = (typeof VERBS)[number];
type CredKind = "pat" | "oauth" | "robot";

interface Tenant {
  name: string;
  base: string;
  pat: string;
  patId: string;
  oauth: string;
  clientId: string;
  robotKey: string;
  robotId: string;
  /** what the test created in the tenant (it only grows: no cross-tenant call may remove anything) */
  folders: string[];
  processes: { folderKey: string; name: string }[];
  triggers: { id: string; folderKey: string; slug: string; verb: Verb }[];
  jobs: string[];
  /** jobs claimed by a session of the tenant's own robot (Running) */
  running: { jobKey: string; sessionId: string }[];
  sessions: string[];
  /** a signed wait URI (syncRedirectsRequireAuth false) of one of its jobs */
  signedWait: string;
}

let b: TestBaton;
let orgUrl: string;
let tenants: [Tenant, Tenant];
/** routes that another engineer is adding: covered once they answer */
let hasRotateRoute = false;
let hasUsersRoute = false;
let counter = 0;
const unique = () => `${++counter}`;

interface Answer { status: number; body: any; text: string }

async function call(url: string, method: string, bearer: string | null, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await b.fetch(url, { method, headers, redirect: "manual", body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  return { status: res.status, body: parsed, text };
}

/** a call with the tenant's own PAT that must succeed */
async function own(t: Tenant, method: string, path: string, body?: unknown, expected = [200, 201, 202, 204]): Promise<any> {
  const a = await call(path.startsWith("http") ? path : `${t.base}${path}`, method, t.pat, body);
  if (!expected.includes(a.status)) throw new Error(`${t.name} ${method} ${path}: ${a.status} ${a.text}`);
  return a.body;
}

async function setUpTenant(name: string): Promise<Tenant> {
  if (name !== "DefaultTenant") {
    const res = await call(`${orgUrl}/api/v1/tenants`, "POST", b.token, { name });
    expect(res.status, res.text).toBe(201);
  }
  const base = `${orgUrl}/${name}/orchestrator_`;
  // a PAT created through the API is bound to its tenant (the bootstrap token is not)
  const pat = await call(`${base}/api/v1/tokens`, "POST", b.token, { name: `iso-${name}`, scopes: ADMIN_SCOPES });
  expect(pat.status, pat.text).toBe(201);
  const robot = await call(`${base}/api/v1/robots`, "POST", b.token, { name: `iso-robot-${name}` });
  expect(robot.status, robot.text).toBe(201);
  const app = await call(`${orgUrl}/api/v1/external-apps`, "POST", b.token, { name: `iso-app-${name}`, tenant: name, scopes: ADMIN_SCOPES });
  expect(app.status, app.text).toBe(201);
  const tokenRes = await b.fetch(`${orgUrl}/identity_/connect/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: app.body.clientId, client_secret: app.body.clientSecret }).toString(),
  });
  expect(tokenRes.status).toBe(200);
  const t: Tenant = {
    name, base, pat: pat.body.token, patId: pat.body.id, oauth: (await tokenRes.json()).access_token, clientId: app.body.clientId,
    robotKey: robot.body.key, robotId: robot.body.id, folders: [], processes: [], triggers: [], jobs: [], running: [], sessions: [], signedWait: "",
  };
  // the OAuth token works in its own tenant
  expect((await call(`${base}/api/v1/folders`, "GET", t.oauth)).status).toBe(200);
  const shared = (await own(t, "GET", "/api/v1/folders")).items.find((f: { name: string }) => f.name === "Shared").key as string;
  t.folders.push(shared);
  // a signed wait URI: LongPolling with a one-second wait answers 303 to it
  await own(t, "PATCH", "/api/v1/settings", { syncRedirectsRequireAuth: false, longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
  await own(t, "POST", `/api/v1/folders/${shared}/processes`, { name: "Waiter" });
  t.processes.push({ folderKey: shared, name: "Waiter" });
  const trigger = await own(t, "POST", `/api/v1/folders/${shared}/triggers`, { name: "waiter", slug: `waiter-${name}`, verb: "POST", processName: "Waiter", callMode: "LongPolling" });
  t.triggers.push({ id: trigger.id, folderKey: shared, slug: trigger.slug, verb: "POST" });
  const lp = await b.fetch(trigger.invokeUrl, { method: "POST", redirect: "manual", headers: { authorization: `Bearer ${t.pat}` } });
  expect(lp.status).toBe(303);
  t.signedWait = lp.headers.get("location")!;
  expect(t.signedWait).toMatch(/\/wait\?exp=\d+&sig=/);
  t.jobs.push(new URL(t.signedWait).pathname.split("/").at(-2)!);
  // and one Running job, held by a session of the tenant's own robot
  await claimFor(t, ["Waiter"]);
  return t;
}

/** opens a session of the tenant's robot serving `processes` and claims one job (Running from then on) */
async function claimFor(t: Tenant, processes: string[]): Promise<void> {
  const session = await call(`${t.base}/api/robot/v1/sessions`, "POST", t.robotKey, { processes, slots: 1, robotName: `iso-${t.name}` });
  expect(session.status, session.text).toBe(201);
  t.sessions.push(session.body.sessionId);
  const claim = await call(`${t.base}/api/robot/v1/sessions/${session.body.sessionId}/claim`, "POST", t.robotKey, { max: 1, waitSeconds: 0 });
  expect(claim.status, claim.text).toBe(200);
  for (const job of claim.body.jobs) t.running.push({ jobKey: job.key, sessionId: session.body.sessionId });
}

beforeAll(async () => {
  // no demo robot (it would run the jobs), and leases long enough that no session expires during the file
  b = await startSocketlessBaton({ leaseSeconds: 600, heartbeatSeconds: 5 }, { demo: false });
  orgUrl = `${b.url}/default`;
  tenants = [await setUpTenant("DefaultTenant"), await setUpTenant("IsolationB")];
  const rotate = await call(`${tenants[0].base}/api/v1/robots/${randomUUID()}/rotate`, "POST", tenants[0].pat);
  hasRotateRoute = rotate.status !== 404 || rotate.body?.code !== "route-not-found";
  hasUsersRoute = (await call(`${tenants[0].base}/api/v1/users`, "GET", tenants[0].pat)).status === 200;
}, 60_000);
afterAll(async () => { await b?.close(); });

// ---- the routes, as templates over the victim's ids

interface Target {
  folderKey: string;
  process: { folderKey: string; name: string };
  trigger: { id: string; folderKey: string; slug: string; verb: Verb };
  jobKey: string;
  running: { jobKey: string; sessionId: string } | undefined;
  sessionId: string;
  tokenId: string;
  robotId: string;
  clientId: string;
}

interface Request { method: string; path: string; body?: unknown }
/** T's own answer, with an id of V on T's URL */
type ForeignIdCheck = (a: Answer, v: Target) => void;

interface Template {
  name: string;
  auth: "api" | "robot";
  build(v: Target, attacker: Tenant): Request | null;
  /** absent: the route takes no id of another tenant, so only foreignCred applies */
  foreignId?: ForeignIdCheck;
  enabled?: () => boolean;
}

const notFound: ForeignIdCheck = (a) => {
  expect(a.status, a.text).toBe(404);
  expect(a.body.code).toMatch(/-not-found$/);
  expect(a.body.code).not.toBe("route-not-found");
};
const emptyList: ForeignIdCheck = (a) => {
  expect(a.status, a.text).toBe(200);
  expect(a.body.items).toEqual([]);
};
/** a list of the attacker's own tenant: none of the victim's ids in it */
const noneOf = (pick: (v: Target) => string[]): ForeignIdCheck => (a, v) => {
  expect(a.status, a.text).toBe(200);
  for (const id of pick(v)) expect(a.text).not.toContain(id);
};
/** the robot protocol's answer for a job the session does not hold (a key that does not exist gets the same) */
const notHeld: ForeignIdCheck = (a) => {
  expect(a.status, a.text).toBe(409);
  expect(a.body.code).toBe("job-not-held");
};
const enc = encodeURIComponent;
const runningKey = (v: Target) => v.running?.jobKey ?? v.jobKey;
const runningSession = (v: Target) => v.running?.sessionId ?? v.sessionId;
const ownSession = (t: Tenant) => t.sessions.at(-1)!;

const templates: Template[] = [
  // folders
  { name: "GET folders", auth: "api", build: () => ({ method: "GET", path: "/api/v1/folders" }), foreignId: noneOf((v) => [v.folderKey]) },
  { name: "POST folders", auth: "api", build: () => ({ method: "POST", path: "/api/v1/folders", body: { name: `intruder-${unique()}` } }) },
  { name: "GET folder", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/folders/${v.folderKey}` }), foreignId: notFound },
  { name: "PATCH folder", auth: "api", build: (v) => ({ method: "PATCH", path: `/api/v1/folders/${v.folderKey}`, body: { name: `renamed-${unique()}` } }), foreignId: notFound },
  { name: "DELETE folder", auth: "api", build: (v) => ({ method: "DELETE", path: `/api/v1/folders/${v.folderKey}` }), foreignId: notFound },
  // processes
  { name: "GET processes", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/folders/${v.folderKey}/processes` }), foreignId: notFound },
  { name: "POST process", auth: "api", build: (v) => ({ method: "POST", path: `/api/v1/folders/${v.folderKey}/processes`, body: { name: `Intruder${unique()}` } }), foreignId: notFound },
  { name: "GET process", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/folders/${v.process.folderKey}/processes/${enc(v.process.name)}` }), foreignId: notFound },
  { name: "PATCH process", auth: "api", build: (v) => ({ method: "PATCH", path: `/api/v1/folders/${v.process.folderKey}/processes/${enc(v.process.name)}`, body: { description: "pwned" } }), foreignId: notFound },
  { name: "DELETE process", auth: "api", build: (v) => ({ method: "DELETE", path: `/api/v1/folders/${v.process.folderKey}/processes/${enc(v.process.name)}` }), foreignId: notFound },
  // triggers
  { name: "GET folder triggers", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/folders/${v.folderKey}/triggers` }), foreignId: notFound },
  {
    name: "POST trigger", auth: "api", foreignId: notFound,
    build: (v) => ({ method: "POST", path: `/api/v1/folders/${v.process.folderKey}/triggers`, body: { name: "intruder", slug: `intruder-${unique()}`, verb: "POST", processName: v.process.name, callMode: "FireAndForget" } }),
  },
  { name: "GET triggers by folder", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/triggers?folderKey=${v.folderKey}` }), foreignId: emptyList },
  { name: "GET triggers", auth: "api", build: () => ({ method: "GET", path: "/api/v1/triggers" }), foreignId: noneOf((v) => [v.trigger.id]) },
  { name: "GET trigger", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/triggers/${v.trigger.id}` }), foreignId: notFound },
  { name: "PATCH trigger", auth: "api", build: (v) => ({ method: "PATCH", path: `/api/v1/triggers/${v.trigger.id}`, body: { enabled: false, defaultArguments: { pwned: true } } }), foreignId: notFound },
  { name: "DELETE trigger", auth: "api", build: (v) => ({ method: "DELETE", path: `/api/v1/triggers/${v.trigger.id}` }), foreignId: notFound },
  // invocation and its follow-up URIs
  {
    name: "invoke", auth: "api", foreignId: notFound,
    build: (v) => ({ method: v.trigger.verb, path: `/t/${v.trigger.folderKey}/${v.trigger.slug}`, body: v.trigger.verb === "POST" || v.trigger.verb === "PUT" ? { $callMode: "FireAndForget" } : undefined }),
  },
  { name: "job status", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/jobs/${v.jobKey}/status` }), foreignId: notFound },
  { name: "job output", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/jobs/${v.jobKey}/output` }), foreignId: notFound },
  { name: "job wait", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/jobs/${v.jobKey}/wait` }), foreignId: notFound },
  // jobs
  { name: "GET jobs", auth: "api", build: () => ({ method: "GET", path: "/api/v1/jobs?limit=1000" }), foreignId: noneOf((v) => [v.jobKey, runningKey(v)]) },
  { name: "GET jobs by folder", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/jobs?folderKey=${v.folderKey}` }), foreignId: emptyList },
  { name: "GET jobs by trigger", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/jobs?triggerId=${v.trigger.id}` }), foreignId: emptyList },
  { name: "POST job", auth: "api", build: (v) => ({ method: "POST", path: "/api/v1/jobs", body: { folderKey: v.process.folderKey, processName: v.process.name } }), foreignId: notFound },
  { name: "GET job", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/jobs/${v.jobKey}` }), foreignId: notFound },
  { name: "GET job logs", auth: "api", build: (v) => ({ method: "GET", path: `/api/v1/jobs/${runningKey(v)}/logs` }), foreignId: notFound },
  { name: "stop job", auth: "api", build: (v) => ({ method: "POST", path: `/api/v1/jobs/${runningKey(v)}/stop`, body: { strategy: "Kill" } }), foreignId: notFound },
  // robots and their keys
  { name: "GET robots", auth: "api", build: () => ({ method: "GET", path: "/api/v1/robots" }), foreignId: noneOf((v) => [v.robotId]) },
  { name: "POST robot", auth: "api", build: () => ({ method: "POST", path: "/api/v1/robots", body: { name: `intruder-${unique()}` } }) },
  { name: "revoke robot", auth: "api", build: (v) => ({ method: "DELETE", path: `/api/v1/robots/${v.robotId}` }), foreignId: notFound },
  { name: "rotate robot", auth: "api", enabled: () => hasRotateRoute, build: (v) => ({ method: "POST", path: `/api/v1/robots/${v.robotId}/rotate` }), foreignId: notFound },
  { name: "GET sessions", auth: "api", build: () => ({ method: "GET", path: "/api/v1/robots/sessions" }), foreignId: noneOf((v) => [v.sessionId, runningSession(v)]) },
  // tokens, users, settings, audit
  { name: "GET tokens", auth: "api", build: () => ({ method: "GET", path: "/api/v1/tokens" }), foreignId: noneOf((v) => [v.tokenId]) },
  { name: "POST token", auth: "api", build: () => ({ method: "POST", path: "/api/v1/tokens", body: { name: "intruder", scopes: ["OR.Jobs"] } }) },
  { name: "revoke token", auth: "api", build: (v) => ({ method: "DELETE", path: `/api/v1/tokens/${v.tokenId}` }), foreignId: notFound },
  { name: "GET users", auth: "api", enabled: () => hasUsersRoute, build: () => ({ method: "GET", path: "/api/v1/users" }) },
  { name: "GET settings", auth: "api", build: () => ({ method: "GET", path: "/api/v1/settings" }) },
  { name: "PATCH settings", auth: "api", build: () => ({ method: "PATCH", path: "/api/v1/settings", body: { longPollTimeoutSeconds: 70, corsAllowedOrigins: ["*"] } }) },
  { name: "GET audit", auth: "api", build: () => ({ method: "GET", path: "/api/v1/audit?limit=1000" }), foreignId: noneOf((v) => [v.folderKey, v.trigger.id, v.tokenId, v.robotId]) },
  // the robot protocol
  { name: "open session", auth: "robot", build: (v) => ({ method: "POST", path: "/api/robot/v1/sessions", body: { processes: [v.process.name], slots: 1 } }) },
  { name: "claim", auth: "robot", build: (v) => ({ method: "POST", path: `/api/robot/v1/sessions/${v.sessionId}/claim`, body: { max: 10, waitSeconds: 0 } }), foreignId: notFound },
  { name: "heartbeat", auth: "robot", build: (v) => ({ method: "POST", path: `/api/robot/v1/sessions/${runningSession(v)}/heartbeat`, body: { jobs: { [runningKey(v)]: "pwned" } } }), foreignId: notFound },
  { name: "logs", auth: "robot", build: (v) => ({ method: "POST", path: `/api/robot/v1/sessions/${runningSession(v)}/jobs/${runningKey(v)}/logs`, body: { lines: [{ message: "pwned" }] } }), foreignId: notFound },
  { name: "complete", auth: "robot", build: (v) => ({ method: "POST", path: `/api/robot/v1/sessions/${runningSession(v)}/jobs/${runningKey(v)}/complete`, body: { outputArguments: { pwned: true } } }), foreignId: notFound },
  { name: "fail", auth: "robot", build: (v) => ({ method: "POST", path: `/api/robot/v1/sessions/${runningSession(v)}/jobs/${runningKey(v)}/fail`, body: { error: { code: "X", message: "pwned" } } }), foreignId: notFound },
  { name: "stopped", auth: "robot", build: (v) => ({ method: "POST", path: `/api/robot/v1/sessions/${runningSession(v)}/jobs/${runningKey(v)}/stopped` }), foreignId: notFound },
  { name: "results", auth: "robot", build: (v) => ({ method: "POST", path: `/api/robot/v1/sessions/${runningSession(v)}/results`, body: { results: [{ jobKey: runningKey(v), outcome: "complete", outputArguments: {} }] } }), foreignId: notFound },
  { name: "close session", auth: "robot", build: (v) => ({ method: "DELETE", path: `/api/robot/v1/sessions/${runningSession(v)}` }), foreignId: notFound },
  // the attacker's own live session, with the victim's job keys
  { name: "own session: complete", auth: "robot", build: (v, t) => ({ method: "POST", path: `/api/robot/v1/sessions/${ownSession(t)}/jobs/${runningKey(v)}/complete`, body: { outputArguments: {} } }), foreignId: notHeld },
  { name: "own session: fail", auth: "robot", build: (v, t) => ({ method: "POST", path: `/api/robot/v1/sessions/${ownSession(t)}/jobs/${runningKey(v)}/fail`, body: { error: { code: "X", message: "pwned" } } }), foreignId: notHeld },
  { name: "own session: stopped", auth: "robot", build: (v, t) => ({ method: "POST", path: `/api/robot/v1/sessions/${ownSession(t)}/jobs/${runningKey(v)}/stopped` }), foreignId: notHeld },
  { name: "own session: logs", auth: "robot", build: (v, t) => ({ method: "POST", path: `/api/robot/v1/sessions/${ownSession(t)}/jobs/${runningKey(v)}/logs`, body: { lines: [{ message: "pwned" }] } }), foreignId: notHeld },
  {
    name: "own session: results", auth: "robot",
    build: (v, t) => ({ method: "POST", path: `/api/robot/v1/sessions/${ownSession(t)}/results`, body: { results: [{ jobKey: runningKey(v), outcome: "fail", error: { code: "X", message: "pwned" } }, { jobKey: v.jobKey, outcome: "stopped" }] } }),
    foreignId: (a, v) => {
      expect(a.status, a.text).toBe(200);
      expect(a.body.results).toEqual([
        { jobKey: runningKey(v), status: 409, code: "job-not-held", detail: expect.any(String) },
        { jobKey: v.jobKey, status: 409, code: "job-not-held", detail: expect.any(String) },
      ]);
    },
  },
  {
    name: "own session: heartbeat", auth: "robot",
    build: (v, t) => ({ method: "POST", path: `/api/robot/v1/sessions/${ownSession(t)}/heartbeat`, body: { jobs: { [runningKey(v)]: "pwned" } } }),
    foreignId: (a, v) => {
      expect(a.status, a.text).toBe(200);
      expect(a.body.lost).toEqual([runningKey(v)]);
    },
  },
];

/** the organization's routes: tenant credentials are not organization credentials */
const orgTemplates: { name: string; build(v: Target): Request }[] = [
  { name: "GET external apps", build: () => ({ method: "GET", path: "/api/v1/external-apps" }) },
  { name: "rotate app secret", build: (v) => ({ method: "POST", path: `/api/v1/external-apps/${v.clientId}/secret` }) },
  { name: "revoke app", build: (v) => ({ method: "DELETE", path: `/api/v1/external-apps/${v.clientId}` }) },
  { name: "GET tenants", build: () => ({ method: "GET", path: "/api/v1/tenants" }) },
  { name: "POST tenant", build: () => ({ method: "POST", path: "/api/v1/tenants", body: { name: `Intruder${unique()}` } }) },
];

const credential = (t: Tenant, kind: CredKind) => (kind === "pat" ? t.pat : kind === "oauth" ? t.oauth : t.robotKey);

function target(v: Tenant, pick: number): Target {
  const at = <T>(list: T[]) => list[pick % list.length]!;
  return {
    folderKey: at(v.folders), process: at(v.processes), trigger: at(v.triggers), jobKey: at(v.jobs), running: v.running.length ? at(v.running) : undefined,
    sessionId: at(v.sessions), tokenId: v.patId, robotId: v.robotId, clientId: v.clientId,
  };
}

interface Op { template: number; mode: "foreignCred" | "foreignId" | "org" | "signedWait"; cred: CredKind; victim: 0 | 1; pick: number }

async function runOp(op: Op): Promise<void> {
  const v = tenants[op.victim];
  const t = tenants[1 - op.victim]!;
  const tv = target(v, op.pick);
  if (op.mode === "signedWait") {
    // the victim's signed wait URI, moved to the attacker's tenant: the signature covers the tenant
    const moved = v.signedWait.replace(v.base, t.base);
    const a = await call(moved, "GET", null);
    expect(a.status, `signed wait URI on the other tenant: ${a.text}`).toBe(401);
    const withToken = await call(moved, "GET", credential(t, op.cred === "robot" ? "pat" : op.cred));
    expect(withToken.status, withToken.text).toBe(401);
    return;
  }
  if (op.mode === "org") {
    const tpl = orgTemplates[op.template % orgTemplates.length]!;
    const req = tpl.build(tv);
    const a = await call(`${orgUrl}${req.path}`, req.method, credential(t, op.cred), req.body);
    // a tenant-bound PAT is a valid credential of the organization's user, who is no organization administrator through it
    if (op.cred === "pat") {
      expect(a.status, `${tpl.name} with ${op.cred}: ${a.text}`).toBe(403);
      expect(a.body.code).toBe("not-org-admin");
    } else {
      expect(a.status, `${tpl.name} with ${op.cred}: ${a.text}`).toBe(401);
    }
    return;
  }
  const usable = templates.filter((x) => (x.enabled?.() ?? true) && (op.mode === "foreignCred" || x.foreignId));
  const tpl = usable[op.template % usable.length]!;
  const req = tpl.build(tv, t);
  if (!req) return;
  if (op.mode === "foreignCred") {
    const a = await call(`${v.base}${req.path}`, req.method, credential(t, op.cred), req.body);
    expect(a.status, `${tpl.name} on ${v.name} with ${t.name}'s ${op.cred}: ${a.text}`).toBe(401);
    expect(a.body.code).toBe("unauthorized");
    return;
  }
  const cred = tpl.auth === "robot" ? t.robotKey : op.cred === "oauth" ? t.oauth : t.pat;
  const a = await call(`${t.base}${req.path}`, req.method, cred, req.body);
  try {
    tpl.foreignId!(a, tv);
  } catch (err) {
    throw new Error(`${tpl.name} on ${t.name} with an id of ${v.name}: ${(err as Error).message}`);
  }
}

/** A claim by a session of the attacker's robot that serves the victim's process names (absent from its own tenant) gets none of the victim's jobs. */
async function claimAcross(victim: 0 | 1): Promise<void> {
  const v = tenants[victim];
  const t = tenants[1 - victim]!;
  const own = new Set(t.processes.map((p) => p.name));
  const names = [...new Set(v.processes.map((p) => p.name))].filter((n) => !own.has(n));
  if (names.length === 0) return;
  const s = await call(`${t.base}/api/robot/v1/sessions`, "POST", t.robotKey, { processes: names, slots: 100 });
  expect(s.status, s.text).toBe(201);
  const claim = await call(`${t.base}/api/robot/v1/sessions/${s.body.sessionId}/claim`, "POST", t.robotKey, { max: 100, waitSeconds: 0 });
  expect(claim.status, claim.text).toBe(200);
  expect(claim.body.jobs).toEqual([]);
  expect((await call(`${t.base}/api/robot/v1/sessions/${s.body.sessionId}`, "DELETE", t.robotKey)).status).toBe(204);
}

// ---- what a tenant is: read with its own token

const VOLATILE = /^(lastUsedAt|leaseExpiresAt|lastHeartbeatAt)$/;
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).filter(([k]) => !VOLATILE.test(k)).map(([k, x]) => [k, stable(x)]));
  return value;
}

async function snapshot(t: Tenant, folderKeys: string[], jobKeys: string[]): Promise<unknown> {
  const get = (path: string) => own(t, "GET", path);
  const folders = [...new Set(folderKeys)];
  const [list, triggers, jobs, tokens, robots, sessions, settings, audit, apps, users, perFolder, logs] = await Promise.all([
    get("/api/v1/folders"), get("/api/v1/triggers"), get("/api/v1/jobs?limit=1000"), get("/api/v1/tokens"), get("/api/v1/robots"),
    get("/api/v1/robots/sessions"), get("/api/v1/settings"), get("/api/v1/audit?limit=1000"),
    call(`${orgUrl}/api/v1/external-apps`, "GET", b.token).then((a) => a.body.items.filter((x: { tenant: string }) => x.tenant === t.name)),
    hasUsersRoute ? get("/api/v1/users") : null,
    Promise.all(folders.map(async (k) => [await get(`/api/v1/folders/${k}`), await get(`/api/v1/folders/${k}/processes`), await get(`/api/v1/folders/${k}/triggers`)])),
    Promise.all([...new Set(jobKeys)].map((k) => get(`/api/v1/jobs/${k}/logs?limit=1000`))),
  ]);
  return stable({ list, triggers, jobs, tokens, robots, sessions, settings, audit, apps, users, perFolder, logs });
}

// ---- random resources

const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,14}[A-Za-z0-9]$/);
const slugArb = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/);
const argsArb = fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,8}$/), fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 12 }), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })), { maxKeys: 3 });
const triggerArb = fc.record({
  name: nameArb, slug: slugArb, verb: fc.constantFrom(...VERBS), callMode: fc.constantFrom(...CALL_MODES), defaultArguments: argsArb,
  priority: fc.constantFrom("Inherit", "Low", "Normal", "High"), enabled: fc.boolean(),
  invoke: fc.option(fc.record({ callMode: fc.constantFrom("AsyncRequestReply", "FireAndForget"), args: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), fc.string({ maxLength: 8 }), { maxKeys: 2 }) })),
});
const processArb = fc.record({
  name: nameArb, description: fc.string({ maxLength: 30 }), defaultInputArguments: argsArb, priority: fc.constantFrom("Low", "Normal", "High"),
  triggers: fc.array(triggerArb, { maxLength: 2 }), jobs: fc.array(argsArb, { maxLength: 1 }),
});
const tenantResourcesArb = fc.record({
  folder: fc.option(nameArb), processes: fc.array(processArb, { minLength: 1, maxLength: 2 }), claim: fc.boolean(), stopOne: fc.boolean(),
});
const opArb = fc.record({
  template: fc.nat(),
  mode: fc.constantFrom<Op["mode"]>("foreignCred", "foreignCred", "foreignId", "foreignId", "org", "signedWait"),
  cred: fc.constantFrom<CredKind>("pat", "oauth", "robot"),
  victim: fc.constantFrom<0 | 1>(0, 1),
  pick: fc.nat(),
});
type TenantResources = typeof tenantResourcesArb extends fc.Arbitrary<infer R> ? R : never;

/** creates the resources with the tenant's own PAT, and records them in `t` */
async function create(t: Tenant, r: TenantResources): Promise<void> {
  let folderKey = t.folders[0]!;
  if (r.folder !== null) {
    folderKey = (await own(t, "POST", "/api/v1/folders", { name: `${r.folder}-${unique()}` })).key;
    t.folders.push(folderKey);
  }
  const names: string[] = [];
  for (const p of r.processes) {
    const name = `P${p.name}-${unique()}`;
    names.push(name);
    await own(t, "POST", `/api/v1/folders/${folderKey}/processes`, { name, description: p.description, defaultInputArguments: p.defaultInputArguments, priority: p.priority });
    t.processes.push({ folderKey, name });
    for (const tr of p.triggers) {
      const trigger = await own(t, "POST", `/api/v1/folders/${folderKey}/triggers`, {
        name: tr.name, slug: `${tr.slug}-${unique()}`, verb: tr.verb, processName: name, callMode: tr.callMode, defaultArguments: tr.defaultArguments, priority: tr.priority, enabled: tr.enabled,
      });
      t.triggers.push({ id: trigger.id, folderKey, slug: trigger.slug, verb: tr.verb });
      if (tr.invoke && tr.enabled) {
        const args = { ...tr.invoke.args, $callMode: tr.invoke.callMode };
        const body = tr.verb === "POST" || tr.verb === "PUT";
        const url = body ? trigger.invokeUrl : `${trigger.invokeUrl}?${new URLSearchParams(args).toString()}`;
        const res = await b.fetch(url, { method: tr.verb, redirect: "manual", headers: { authorization: `Bearer ${t.pat}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(args) : undefined });
        const text = await res.text();
        expect(res.status, text).toBe(tr.invoke.callMode === "FireAndForget" ? 200 : 202);
        if (res.status === 202) t.jobs.push(JSON.parse(text).jobKey);
      }
    }
    for (const inputArguments of p.jobs) t.jobs.push((await own(t, "POST", "/api/v1/jobs", { folderKey, processName: name, inputArguments })).key);
  }
  if (r.claim) await claimFor(t, names);
  if (r.stopOne) {
    const pending = (await own(t, "GET", "/api/v1/jobs?state=Pending&limit=1")).items[0];
    if (pending) await own(t, "POST", `/api/v1/jobs/${pending.key}/stop`, { strategy: "SoftStop" });
  }
}

describe("tenant isolation", () => {
  it("refuses every cross-tenant call over random resources and leaves both tenants unchanged (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(tenantResourcesArb, tenantResourcesArb), fc.array(opArb, { minLength: 4, maxLength: 12 }), async ([ra, rb], ops) => {
        await create(tenants[0], ra);
        await create(tenants[1], rb);
        const touched = (i: 0 | 1) => {
          const t = tenants[i];
          const picks = ops.filter((o) => o.victim === i).map((o) => target(t, o.pick));
          return { folders: [...picks.map((p) => p.folderKey), ...picks.map((p) => p.process.folderKey), ...picks.map((p) => p.trigger.folderKey)], jobs: picks.map((p) => runningKey(p)) };
        };
        const [ta, tb] = [touched(0), touched(1)];
        const before = await Promise.all([snapshot(tenants[0], ta.folders, ta.jobs), snapshot(tenants[1], tb.folders, tb.jobs)]);
        for (const op of ops) await runOp(op);
        await claimAcross(0);
        await claimAcross(1);
        const after = await Promise.all([snapshot(tenants[0], ta.folders, ta.jobs), snapshot(tenants[1], tb.folders, tb.jobs)]);
        expect(after[0]).toEqual(before[0]);
        expect(after[1]).toEqual(before[1]);
      }),
      { numRuns: 20 },
    );
    // a safety net, not a measure: each run makes a few hundred calls in sequence, and on a
    // shared 2-core machine running the PostgreSQL suite beside it a run can take seconds
  }, 360_000);

  it("covers every route family with every credential in both directions", async () => {
    const before = await Promise.all(tenants.map((t) => snapshot(t, t.folders, t.running.map((r) => r.jobKey))));
    const ops: Op[] = [];
    for (const victim of [0, 1] as const) {
      for (const cred of ["pat", "oauth", "robot"] as const) {
        const usable = templates.filter((x) => x.enabled?.() ?? true);
        usable.forEach((_, i) => ops.push({ template: i, mode: "foreignCred", cred, victim, pick: 0 }));
        orgTemplates.forEach((_, i) => ops.push({ template: i, mode: "org", cred, victim, pick: 0 }));
      }
      for (const cred of ["pat", "oauth"] as const) {
        const usable = templates.filter((x) => (x.enabled?.() ?? true) && x.foreignId);
        usable.forEach((_, i) => ops.push({ template: i, mode: "foreignId", cred, victim, pick: 0 }));
      }
      ops.push({ template: 0, mode: "signedWait", cred: "pat", victim, pick: 0 });
    }
    expect(ops.length).toBeGreaterThan(250);
    for (const op of ops) await runOp(op);
    await claimAcross(0);
    await claimAcross(1);
    const after = await Promise.all(tenants.map((t) => snapshot(t, t.folders, t.running.map((r) => r.jobKey))));
    expect(after).toEqual(before);
  }, 60_000);
});
