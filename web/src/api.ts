/**
 * The one way the console talks to Baton: the public management API of its own tenant,
 * `…/orchestrator_/api/v1/*`, with the console session's cookie (sent by the browser) and,
 * on every change, the session's CSRF token.
 */

const segments = location.pathname.split("/");
/** `/{org}/{tenant}/orchestrator_/`: the page's own folder */
export const consolePath = location.pathname.replace(/[^/]*$/, "");
export const org = decodeURIComponent(segments[1] ?? "");
export const tenant = decodeURIComponent(segments[2] ?? "");
/** `…/orchestrator_/api/v1` */
export const apiBase = `${consolePath}api/v1`;
/** `{base}/{org}/api/v1`: the organization's routes (tenants, external applications) */
export const orgApiBase = `/${segments[1] ?? ""}/api/v1`;

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  violations?: { path: string; message: string }[];
}

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

export interface Session {
  user: { id: string; name: string; orgAdmin: boolean; roles: { role: string; folderKey: string | null }[] };
  permissions: { tenant: string[]; folders: Record<string, string[]> };
  csrfToken: string;
  expiresAt?: string;
}

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
export function can(session: Session, permission: string, folderKey?: string | null): boolean {
  if (session.permissions.tenant.includes(permission)) return true;
  if (folderKey) return session.permissions.folders[folderKey]?.includes(permission) ?? false;
  if (folderKey === null) return false;
  return Object.values(session.permissions.folders).some((p) => p.includes(permission));
}

// ---- the API's shapes (the fields the console shows)

export interface Page<T> { items: T[]; nextCursor: string | null }
export interface Folder { key: string; name: string; createdAt: string }
export const JOB_STATES = ["Pending", "Running", "Stopping", "Terminating", "Successful", "Faulted", "Stopped"] as const;
export const FINAL_STATES = ["Successful", "Faulted", "Stopped"];
export const CALL_MODES = ["AsyncRequestReply", "FireAndForget", "LongPolling"] as const;
export const VERBS = ["GET", "POST", "PUT", "DELETE"] as const;
export type CallMode = (typeof CALL_MODES)[number];
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface Job {
  key: string; folderKey: string; processName: string; triggerId: string | null; source: string; callMode: string;
  state: string; priority: string; inputArguments: Record<string, Json>; outputArguments: Record<string, Json> | null;
  error: { code: string; message: string; details?: Json } | null; robot: string | null; attempt: number;
  createdAt: string; startedAt: string | null; endedAt: string | null; info: string | null;
}

/** A job in GET /jobs: long arguments, output and error are left out (flagged); GET /jobs/{key} has them. */
export type JobListItem = Omit<Job, "inputArguments" | "outputArguments" | "error"> & Partial<Pick<Job, "inputArguments" | "outputArguments" | "error">> & {
  inputArgumentsTruncated?: true; outputArgumentsTruncated?: true; errorTruncated?: true;
};
export interface LogLine { seq: number; at: string; level: string; message: string }
export interface Process {
  id: string; folderKey: string; name: string; description: string; defaultInputArguments: Record<string, Json>;
  inputSchema: Json; outputSchema: Json; priority: string; maxDurationSeconds: number | null;
  retry: { maxAttempts: number; backoffSeconds?: number }; createdAt: string;
}
export interface Trigger {
  id: string; folderKey: string; name: string; slug: string; verb: string; processName: string; callMode: CallMode;
  defaultArguments: Record<string, Json>; priority: string; enabled: boolean; invokeUrl: string; createdAt: string;
}
export interface RobotSession { id: string; robotKeyId: string | null; robotName: string; version: string | null; processes: string[]; slots: number; slotsInUse: number; leaseExpiresAt: string; lastHeartbeatAt: string; createdAt: string }
export interface RobotKey { id: string; name: string; folderKeys?: string[] | null; createdAt: string; rotatedAt: string | null; revokedAt: string | null }
export interface Token { id: string; userId: string | null; name: string; scopes: string[]; createdAt: string; expiresAt: string | null; revokedAt: string | null; lastUsedAt: string | null }
export interface User { id: string; name: string; orgAdmin: boolean; disabled: boolean; roles: { role: string; folderKey: string | null }[]; createdAt: string }
export interface Role { name: string; permissions: string[] }
export interface AuditEntry { seq: number; at: string; actor: { kind: string; id: string | null; name: string | null }; action: string; target: string | null; details: Record<string, Json>; sourceIp: string | null; requestId: string | null }
export interface ExternalApp { id: string; name: string; clientId: string; tenant: string; scopes: string[]; createdAt: string; secretRotatedAt: string | null; revokedAt: string | null }
export type Settings = Record<string, Json>;

/** The session's CSRF header, for a change sent without api() (the trigger's "try it"). */
export function csrfHeaders(): Record<string, string> {
  return csrfToken ? { "x-csrf-token": csrfToken } : {};
}
