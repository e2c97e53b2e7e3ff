import { badRequest, BatonError } from "./errors.js";
import type { Principal } from "./types.js";

/**
 * Scopes follow UiPath's OAuth names. `OR.X` grants read and write on X; `OR.X.Read` and
 * `OR.X.Write` grant one of them. Invoking a trigger needs Jobs write; reading a job's
 * status, Jobs read; managing processes and triggers, Execution; the rest as named.
 */
export const SCOPE_RESOURCES = ["Jobs", "Execution", "Folders", "Robots", "Settings", "Users", "Audit"] as const;
export type ScopeResource = (typeof SCOPE_RESOURCES)[number];
export type Access = "Read" | "Write";
/** What a route needs of a resource: read, write, or any of its scopes (`Any`: reading jobs, which a caller that may only invoke may do too). */
export type ScopeLevel = Access | "Any";

export const ALL_SCOPES: string[] = SCOPE_RESOURCES.flatMap((r) => [`OR.${r}`, `OR.${r}.Read`, `OR.${r}.Write`]);
export const ADMIN_SCOPES: string[] = SCOPE_RESOURCES.map((r) => `OR.${r}`);

/** The scopes any one of which grants `level` on `resource`: `OR.X` and `OR.X.Read` (or `.Write`); for `Any`, all three. */
export function scopesGranting(resource: ScopeResource, level: ScopeLevel): string[] {
  return level === "Any" ? [`OR.${resource}`, `OR.${resource}.Read`, `OR.${resource}.Write`] : [`OR.${resource}`, `OR.${resource}.${level}`];
}

/** on every request of a route with a scope (the invoke URL's included): no list is made */
export function hasScope(principal: Principal, resource: ScopeResource, level: ScopeLevel): boolean {
  const { scopes } = principal;
  if (scopes.has(`OR.${resource}`)) return true;
  return level === "Any" ? scopes.has(`OR.${resource}.Read`) || scopes.has(`OR.${resource}.Write`) : scopes.has(`OR.${resource}.${level}`);
}

export function requireScope(principal: Principal, resource: ScopeResource, level: ScopeLevel): void {
  if (!hasScope(principal, resource, level)) {
    const requiredScope = scopesGranting(resource, level);
    throw new BatonError(403, "insufficient-scope", "Forbidden", `This token lacks the scope ${requiredScope.slice(0, -1).join(", ")} or ${requiredScope.at(-1)}.`, {
      extra: { requiredScope },
    });
  }
}

/** Reading jobs needs any Jobs scope, read or write alike: a caller may read what it invoked. */
export function mayReadJobs(principal: Principal): boolean {
  return hasScope(principal, "Jobs", "Any");
}

export function requireJobsRead(principal: Principal): void {
  requireScope(principal, "Jobs", "Any");
}

/** For reads of a single resource: a token that may not see it gets 404, never 403 (SPEC §2). */
export function requireVisible(principal: Principal, resource: ScopeResource, notFoundError: () => BatonError): void {
  if (!hasScope(principal, resource, "Read") && !hasScope(principal, resource, "Write")) throw notFoundError();
}

export function validateScopes(scopes: unknown): string[] {
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === "string")) {
    throw badRequest("invalid-scopes", `scopes must be a non-empty array of scope names (${ALL_SCOPES.slice(0, 3).join(", ")}, ...).`);
  }
  const unknown = scopes.filter((s) => !ALL_SCOPES.includes(s));
  if (unknown.length) throw badRequest("invalid-scopes", `Unknown scopes: ${unknown.join(", ")}. Known: ${ALL_SCOPES.join(", ")}.`, { unknown });
  return [...new Set(scopes as string[])];
}
