import type { FastifyInstance, FastifyRequest } from "fastify";
import { unauthorized } from "../../core/errors.js";
import { renderPermissions } from "../../core/Permissions.js";
import { CONSOLE_SESSION_SECONDS, SESSION_COOKIE } from "../../core/Users.js";
import type { Principal, User } from "../../core/types.js";
import { clientIp, recordAudit } from "../audit.js";
import { json, principal, sessionCookie, type HttpContext } from "../context.js";
import { origin } from "../urls.js";

/**
 * Console logins under `…/orchestrator_/api/v1/session`: a password login sets an HttpOnly,
 * SameSite=Strict cookie scoped to the tenant's path, and answers the CSRF token that
 * every change made with the cookie must send back in `X-CSRF-Token`.
 */
export function sessionRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { users } = ctx.baton;

  // a login is the one route whose body comes from a caller without a credential
  app.post("/api/v1/session", { config: { authBeforeBody: "none" } }, async (request, reply) => {
    const address = clientIp(request, ctx.config.trustProxy) ?? "unknown";
    let login;
    try {
      // the console session and its audit entry: one transaction
      login = await users.login(request.tenant, request.body, address,
        (l) => recordAudit(ctx, request, l.principal, { action: "session.login", target: l.user.id, details: { name: l.user.name } }));
    } catch (err) {
      // who tried, from where; never the password
      const userName = (request.body as { userName?: unknown } | undefined)?.userName;
      request.log.warn({ userName: typeof userName === "string" ? userName.slice(0, 128) : undefined, address, code: (err as { code?: string }).code }, "console login refused");
      throw err;
    }
    reply.header("set-cookie", cookie(request, ctx, login.cookie, CONSOLE_SESSION_SECONDS));
    return json(reply, 200, renderSession(login.user, login.principal, login.expiresAt));
  });

  app.get("/api/v1/session", async (request, reply) => {
    const who = await sessionPrincipal(ctx, request);
    const user = await users.getOrThrow(request.tenant, who.userId!);
    return json(reply, 200, renderSession(user, who, null));
  });

  // a user's own password (a console session, or a token of the user); ends its console sessions
  app.post("/api/v1/session/password", async (request, reply) => {
    const who = await principal(ctx, request);
    await users.changeOwnPassword(request.tenant, who, request.body, clientIp(request, ctx.config.trustProxy) ?? "unknown",
      () => recordAudit(ctx, request, who, { action: "user.password", target: who.userId }));
    return reply.code(204).header("set-cookie", cookie(request, ctx, "", 0)).send();
  });

  app.delete("/api/v1/session", async (request, reply) => {
    const who = await sessionPrincipal(ctx, request);
    await users.logout(request.tenant.id, sessionCookie(request)!, () => recordAudit(ctx, request, who, { action: "session.logout", target: who.userId }));
    return reply.code(204).header("set-cookie", cookie(request, ctx, "", 0)).send();
  });
}

/** The request's console session (a bearer token is not a session: 401). */
async function sessionPrincipal(ctx: HttpContext, request: FastifyRequest): Promise<Principal> {
  const who = await principal(ctx, request);
  if (who.kind !== "session") {
    throw unauthorized("This route is for console sessions (log in with POST …/api/v1/session); a bearer token has none.");
  }
  return who;
}

function cookie(request: FastifyRequest, ctx: HttpContext, value: string, maxAge: number): string {
  const t = request.tenant;
  const path = `/${encodeURIComponent(t.org)}/${encodeURIComponent(t.name)}/orchestrator_`;
  const secure = origin(request, ctx.config).startsWith("https:") ? "; Secure" : "";
  return `${SESSION_COOKIE}=${value}; Path=${path}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`;
}

function renderSession(user: User, who: Principal, expiresAt: string | null) {
  return {
    user: { id: user.id, name: user.name, orgAdmin: user.orgAdmin, roles: user.roles },
    permissions: renderPermissions(who.permissions),
    csrfToken: who.csrfToken,
    ...(expiresAt ? { expiresAt } : {}),
  };
}
