import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { OAuthError } from "../../core/ExternalApps.js";
import type { ExternalApp } from "../../core/types.js";
import { recordAudit } from "../audit.js";
import { json, type HttpContext } from "../context.js";
import { sendProblem, toBatonError } from "../problem.js";
import { origin } from "../urls.js";

type OrgReq = FastifyRequest<{ Params: { org: string }; Body: unknown }>;
type AppReq = FastifyRequest<{ Params: { org: string; clientId: string }; Body: unknown }>;

/** A token request is a handful of short parameters: anything larger is refused (413). */
export const TOKEN_REQUEST_BODY_LIMIT = 8 * 1024;
const FORM = "application/x-www-form-urlencoded";

/** `{origin}/{org}/identity_`: the organization's identity URL, the `iss` of its access tokens. */
export function identityUrl(request: FastifyRequest, ctx: HttpContext, org: string): string {
  return `${origin(request, ctx.config)}/${encodeURIComponent(org)}/identity_`;
}

/** What the management API shows of an application: never its secret. */
export function renderExternalApp(app: ExternalApp) {
  return {
    id: app.id, name: app.name, clientId: app.clientId, tenant: app.tenantName, scopes: app.scopes,
    createdAt: app.createdAt, secretRotatedAt: app.secretRotatedAt, revokedAt: app.revokedAt,
  };
}

/**
 * External applications (organization administrators) under `{base}/{org}/api/v1`, and the
 * OAuth 2.0 token endpoint `{base}/{org}/identity_/connect/token` (client credentials,
 * RFC 6749 §4.4), whose answers and errors are RFC 6749's JSON, not problem+json.
 */
export function externalAppRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { baton } = ctx;
  /** the credential is checked before a body is read */
  const byOrgAdmin = { config: { authBeforeBody: "orgAdmin" as const } };
  const apps = baton.access.externalApps;

  app.get("/:org/api/v1/external-apps", async (request: OrgReq, reply) => {
    await baton.access.authenticateOrgAdmin(request.params.org, request.headers.authorization);
    const items = await apps.list(request.params.org);
    return json(reply, 200, { items: items.map(renderExternalApp), nextCursor: null });
  });

  app.post("/:org/api/v1/external-apps", byOrgAdmin, async (request: OrgReq, reply) => {
    const who = await baton.access.authenticateOrgAdmin(request.params.org, request.headers.authorization);
    const { app: created, clientSecret } = await baton.store.transaction(async () => {
      const result = await apps.create(request.params.org, (request.body ?? {}) as Record<string, unknown>);
      const { app } = result;
      await recordAudit(ctx, request, who, { action: "external-app.create", target: app.clientId, details: { name: app.name, tenant: app.tenantName, scopes: app.scopes } }, app.tenantId);
      return result;
    });
    reply.header("cache-control", "no-store");
    return json(reply, 201, { ...renderExternalApp(created), clientSecret, tokenUrl: `${identityUrl(request, ctx, request.params.org)}/connect/token` });
  });

  app.post("/:org/api/v1/external-apps/:clientId/secret", byOrgAdmin, async (request: AppReq, reply) => {
    const who = await baton.access.authenticateOrgAdmin(request.params.org, request.headers.authorization);
    const { app: rotated, clientSecret } = await baton.store.transaction(async () => {
      const result = await apps.rotateSecret(request.params.org, request.params.clientId);
      await recordAudit(ctx, request, who, { action: "external-app.rotate-secret", target: result.app.clientId, details: { name: result.app.name } }, result.app.tenantId);
      return result;
    });
    reply.header("cache-control", "no-store");
    return json(reply, 200, { clientId: rotated.clientId, clientSecret, secretRotatedAt: rotated.secretRotatedAt });
  });

  app.delete("/:org/api/v1/external-apps/:clientId", byOrgAdmin, async (request: AppReq, reply) => {
    const who = await baton.access.authenticateOrgAdmin(request.params.org, request.headers.authorization);
    await baton.store.transaction(async () => {
      await apps.revoke(request.params.org, request.params.clientId);
      // the audit entry goes to the application's tenant
      const revoked = (await baton.store.findExternalAppByClientId(request.params.clientId))?.app;
      await recordAudit(ctx, request, who, { action: "external-app.revoke", target: request.params.clientId, details: { name: revoked?.name ?? null } }, revoked?.tenantId ?? null);
    });
    return reply.code(204).send();
  });

  // The token endpoint, in a scope of its own: a form parser for it alone, and RFC 6749 errors.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // every body arrives as text (at most TOKEN_REQUEST_BODY_LIMIT bytes); the handler checks the content type
    scope.addContentTypeParser("*", { parseAs: "string", bodyLimit: TOKEN_REQUEST_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.setErrorHandler((err, request, reply) => {
      if (err instanceof OAuthError) return sendOAuthError(reply, err, false);
      const e = toBatonError(err);
      // a body too large, a malformed request: the request's fault, said the OAuth way
      if (e.status < 500) return noStore(reply).code(e.status).type("application/json; charset=utf-8").send(JSON.stringify({ error: "invalid_request", error_description: e.message }));
      return sendProblem(request, reply, err);
    });

    scope.post("/:org/identity_/connect/token", async (request: OrgReq, reply) => {
      const basic = /^Basic\b/i.test(request.headers.authorization ?? "");
      try {
        const form = readTokenRequest(request);
        const issued = await apps.issueToken({ ...form, org: request.params.org, issuer: identityUrl(request, ctx, request.params.org) });
        return noStore(reply).code(200).type("application/json; charset=utf-8").send(JSON.stringify({
          access_token: issued.accessToken, token_type: "Bearer", expires_in: issued.expiresIn, scope: issued.scope,
        }));
      } catch (err) {
        if (err instanceof OAuthError) return sendOAuthError(reply, err, basic);
        throw err;
      }
    });
  });
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header("cache-control", "no-store").header("pragma", "no-cache");
}

/** RFC 6749 §5.2; a client that authenticated with HTTP Basic is told how to retry (WWW-Authenticate). */
function sendOAuthError(reply: FastifyReply, err: OAuthError, basic: boolean): FastifyReply {
  if (err.status === 401 && basic) reply.header("www-authenticate", 'Basic realm="baton", charset="UTF-8"');
  return noStore(reply).code(err.status).type("application/json; charset=utf-8").send(JSON.stringify({ error: err.error, error_description: err.description }));
}

const invalidRequest = (description: string) => new OAuthError(400, "invalid_request", description);
const invalidClient = () => new OAuthError(401, "invalid_client", "Client authentication failed.");

/** `application/x-www-form-urlencoded` decoding of one Basic credential part (RFC 6749 §2.3.1). */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    throw invalidClient();
  }
}

/** The parameters of a client-credentials request, with the client's credentials from the body or from HTTP Basic (not both). */
function readTokenRequest(request: OrgReq): { clientId: string; clientSecret: string; scope: string | undefined } {
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== FORM) throw invalidRequest(`The body must be ${FORM}.`);
  const params = new URLSearchParams(typeof request.body === "string" ? request.body : "");
  const one = (name: string): string | undefined => {
    const values = params.getAll(name);
    if (values.length > 1) throw invalidRequest(`The parameter ${name} is given more than once.`);
    return values[0];
  };
  const grantType = one("grant_type");
  const scope = one("scope");
  let clientId = one("client_id");
  let clientSecret = one("client_secret");
  if (!grantType) throw invalidRequest("The parameter grant_type is required.");
  if (grantType !== "client_credentials") throw new OAuthError(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported.");

  const authorization = request.headers.authorization ?? "";
  if (/^Basic\b/i.test(authorization)) {
    if (clientSecret !== undefined) throw invalidRequest("Use one client authentication method: HTTP Basic or client_secret in the body, not both.");
    const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(authorization);
    const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    if (colon < 0) throw invalidClient();
    const basicId = formDecode(decoded.slice(0, colon));
    if (clientId !== undefined && clientId !== basicId) throw invalidRequest("client_id in the body is not the client of the Authorization header.");
    clientId = basicId;
    clientSecret = formDecode(decoded.slice(colon + 1));
  } else if (clientId === undefined && clientSecret === undefined) {
    throw invalidClient();
  } else if (!clientId || clientSecret === undefined) {
    throw invalidRequest("Both client_id and client_secret are required (or HTTP Basic authentication).");
  }
  if (!clientId || !clientSecret) throw invalidClient();
  return { clientId, clientSecret, scope };
}
