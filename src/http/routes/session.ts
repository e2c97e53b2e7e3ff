import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { unauthorized } from "../../core/errors.js";
import { renderPermissions } from "../../core/Permissions.js";
import { CONSOLE_SESSION_SECONDS, SESSION_COOKIE } from "../../core/Users.js";
import type { Principal, User } from "../../core/types.js";
import { clientIp, recordAudit } from "../audit.js";
import { principal, sessionCookie, type HttpContext } from "../context.js";
import { answer, noContent } from "../schemas/common.js";
import { ConsoleSession, Login, PasswordChange, SetCookie } from "../schemas/session.js";
import { origin } from "../urls.js";

/**
 * Console logins under `…/orchestrator_/api/v1/session`: a password login sets an HttpOnly,
 * SameSite=Strict cookie scoped to the tenant's path, and answers the CSRF token that
 * every change made with the cookie must send back in `X-CSRF-Token`.
 */
const tags = ["Console"];
export function sessionRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { users } = ctx.baton;

  // a login is the one route whose body comes from a caller without a credential
  api.post("/api/v1/session", {
    schema: {
      operationId: "login", tags, summary: "Log in to the console (password)",
      description: [
        "Checks a user's password and opens a console session of 12 hours: the answer sets the `baton_session` cookie (HttpOnly, SameSite=Strict, `Path=/{org}/{tenant}/orchestrator_`, " +
          "Secure when the request came over HTTPS) and carries the `csrfToken` that every change made with the cookie must send as `X-CSRF-Token`. " +
          "A user of this tenant may log in, and an administrator of the organization; a disabled user may not.",
        "Failed logins are throttled on each node: after 5 failures for one user name (20 for one address; an IPv6 address counts as its /64), each further attempt must wait, the waits doubling from 1 s up to 15 min; " +
          "a success clears the name's count. While throttled, the answer is 429 login-throttled with `Retry-After`, whether the password is right or not.",
      ].join("\n\n"),
      body: Login,
      response: {
        200: {
          ...answer("Logged in: the user, its permissions here, and the CSRF token.", ConsoleSession),
          headers: SetCookie("The session cookie: `baton_session=…; Path=/{org}/{tenant}/orchestrator_; Max-Age=43200; HttpOnly; SameSite=Strict[; Secure]`."),
        },
      },
    },
    config: {
      access: "public", authBeforeBody: "none",
      errors: {
        invalid: "invalid-login",
        unauthorized: { codes: ["invalid-credentials"], description: "The user name or password is wrong, or the user is disabled (the answer does not say which)." },
        tooMany: { codes: ["login-throttled"], description: "Too many failed logins for this user name or from this address (an IPv6 address counts as its /64), or too many password checks waiting, on this node: retry after `Retry-After` seconds." },
      },
    },
  }, async (request, reply) => {
    const address = clientIp(request, ctx.config.trustProxy) ?? "unknown";
    let login;
    try {
      // the console session and its audit entry: one transaction
      login = await users.login(request.tenant, request.body, address,
        (l) => recordAudit(ctx, request, l.principal, { action: "session.login", target: l.user.id, details: { name: l.user.name } }));
    } catch (err) {
      // who tried, from where; never the password
      request.log.warn({ userName: request.body.userName.slice(0, 128), address, code: (err as { code?: string }).code }, "console login refused");
      throw err;
    }
    reply.header("set-cookie", cookie(request, ctx, login.cookie, CONSOLE_SESSION_SECONDS));
    return renderSession(login.user, login.principal, login.expiresAt);
  });

  api.get("/api/v1/session", {
    schema: {
      operationId: "getSession", tags, summary: "The current console session",
      description: "The session's user, its permissions in this tenant, and its CSRF token (for a console reloaded in the browser).",
      response: { 200: answer("The session (without `expiresAt`).", ConsoleSession) },
    },
    config: { access: { scope: null, cookieOnly: true } },
  }, async (request) => {
    const who = await sessionPrincipal(ctx, request);
    const user = await users.getOrThrow(request.tenant, who.userId!);
    return renderSession(user, who, null);
  });

  // a user's own password (a console session, or a token of the user); ends its console sessions
  api.post("/api/v1/session/password", {
    schema: {
      operationId: "changeOwnPassword", tags, summary: "Change your own password",
      description: "Any user, the organization's `admin` included, with a console session (and `X-CSRF-Token`) or a token of that user. The current password is checked " +
        "(wrong ones are throttled like logins); every console session of the user ends and the answer clears the cookie.",
      body: PasswordChange,
      response: { 204: { ...noContent("Changed; log in again."), headers: SetCookie("Clears the cookie: `baton_session=; …; Max-Age=0; …`.") } },
    },
    config: {
      access: { scope: null },
      errors: {
        invalid: "invalid-password-change", badRequest: ["invalid-user"], forbidden: ["wrong-password", "token-needs-user"],
        tooMany: {
          codes: ["login-throttled", "password-hashing-busy", "rate-limited"],
          description: "Too many wrong passwords for this user or from this address, or too many password checks waiting, on this node (login-throttled); the new password's hash waiting behind too many on this node (password-hashing-busy: nothing was changed); or the token's rate limit: retry after `Retry-After` seconds.",
        },
      },
    },
  }, async (request, reply) => {
    const who = await principal(ctx, request);
    await users.changeOwnPassword(request.tenant, who, request.body, clientIp(request, ctx.config.trustProxy) ?? "unknown",
      () => recordAudit(ctx, request, who, { action: "user.password", target: who.userId }));
    return reply.code(204).header("set-cookie", cookie(request, ctx, "", 0)).send(null);
  });

  api.delete("/api/v1/session", {
    schema: {
      operationId: "logout", tags, summary: "Log out",
      description: "Ends the session (on every node) and clears the cookie. Like every change made with the cookie, it needs `X-CSRF-Token`.",
      response: { 204: { ...noContent("Logged out."), headers: SetCookie("Clears the cookie: `baton_session=; …; Max-Age=0; …`.") } },
    },
    config: { access: { scope: null, cookieOnly: true } },
  }, async (request, reply) => {
    const who = await sessionPrincipal(ctx, request);
    await users.logout(request.tenant.id, sessionCookie(request)!, () => recordAudit(ctx, request, who, { action: "session.logout", target: who.userId }));
    return reply.code(204).header("set-cookie", cookie(request, ctx, "", 0)).send(null);
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
    csrfToken: who.csrfToken!, // a session's principal always has one
    ...(expiresAt ? { expiresAt } : {}),
  };
}
