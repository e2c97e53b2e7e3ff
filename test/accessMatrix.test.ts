import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_SCOPES, ALL_SCOPES } from "../src/core/scopes.js";
import { generateToken, hashToken } from "../src/core/tokenSecrets.js";
import type { AccessConfig } from "../src/http/routeContract.js";
import { buildServer } from "../src/http/server.js";
import { startSocketlessBaton, type TestBaton } from "./helpers/baton.js";

/**
 * Every route × every kind of caller → the exact status (issue 5).
 *
 * Each row names a route, how to call it (fresh resources are made for each call that
 * changes or deletes something), the answer an administrator gets, the scope it needs,
 * and explicitly the answers of each role: an Administrator, an Automation Developer and a
 * Viewer granted tenant-wide, and an Automation Developer granted only in another folder.
 * The columns for single scopes follow from the row's scope: a token without it gets 403
 * insufficient-scope, or 404 where the route reads one resource whose existence it must
 * not reveal. Credentials that are not valid here (none, expired, revoked, of another
 * tenant, a robot key on the management API) get 401 everywhere but the public routes.
 */

type Scope = [resource: string, access: "Read" | "Write" | "Any"] | null;
type RoleColumn = "Administrator" | "Automation Developer" | "Viewer" | "folderDeveloper";

interface Row {
  /** METHOD + route template as Fastify registered it */
  route: string;
  call(f: Fixtures): Promise<{ path: string; body?: unknown }>;
  /** an administrator's answer */
  ok: number;
  /** the scope the route needs: read from the route's `config.access` (routeContract.ts); given here only for routes not converted yet */
  scope?: Scope;
  /** without the scope: 404 (a single resource's read) instead of 403; read from the route's `config.access` like the scope, given here only for routes not converted yet */
  hiddenWithoutScope?: boolean;
  /** answers of the role users (default: ok) */
  roles?: Partial<Record<RoleColumn, number>>;
  /** answers of an external application's token with every scope (default: ok) */
  oauth?: number;
  /** no credential needed: everyone gets `ok` */
  public?: boolean;
  /** organization routes: only an administrator of the organization */
  organization?: boolean;
}

interface Fixtures {
  b: TestBaton;
  sharedKey: string;
  otherFolderKey: string;
  /** a fresh job in Shared, finished (Successful) */
  finishedJob(): Promise<string>;
  /** a fresh job in Shared of a process no robot serves: stays Pending */
  pendingJob(): Promise<string>;
  freshFolder(): Promise<string>;
  freshProcess(): Promise<string>;
  freshTrigger(): Promise<string>;
  freshTimeTrigger(): Promise<string>;
  freshRobot(): Promise<string>;
  freshToken(): Promise<string>;
  freshUser(): Promise<string>;
  /** a robot session of the matrix's robot key, with a claimed job */
  robotSession(): Promise<{ sessionId: string; jobKey: string }>;
  freshApp(): Promise<string>;
  /** a fresh webhook subscription (to a closed local port), and a ping delivery of it (Pending) */
  freshWebhook(): Promise<string>;
  pingDelivery(): Promise<{ webhookId: string; deliveryId: string }>;
}

const json = (b: unknown) => b;
const NO_USER = 403;

const rows: Row[] = [
  // ---- public
  { route: "GET /:org/:tenant/orchestrator_/api/v1/openapi.json", call: async () => ({ path: "/api/v1/openapi.json" }), ok: 200, public: true },
  // the interactive reference beside it, and its files: public as the document is
  { route: "GET /:org/:tenant/orchestrator_/api/v1/reference", call: async () => ({ path: "/api/v1/reference" }), ok: 200, public: true },
  { route: "GET /:org/:tenant/orchestrator_/api/v1/reference/:file", call: async () => ({ path: "/api/v1/reference/reference.js" }), ok: 200, scope: null, public: true },
  // (a malformed login: wrong passwords would be throttled as the matrix repeats them)
  { route: "POST /:org/:tenant/orchestrator_/api/v1/session", call: async () => ({ path: "/api/v1/session", body: { user: "nobody" } }), ok: 400, public: true },

  // ---- folders
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/folders", call: async () => ({ path: "/api/v1/folders" }), ok: 200,
  },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/folders", call: async () => ({ path: "/api/v1/folders", body: { name: `f-${randomUUID()}` } }), ok: 201,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/folders/:folderKey", call: async (f) => ({ path: `/api/v1/folders/${f.sharedKey}` }), ok: 200,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "PATCH /:org/:tenant/orchestrator_/api/v1/folders/:folderKey", call: async (f) => ({ path: `/api/v1/folders/${await f.freshFolder()}`, body: { name: `r-${randomUUID()}` } }), ok: 200,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 404 },
  },
  {
    route: "DELETE /:org/:tenant/orchestrator_/api/v1/folders/:folderKey", call: async (f) => ({ path: `/api/v1/folders/${await f.freshFolder()}` }), ok: 204,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 404 },
  },

  // ---- processes
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/folders/:folderKey/processes", call: async (f) => ({ path: `/api/v1/folders/${f.sharedKey}/processes` }), ok: 200,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/folders/:folderKey/processes", call: async (f) => ({ path: `/api/v1/folders/${f.sharedKey}/processes`, body: { name: `P${randomUUID()}` } }), ok: 201,
    roles: { Viewer: 403, folderDeveloper: 404 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/folders/:folderKey/processes/:name", call: async (f) => ({ path: `/api/v1/folders/${f.sharedKey}/processes/Echo` }), ok: 200,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "PATCH /:org/:tenant/orchestrator_/api/v1/folders/:folderKey/processes/:name", call: async (f) => ({ path: `/api/v1/folders/${f.sharedKey}/processes/${await f.freshProcess()}`, body: { description: "changed" } }),
    ok: 200, roles: { Viewer: 403, folderDeveloper: 404 },
  },
  {
    route: "DELETE /:org/:tenant/orchestrator_/api/v1/folders/:folderKey/processes/:name", call: async (f) => ({ path: `/api/v1/folders/${f.sharedKey}/processes/${await f.freshProcess()}` }),
    ok: 204, roles: { Viewer: 403, folderDeveloper: 404 },
  },

  // ---- triggers
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/folders/:folderKey/triggers", call: async (f) => ({ path: `/api/v1/folders/${f.sharedKey}/triggers` }), ok: 200, roles: { folderDeveloper: 404 },
  },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/folders/:folderKey/triggers",
    call: async (f) => ({ path: `/api/v1/folders/${f.sharedKey}/triggers`, body: { name: "t", slug: `s-${randomUUID()}`, verb: "POST", processName: "Echo", callMode: "AsyncRequestReply" } }),
    ok: 201, roles: { Viewer: 403, folderDeveloper: 404 },
  },
  { route: "GET /:org/:tenant/orchestrator_/api/v1/triggers", call: async () => ({ path: "/api/v1/triggers" }), ok: 200 },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/triggers/:id", call: async (f) => ({ path: `/api/v1/triggers/${await f.freshTrigger()}` }), ok: 200, roles: { folderDeveloper: 404 },
  },
  {
    route: "PATCH /:org/:tenant/orchestrator_/api/v1/triggers/:id", call: async (f) => ({ path: `/api/v1/triggers/${await f.freshTrigger()}`, body: { enabled: false } }), ok: 200, roles: { Viewer: 403, folderDeveloper: 404 },
  },
  {
    route: "DELETE /:org/:tenant/orchestrator_/api/v1/triggers/:id", call: async (f) => ({ path: `/api/v1/triggers/${await f.freshTrigger()}` }), ok: 204, roles: { Viewer: 403, folderDeveloper: 404 },
  },

  // ---- time triggers: API triggers' scopes and permissions
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/folders/:folderKey/time-triggers", call: async (f) => ({ path: `/api/v1/folders/${f.sharedKey}/time-triggers` }), ok: 200,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/folders/:folderKey/time-triggers",
    call: async (f) => ({ path: `/api/v1/folders/${f.sharedKey}/time-triggers`, body: { name: `tt-${randomUUID()}`, processName: "Echo", cron: "0 0 * * *" } }),
    ok: 201, roles: { Viewer: 403, folderDeveloper: 404 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/time-trigger-preview", call: async () => ({ path: "/api/v1/time-trigger-preview?cron=0%200%20*%20*%20*" }), ok: 200,
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/time-triggers/:id", call: async (f) => ({ path: `/api/v1/time-triggers/${await f.freshTimeTrigger()}` }), ok: 200,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/time-triggers/:id/preview", call: async (f) => ({ path: `/api/v1/time-triggers/${await f.freshTimeTrigger()}/preview` }), ok: 200,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "PATCH /:org/:tenant/orchestrator_/api/v1/time-triggers/:id", call: async (f) => ({ path: `/api/v1/time-triggers/${await f.freshTimeTrigger()}`, body: { enabled: false } }), ok: 200,
    roles: { Viewer: 403, folderDeveloper: 404 },
  },
  {
    route: "DELETE /:org/:tenant/orchestrator_/api/v1/time-triggers/:id", call: async (f) => ({ path: `/api/v1/time-triggers/${await f.freshTimeTrigger()}` }), ok: 204,
    roles: { Viewer: 403, folderDeveloper: 404 },
  },

  // ---- invoking (the echo trigger is POST; other verbs answer 405 to whoever may invoke)
  ...(["GET", "PUT", "DELETE", "PATCH", "POST"] as const).map((verb): Row => ({
    route: `${verb} /:org/:tenant/orchestrator_/t/:folderKey/:slug`, call: async (f) => ({ path: `/t/${f.sharedKey}/echo`, body: verb === "GET" ? undefined : { n: 1 } }),
    ok: verb === "POST" ? 202 : 405, roles: { Viewer: 403, folderDeveloper: 404 },
  })),

  // ---- jobs
  { route: "GET /:org/:tenant/orchestrator_/api/v1/jobs", call: async () => ({ path: "/api/v1/jobs?limit=5" }), ok: 200 },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/jobs", call: async (f) => ({ path: "/api/v1/jobs", body: { folderKey: f.sharedKey, processName: "Echo" } }), ok: 201,
    roles: { Viewer: 403, folderDeveloper: 404 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/jobs/:jobKey", call: async (f) => ({ path: `/api/v1/jobs/${await f.finishedJob()}` }), ok: 200,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/jobs/:jobKey/logs", call: async (f) => ({ path: `/api/v1/jobs/${await f.finishedJob()}/logs` }), ok: 200,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/jobs/:jobKey/status", call: async (f) => ({ path: `/api/v1/jobs/${await f.finishedJob()}/status` }), ok: 303,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/jobs/:jobKey/output", call: async (f) => ({ path: `/api/v1/jobs/${await f.finishedJob()}/output` }), ok: 200,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/jobs/:jobKey/wait", call: async (f) => ({ path: `/api/v1/jobs/${await f.finishedJob()}/wait` }), ok: 200,
    roles: { folderDeveloper: 404 },
  },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/jobs/:jobKey/stop", call: async (f) => ({ path: `/api/v1/jobs/${await f.pendingJob()}/stop`, body: { strategy: "SoftStop" } }), ok: 202,
    roles: { Viewer: 403, folderDeveloper: 404 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/events", call: async () => ({ path: "/api/v1/events" }), ok: 200, roles: { folderDeveloper: 200 },
  },

  // ---- robots
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/robots", call: async () => ({ path: "/api/v1/robots", body: { name: `r-${randomUUID()}` } }), ok: 201,
    roles: { Viewer: 403, folderDeveloper: 403 },
  },
  { route: "GET /:org/:tenant/orchestrator_/api/v1/robots", call: async () => ({ path: "/api/v1/robots" }), ok: 200, roles: { folderDeveloper: 403 } },
  {
    route: "DELETE /:org/:tenant/orchestrator_/api/v1/robots/:id", call: async (f) => ({ path: `/api/v1/robots/${await f.freshRobot()}` }), ok: 204,
    roles: { Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/robots/:id/rotate", call: async (f) => ({ path: `/api/v1/robots/${await f.freshRobot()}/rotate` }), ok: 200,
    roles: { Viewer: 403, folderDeveloper: 403 },
  },
  { route: "GET /:org/:tenant/orchestrator_/api/v1/robots/sessions", call: async () => ({ path: "/api/v1/robots/sessions" }), ok: 200, roles: { folderDeveloper: 403 } },

  // ---- tokens (every user may list and create its own)
  { route: "GET /:org/:tenant/orchestrator_/api/v1/tokens", call: async () => ({ path: "/api/v1/tokens" }), ok: 200 },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/tokens", call: async () => ({ path: "/api/v1/tokens", body: { name: "t", scopes: ["OR.Jobs.Read"] } }), ok: 201,
    oauth: NO_USER,
  },
  // (the fresh token is the organization admin's: only that user or an organization administrator may revoke it)
  {
    route: "DELETE /:org/:tenant/orchestrator_/api/v1/tokens/:id", call: async (f) => ({ path: `/api/v1/tokens/${await f.freshToken()}` }), ok: 204,
    roles: { Administrator: 409, "Automation Developer": 404, Viewer: 404, folderDeveloper: 404 }, oauth: 409,
  },

  // ---- users and roles
  { route: "GET /:org/:tenant/orchestrator_/api/v1/roles", call: async () => ({ path: "/api/v1/roles" }), ok: 200 },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/users", call: async () => ({ path: "/api/v1/users" }), ok: 200,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/users", call: async () => ({ path: "/api/v1/users", body: { name: `u-${randomUUID()}`, password: "long-enough-1", roles: [] } }), ok: 201,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/users/:id", call: async (f) => ({ path: `/api/v1/users/${await f.freshUser()}` }), ok: 200,
    roles: { "Automation Developer": 404, Viewer: 404, folderDeveloper: 404 },
  },
  {
    route: "PATCH /:org/:tenant/orchestrator_/api/v1/users/:id", call: async (f) => ({ path: `/api/v1/users/${await f.freshUser()}`, body: { roles: [{ role: "Viewer" }] } }), ok: 200,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "DELETE /:org/:tenant/orchestrator_/api/v1/users/:id", call: async (f) => ({ path: `/api/v1/users/${await f.freshUser()}` }), ok: 204,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  // a user's own password (the row's new password is too short: wrong current ones would be throttled as the matrix repeats them)
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/session/password", call: async () => ({ path: "/api/v1/session/password", body: { currentPassword: "not it", newPassword: "short" } }),
    ok: 400, oauth: NO_USER,
  },
  // a console session's own routes: a bearer token has none
  { route: "GET /:org/:tenant/orchestrator_/api/v1/session", call: async () => ({ path: "/api/v1/session" }), ok: 401 },
  { route: "DELETE /:org/:tenant/orchestrator_/api/v1/session", call: async () => ({ path: "/api/v1/session" }), ok: 401 },

  // ---- webhooks (issue 16): tenant configuration, under the Settings scope and permissions
  { route: "GET /:org/:tenant/orchestrator_/api/v1/webhooks", call: async () => ({ path: "/api/v1/webhooks" }), ok: 200, roles: { folderDeveloper: 403 } },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/webhooks", call: async () => ({ path: "/api/v1/webhooks", body: { url: "http://127.0.0.1:9/", events: ["job.completed"], enabled: false } }), ok: 201,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/webhooks/:id", call: async (f) => ({ path: `/api/v1/webhooks/${await f.freshWebhook()}` }), ok: 200,
    roles: { folderDeveloper: 403 },
  },
  {
    route: "PATCH /:org/:tenant/orchestrator_/api/v1/webhooks/:id", call: async (f) => ({ path: `/api/v1/webhooks/${await f.freshWebhook()}`, body: { enabled: false } }), ok: 200,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "DELETE /:org/:tenant/orchestrator_/api/v1/webhooks/:id", call: async (f) => ({ path: `/api/v1/webhooks/${await f.freshWebhook()}` }), ok: 204,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/webhooks/:id/rotate-secret", call: async (f) => ({ path: `/api/v1/webhooks/${await f.freshWebhook()}/rotate-secret` }), ok: 200,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/webhooks/:id/test", call: async (f) => ({ path: `/api/v1/webhooks/${await f.freshWebhook()}/test` }), ok: 202,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/webhooks/:id/deliveries", call: async (f) => ({ path: `/api/v1/webhooks/${await f.freshWebhook()}/deliveries` }), ok: 200,
    roles: { folderDeveloper: 403 },
  },
  // (subscriptions are made disabled: the matrix makes many jobs, and their events must not pile up deliveries)
  // (the ping is still Pending, its port refusing: an administrator's redelivery is 409 webhook-delivery-pending)
  {
    route: "POST /:org/:tenant/orchestrator_/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver", ok: 409, roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
    call: async (f) => { const { webhookId, deliveryId } = await f.pingDelivery(); return { path: `/api/v1/webhooks/${webhookId}/deliveries/${deliveryId}/redeliver` }; },
  },

  // ---- settings and audit
  { route: "GET /:org/:tenant/orchestrator_/api/v1/settings", call: async () => ({ path: "/api/v1/settings" }), ok: 200, roles: { folderDeveloper: 403 } },
  {
    route: "PATCH /:org/:tenant/orchestrator_/api/v1/settings", call: async () => ({ path: "/api/v1/settings", body: json({ jobRetentionDays: 30 }) }), ok: 200,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },
  {
    route: "GET /:org/:tenant/orchestrator_/api/v1/audit", call: async () => ({ path: "/api/v1/audit" }), ok: 200,
    roles: { "Automation Developer": 403, Viewer: 403, folderDeveloper: 403 },
  },

  // ---- the robot protocol
  { route: "POST /:org/:tenant/orchestrator_/api/robot/v1/sessions", call: async () => ({ path: "/api/robot/v1/sessions", body: { processes: ["Nothing"], slots: 1 } }), ok: 201 },
  ...([
    ["claim", 200, { max: 1, waitSeconds: 0 }],
    ["heartbeat", 200, {}],
    ["jobs/:jobKey/logs", 204, { lines: [{ message: "hi" }] }],
    ["jobs/:jobKey/complete", 204, { outputArguments: {} }],
    ["jobs/:jobKey/fail", 204, { error: { code: "X", message: "x" } }],
    ["jobs/:jobKey/stopped", 204, {}],
    ["results", 200, { results: [{ jobKey: ":jobKey", outcome: "complete", outputArguments: {} }] }],
  ] as const).map(([tail, ok, body]): Row => ({
    route: `POST /:org/:tenant/orchestrator_/api/robot/v1/sessions/:sessionId/${tail}`,
    call: async (f) => {
      const { sessionId, jobKey } = await f.robotSession();
      return { path: `/api/robot/v1/sessions/${sessionId}/${tail.replace(":jobKey", jobKey)}`, body: JSON.parse(JSON.stringify(body).replace(":jobKey", jobKey)) };
    },
    ok,
  })),
  {
    route: "DELETE /:org/:tenant/orchestrator_/api/robot/v1/sessions/:sessionId", call: async (f) => ({ path: `/api/robot/v1/sessions/${(await f.robotSession()).sessionId}` }), ok: 204,
  },

  // ---- the organization's routes: its administrators only
  { route: "GET /:org/api/v1/tenants", call: async () => ({ path: "ORG/api/v1/tenants" }), ok: 200, organization: true },
  { route: "POST /:org/api/v1/tenants", call: async () => ({ path: "ORG/api/v1/tenants", body: { name: `T${randomUUID().slice(0, 8)}` } }), ok: 201, organization: true },
  { route: "GET /:org/api/v1/external-apps", call: async () => ({ path: "ORG/api/v1/external-apps" }), ok: 200, organization: true },
  {
    route: "POST /:org/api/v1/external-apps", call: async () => ({ path: "ORG/api/v1/external-apps", body: { name: `a-${randomUUID()}`, tenant: "DefaultTenant", scopes: ["OR.Jobs"] } }), ok: 201,
    organization: true,
  },
  { route: "POST /:org/api/v1/external-apps/:clientId/secret", call: async (f) => ({ path: `ORG/api/v1/external-apps/${await f.freshApp()}/secret` }), ok: 200, organization: true },
  { route: "DELETE /:org/api/v1/external-apps/:clientId", call: async (f) => ({ path: `ORG/api/v1/external-apps/${await f.freshApp()}` }), ok: 204, organization: true },
];

/** routes the matrix leaves to other tests, and why */
const NOT_IN_MATRIX: Record<string, string> = {
  "POST /:org/identity_/connect/token": "takes client credentials, not a bearer token (test/oauth.test.ts)",
  "GET /healthz": "node-level, no tenant and no credential (test/ops.test.ts)",
  "GET /readyz": "node-level, no tenant and no credential (test/ops.test.ts)",
  "GET /metrics": "its own optional token, BATON_METRICS_TOKEN (test/ops.test.ts)",
};

let b: TestBaton;
let f: Fixtures;
/** route → what its config.access declares (routes converted to routeContract.ts) */
const declared = new Map<string, AccessConfig>();
/** the robot protocol (its config's access is `robotKey`): only a robot key of the tenant is accepted */
const isRobot = (row: Row): boolean => declared.get(row.route) === "robotKey";
/** the scope a row's route needs: its config's, else the row's */
function scopeOf(row: Row): Scope {
  const access = declared.get(row.route);
  if (typeof access === "string") return null;
  if (access) return access.scope ? [access.scope[0], access.scope[1]] : null;
  if (row.scope === undefined) throw new Error(`${row.route}: no scope, in the row or the route's config.access`);
  return row.scope;
}
/** whether a token without the scope gets 404 (a single resource's read) rather than 403: the config's, else the row's */
function hiddenWithoutScope(row: Row): boolean {
  const access = declared.get(row.route);
  if (typeof access === "string") return false;
  return access ? access.hiddenWithoutScope === true : row.hiddenWithoutScope === true;
}
/** caller name → Authorization header value (null: none) */
const callers = new Map<string, string | null>();
const roleCallers: Record<RoleColumn, string> = { Administrator: "", "Automation Developer": "", Viewer: "", folderDeveloper: "" };
let robotKey = "";
let oauthToken = "";

async function ok<T = any>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${text}`);
  return text ? JSON.parse(text) : (undefined as T);
}

beforeAll(async () => {
  // no socket and no robot (the demo's processes and triggers, no one to run them): every call goes through app.inject()
  b = await startSocketlessBaton({ leaseSeconds: 3600, webhooksAllowPrivate: true });
  const server = buildServer({ baton: b.baton });
  await server.app.ready();
  for (const r of server.routes) if (r.config?.access) declared.set(`${r.method} ${r.url}`, r.config.access);
  await server.app.close();
  const orgUrl = b.tenantUrl.replace(/\/[^/]+$/, "");
  const admin = (path: string, method = "GET", body?: unknown) =>
    b.api(path.startsWith("ORG") ? path.replace("ORG", orgUrl) : path, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }).then(ok);
  const other = await admin(`ORG/api/v1/tenants`, "POST", { name: "MatrixOther" });
  const otherBase = `${orgUrl}/${other.name}/orchestrator_`;
  const otherToken = await ok(await b.fetch(`${otherBase}/api/v1/tokens`, { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "other", scopes: ADMIN_SCOPES }) }));
  const otherFolder = await admin("/api/v1/folders", "POST", { name: "Elsewhere" });
  await admin(`/api/v1/folders/${b.sharedKey}/processes`, "POST", { name: "Unserved" });

  // one user per role, with a PAT of every scope (made through the user's own console session)
  const userToken = async (name: string, roles: unknown[]) => {
    await admin("/api/v1/users", "POST", { name, password: "matrix-password-1", roles });
    const login = await b.fetch(`${b.base}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName: name, password: "matrix-password-1" }) });
    const session = await ok(login);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const res = await b.fetch(`${b.base}/api/v1/tokens`, {
      method: "POST", headers: { cookie, "x-csrf-token": session.csrfToken, "content-type": "application/json" }, body: JSON.stringify({ name: "matrix", scopes: ADMIN_SCOPES }),
    });
    return (await ok(res)).token as string;
  };
  roleCallers.Administrator = await userToken("m-admin", [{ role: "Administrator" }]);
  roleCallers["Automation Developer"] = await userToken("m-dev", [{ role: "Automation Developer" }]);
  roleCallers.Viewer = await userToken("m-viewer", [{ role: "Viewer" }]);
  roleCallers.folderDeveloper = await userToken("m-folder-dev", [{ role: "Automation Developer", folderKey: otherFolder.key }]);

  const expired = generateToken();
  await b.baton.store.createToken({
    id: randomUUID(), tenantId: b.tenant.id, userId: null, name: "expired", scopes: ADMIN_SCOPES, hash: hashToken(expired), orgWide: false,
    createdAt: new Date(Date.now() - 7200_000).toISOString(), expiresAt: new Date(Date.now() - 3600_000).toISOString(),
  });
  const revoked = await admin("/api/v1/tokens", "POST", { name: "revoked", scopes: ADMIN_SCOPES });
  await admin(`/api/v1/tokens/${revoked.id}`, "DELETE");
  robotKey = (await admin("/api/v1/robots", "POST", { name: "matrix-robot" })).key;
  const app = await admin("ORG/api/v1/external-apps", "POST", { name: "matrix-app", tenant: "DefaultTenant", scopes: ADMIN_SCOPES });
  const grant = await b.fetch(`${orgUrl}/identity_/connect/token`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret, scope: ADMIN_SCOPES.join(" ") }).toString(),
  });
  oauthToken = (await ok(grant)).access_token;

  callers.set("none", null);
  callers.set("expired", `Bearer ${expired}`);
  callers.set("revoked", `Bearer ${revoked.token}`);
  callers.set("other tenant", `Bearer ${otherToken.token}`);
  callers.set("robot key", `Bearer ${robotKey}`);

  const robot = (path: string, body: unknown) =>
    b.fetch(`${b.base}${path}`, { method: "POST", headers: { authorization: `Bearer ${robotKey}`, "content-type": "application/json" }, body: JSON.stringify(body) }).then(ok);
  // finished jobs are of a process of their own, so the claim below takes exactly the job just made
  await admin(`/api/v1/folders/${b.sharedKey}/processes`, "POST", { name: "Finished" });
  const finishing = (await robot("/api/robot/v1/sessions", { processes: ["Finished"], slots: 1 })).sessionId as string;
  const job = async (processName: string, finish: boolean) => {
    const created = await admin("/api/v1/jobs", "POST", { folderKey: b.sharedKey, processName });
    if (finish) {
      // the matrix's robot runs it through the protocol: claimed, then completed
      const claimed = await robot(`/api/robot/v1/sessions/${finishing}/claim`, { max: 1, waitSeconds: 0 });
      expect(claimed.jobs.map((j: { jobKey?: string; key?: string }) => j.jobKey ?? j.key)).toEqual([created.key]);
      await robot(`/api/robot/v1/sessions/${finishing}/jobs/${created.key}/complete`, { outputArguments: {} });
      expect((await admin(`/api/v1/jobs/${created.key}`)).state).toBe("Successful");
    }
    return created.key as string;
  };
  f = {
    b,
    sharedKey: b.sharedKey,
    otherFolderKey: otherFolder.key,
    finishedJob: () => job("Finished", true),
    pendingJob: () => job("Unserved", false),
    freshFolder: async () => (await admin("/api/v1/folders", "POST", { name: `f-${randomUUID()}` })).key,
    freshProcess: async () => (await admin(`/api/v1/folders/${b.sharedKey}/processes`, "POST", { name: `P${randomUUID()}` })).name,
    freshTrigger: async () => (await admin(`/api/v1/folders/${b.sharedKey}/triggers`, "POST", {
      name: "t", slug: `s-${randomUUID()}`, verb: "POST", processName: "Echo", callMode: "AsyncRequestReply",
    })).id,
    freshTimeTrigger: async () => (await admin(`/api/v1/folders/${b.sharedKey}/time-triggers`, "POST", { name: `tt-${randomUUID()}`, processName: "Echo", cron: "0 0 * * *" })).id,
    freshRobot: async () => (await admin("/api/v1/robots", "POST", { name: `r-${randomUUID()}` })).id,
    freshToken: async () => (await admin("/api/v1/tokens", "POST", { name: "t", scopes: ["OR.Jobs.Read"] })).id,
    freshUser: async () => (await admin("/api/v1/users", "POST", { name: `u-${randomUUID()}`, password: "long-enough-1", roles: [] })).id,
    freshWebhook: async () => (await admin("/api/v1/webhooks", "POST", { url: "http://127.0.0.1:9/", events: ["*"], enabled: false })).id,
    pingDelivery: async () => {
      const webhookId = (await admin("/api/v1/webhooks", "POST", { url: "http://127.0.0.1:9/", events: ["*"], enabled: false })).id;
      return { webhookId, deliveryId: (await admin(`/api/v1/webhooks/${webhookId}/test`, "POST")).id };
    },
    freshApp: async () => (await admin("ORG/api/v1/external-apps", "POST", { name: `a-${randomUUID()}`, tenant: "DefaultTenant", scopes: ["OR.Jobs"] })).clientId,
    robotSession: async () => {
      const process = `M${randomUUID()}`;
      await admin(`/api/v1/folders/${b.sharedKey}/processes`, "POST", { name: process });
      const jobKey = (await admin("/api/v1/jobs", "POST", { folderKey: b.sharedKey, processName: process })).key;
      const { sessionId } = await robot("/api/robot/v1/sessions", { processes: [process], slots: 1 });
      const claimed = await robot(`/api/robot/v1/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 5 });
      expect(claimed.jobs.map((j: { jobKey?: string; key?: string }) => j.jobKey ?? j.key)).toEqual([jobKey]);
      return { sessionId, jobKey };
    },
  };
}, 120_000);

afterAll(async () => { await b?.close(); });

/** one call; SSE answers are read for their status only */
async function send(row: Row, authorization: string | null): Promise<{ status: number; code?: string }> {
  const { path, body } = await row.call(f);
  const orgUrl = b.tenantUrl.replace(/\/[^/]+$/, "");
  const url = path.startsWith("ORG") ? path.replace("ORG", orgUrl) : `${b.base}${path}`;
  const [method] = row.route.split(" ");
  const headers: Record<string, string> = {};
  if (authorization) headers.authorization = authorization;
  if (body !== undefined) headers["content-type"] = "application/json";
  const controller = new AbortController();
  const res = await b.fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: "manual", signal: controller.signal });
  if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    controller.abort();
    return { status: res.status };
  }
  const text = await res.text();
  const code = res.headers.get("content-type")?.includes("problem+json") ? (JSON.parse(text) as { code?: string }).code : undefined;
  return { status: res.status, code };
}

/** what a PAT of the administrator with only `scope` gets */
function expectedForScope(row: Row, scope: string): number {
  if (row.public) return row.ok;
  if (isRobot(row)) return 401;
  // a token made through the API is bound to its tenant: not an organization administrator's
  if (row.organization) return 403;
  const declaredScope = scopeOf(row);
  if (!declaredScope) return row.ok;
  const [resource, access] = declaredScope;
  // `Any`: any of the resource's scopes (reading jobs: a caller may read what it invoked)
  const has = scope === `OR.${resource}` || (access === "Any" ? scope === `OR.${resource}.Read` || scope === `OR.${resource}.Write` : scope === `OR.${resource}.${access}`);
  if (has) {
    // a new token may not have scopes its creator lacks (the row asks for OR.Jobs.Read)
    if (row.route === "POST /:org/:tenant/orchestrator_/api/v1/tokens") return 403;
    return row.ok;
  }
  // without the scope, reading one job: another scope of Jobs still sees it (rows not converted yet say Read)
  if (hiddenWithoutScope(row)) return scope.startsWith(`OR.${resource}.`) ? row.ok : 404;
  return 403;
}

describe("every route × every kind of caller", () => {
  it("the matrix covers every route the server registers", async () => {
    const server = buildServer({ baton: b.baton });
    await server.app.ready();
    const registered = server.routes.filter((r) => r.method !== "HEAD" && r.method !== "OPTIONS").map((r) => `${r.method} ${r.url}`);
    await server.app.close();
    const covered = new Set([...rows.map((r) => r.route), ...Object.keys(NOT_IN_MATRIX)]);
    const consoleRoute = (r: string) => / \/:org\/:tenant\/orchestrator_(\/|\/assets\/\*)?$/.test(r);
    expect(registered.filter((r) => !covered.has(r) && !consoleRoute(r)).sort()).toEqual([]);
  });

  it("a row gives a scope only where its route declares none (config.access)", () => {
    const twice = rows.filter((r) => (r.scope !== undefined || r.hiddenWithoutScope !== undefined) && declared.has(r.route)).map((r) => r.route);
    expect(twice).toEqual([]);
    for (const row of rows) expect(() => scopeOf(row), row.route).not.toThrow();
  });

  it("credentials that are not valid here: 401 on every route but the public ones", async () => {
    const failures: string[] = [];
    for (const row of rows) {
      for (const [name, authorization] of callers) {
        if (name === "robot key" && isRobot(row)) continue;
        // a tenant's token in the organization's routes: valid in the organization, not its administrator
        const expected = row.public ? row.ok : row.organization && name === "other tenant" ? 403 : 401;
        const { status, code } = await send(row, authorization);
        const codeOk = expected === 401 ? code === "unauthorized" : expected === 403 ? code === "not-org-admin" : true;
        if (status !== expected || !codeOk) failures.push(`${row.route} as ${name}: ${status} ${code ?? ""}, expected ${expected}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("the administrator, an external application and the robot key", async () => {
    const failures: string[] = [];
    for (const row of rows) {
      const admin = await send(row, `Bearer ${b.token}`);
      const adminExpected = isRobot(row) ? 401 : row.ok;
      if (admin.status !== adminExpected) failures.push(`${row.route} as admin: ${admin.status} ${admin.code ?? ""}, expected ${adminExpected}`);
      const app = await send(row, `Bearer ${oauthToken}`);
      const appExpected = isRobot(row) ? 401 : row.organization ? 401 : (row.oauth ?? row.ok);
      if (app.status !== appExpected) failures.push(`${row.route} as oauth: ${app.status} ${app.code ?? ""}, expected ${appExpected}`);
      if (isRobot(row)) {
        const robot = await send(row, `Bearer ${robotKey}`);
        if (robot.status !== row.ok) failures.push(`${row.route} as robot key: ${robot.status} ${robot.code ?? ""}, expected ${row.ok}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("each role: Administrator, Automation Developer, Viewer tenant-wide; Automation Developer of another folder", async () => {
    const failures: string[] = [];
    for (const row of rows) {
      for (const role of Object.keys(roleCallers) as RoleColumn[]) {
        const expected = row.public ? row.ok : isRobot(row) ? 401 : row.organization ? 403 : (row.roles?.[role] ?? row.ok);
        const { status, code } = await send(row, `Bearer ${roleCallers[role]}`);
        const codeOk = status !== 403 || row.organization || ["permission-denied", "insufficient-scope"].includes(code ?? "");
        if (status !== expected || !codeOk) failures.push(`${row.route} as ${role}: ${status} ${code ?? ""}, expected ${expected}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("each scope alone", async () => {
    const tokens = new Map<string, string>();
    for (const scope of ALL_SCOPES) {
      const res = await b.api("/api/v1/tokens", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: scope, scopes: [scope] }) });
      tokens.set(scope, (await ok(res)).token);
    }
    const failures: string[] = [];
    for (const row of rows) {
      for (const [scope, token] of tokens) {
        const expected = expectedForScope(row, scope);
        const { status, code } = await send(row, `Bearer ${token}`);
        const codeOk = status !== 403 || row.organization || code === "insufficient-scope";
        if (status !== expected || !codeOk) failures.push(`${row.route} with ${scope}: ${status} ${code ?? ""}, expected ${expected}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
