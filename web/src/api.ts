/**
 * The one way the console talks to Baton: the public management API of its own tenant,
 * `…/orchestrator_/api/v1/*`, with the console session's cookie (sent by the browser) and,
 * on every change, the session's CSRF token.
 */
import type { components } from "../../src/client/openapi.js";

const segments = location.pathname.split("/");
/** `/{org}/{tenant}/orchestrator_/`: the page's own folder */
export const consolePath = location.pathname.replace(/[^/]*$/, "");
export const org = decodeURIComponent(segments[1] ?? "");
export const tenant = decodeURIComponent(segments[2] ?? "");
/** `…/orchestrator_/api/v1` */
export const apiBase = `${consolePath}api/v1`;
/** `{base}/{org}/api/v1`: the organization's routes (tenants, external applications) */
export const orgApiBase = `/${segments[1] ?? ""}/api/v1`;

type Schemas = components["schemas"];

/**
 * What an ApiError holds: the problem+json's members the console shows. Not the schema's
 * Problem: `code` is any string, since the console makes problems up too (`network-error`,
 * `error` for an answer that is not problem+json).
 */
export type Problem = Pick<Schemas["Problem"], "status" | "title" | "detail"> & {
  code: string;
  violations?: Schemas["Violation"][];
};

/** An answer that is not 2xx, with the problem+json's `detail` and `code` when it had one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }
}

export type Session = Schemas["ConsoleSession"];
export type Permission = Schemas["Permission"];

let csrfToken = "";
let onUnauthorized: () => void = () => {};

export function setSession(session: Session | null): void {
  csrfToken = session?.csrfToken ?? "";
}
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export interface ApiOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
  /** a full path instead of one under the tenant's api/v1 */
  absolute?: boolean;
  /** extra headers (an organization token for the organization's routes) */
  headers?: Record<string, string>;
  /** a 401 is the caller's to show (the organization's routes), not a lost session */
  keepSessionOn401?: boolean;
}

/** fetch + JSON + CSRF + problem+json → ApiError; a 401 of a lost session goes back to the login page */
export async function api<T = unknown>(path: string, options: ApiOptions = {}): Promise<T> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["x-csrf-token"] = csrfToken;
  let url = options.absolute ? path : `${apiBase}${path}`;
  if (options.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
    const s = q.toString();
    if (s) url += (url.includes("?") ? "&" : "?") + s;
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, credentials: "same-origin", ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  } catch {
    throw new ApiError({ status: 0, code: "network-error", title: "Network error", detail: "Baton could not be reached. Check that the orchestrator is running, then retry." });
  }
  const text = await res.text();
  if (!res.ok) {
    const problem = parseProblem(res, text);
    if (res.status === 401 && !options.keepSessionOn401 && !path.endsWith("/session")) onUnauthorized();
    throw new ApiError(problem);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

function parseProblem(res: Response, text: string): Problem {
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    return {
      status: res.status,
      code: body.code ?? "error",
      title: body.title ?? res.statusText,
      detail: body.detail ?? (text || res.statusText),
      ...(body.violations ? { violations: body.violations } : {}),
    };
  } catch {
    return { status: res.status, code: "error", title: res.statusText, detail: text.slice(0, 500) || `HTTP ${res.status}` };
  }
}

/** Every permission the session has somewhere: in the tenant, or in at least one folder. */
export function can(session: Session, permission: Permission, folderKey?: string | null): boolean {
  if (session.permissions.tenant.includes(permission)) return true;
  if (folderKey) return session.permissions.folders[folderKey]?.includes(permission) ?? false;
  if (folderKey === null) return false;
  return Object.values(session.permissions.folders).some((p) => p.includes(permission));
}

// ---- the API's shapes: the types generated from the served document (src/client/openapi.ts,
// `npm run gen:api-types`), as the client has them; type-only, so nothing of it is bundled

/** A list answer. Written here: the document has one page schema per item type, all of this shape. */
export interface Page<T> { items: T[]; nextCursor: string | null }
export type Folder = Schemas["Folder"];
export type CallMode = Schemas["CallMode"];
export type JobState = Schemas["JobState"];
export type Job = Schemas["Job"];
/** GET /jobs/{key}: the job with every attempt. */
export type JobDetail = Schemas["JobDetail"];
/** A job in GET /jobs: long arguments, output and error are left out (flagged); GET /jobs/{key} has them. */
export type JobListItem = Schemas["JobListItem"];
export type LogLine = Schemas["JobLogLine"];
export type Process = Schemas["Process"];
export type Trigger = Schemas["Trigger"];
export type TimeTrigger = Schemas["TimeTrigger"];
export type TimeTriggerPreview = Schemas["TimeTriggerPreview"];
export type RobotSession = Schemas["RobotSession"];
export type RobotKey = Schemas["RobotKey"];
export type Token = Schemas["PersonalAccessToken"];
export type User = Schemas["User"];
export type Role = Schemas["Role"];
export type AuditEntry = Schemas["AuditEntry"];
export type ExternalApp = Schemas["ExternalApp"];
export type Settings = Schemas["TenantSettings"];
export type Webhook = Schemas["Webhook"];
export type WebhookDelivery = Schemas["WebhookDelivery"];

// the client's constants: each lists every member of its generated union (a compile error otherwise)
export { CALL_MODES, JOB_STATES, VERBS, isFinalJobState } from "../../src/client/types.js";

/** The session's CSRF header, for a change sent without api() (the trigger's "try it"). */
export function csrfHeaders(): Record<string, string> {
  return csrfToken ? { "x-csrf-token": csrfToken } : {};
}
