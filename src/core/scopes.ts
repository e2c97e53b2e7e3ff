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

export const ALL_SCOPES: string[] = SCOPE_RESOURCES.flatMap((r) => [`OR.${r}`, `OR.${r}.Read`, `OR.${r}.Write`]);
export const ADMIN_SCOPES: string[] = SCOPE_RESOURCES.map((r) => `OR.${r}`);

export function hasScope(principal: Principal, resource: ScopeResource, access: Access): boolean {
  return principal.scopes.has(`OR.${resource}`) || principal.scopes.has(`OR.${resource}.${access}`);
}

export function requireScope(principal: Principal, resource: ScopeResource, access: Access): void {
  if (!hasScope(principal, resource, access)) requireAnyScope(principal, [[resource, access]]);
}

/** A scope a route needs: `[resource, access]`, granted by `OR.{resource}` or `OR.{resource}.{access}`. */
export type ScopeNeed = readonly [ScopeResource, Access];

/**
 * 403 insufficient-scope (its `requiredScope` listing every scope that would do) unless the
 * principal has one of `needs`; with `hidden`, that error instead (a 404 that does not
 * reveal what the caller may not see).
 */
export function requireAnyScope(principal: Principal, needs: readonly ScopeNeed[], hidden?: () => BatonError): void {
  if (needs.some(([resource, access]) => hasScope(principal, resource, access))) return;
  if (hidden) throw hidden();
  const scopes = [...new Set(needs.flatMap(([resource, access]) => [`OR.${resource}`, `OR.${resource}.${access}`]))];
  const listed = scopes.length > 1 ? `${scopes.slice(0, -1).join(", ")} or ${scopes[scopes.length - 1]}` : scopes.join("");
  throw new BatonError(403, "insufficient-scope", "Forbidden", `This token lacks the scope ${listed}.`, { extra: { requiredScope: scopes } });
}

/** Reading jobs needs Jobs read or write alike: a caller may read what it invoked. */
export function mayReadJobs(principal: Principal): boolean {
  return hasScope(principal, "Jobs", "Read") || hasScope(principal, "Jobs", "Write");
}

export function requireJobsRead(principal: Principal): void {
  if (!mayReadJobs(principal)) requireScope(principal, "Jobs", "Read");
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
