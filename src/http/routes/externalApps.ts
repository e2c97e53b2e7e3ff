import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { OAuthError } from "../../core/ExternalApps.js";
import type { ExternalApp } from "../../core/types.js";
import { recordAudit } from "../audit.js";
import type { HttpContext } from "../context.js";
import { sendProblem, toBatonError } from "../problem.js";
import { answer, noContent } from "../schemas/common.js";
import { bodyCheckedByCore } from "../coreChecked.js";
import { AccessTokenResponse, NO_STORE_NO_CACHE, oauthErrorAnswer, TokenRequest } from "../schemas/oauth.js";
import { AppParams, CreatedExternalApp, CreateExternalApp, ExternalAppPage, OrgParams, RotatedExternalAppSecret } from "../schemas/organization.js";
import { origin } from "../urls.js";

/** RFC 6749 §5.1: answers carrying a client secret are not cached. */
const NO_STORE = { "Cache-Control": { type: "string", const: "no-store", description: "`no-store`." } };

/** A token request is a handful of short parameters: anything larger is refused (413). */
export const TOKEN_REQUEST_BODY_LIMIT = 8 * 1024;
const FORM = "application/x-www-form-urlencoded";

/** `{origin}/{org}/identity_`: the organization's identity URL, the `iss` of its access tokens. */
export function identityUrl(request: FastifyRequest, ctx: HttpContext, org: string): string {
  return `${origin(request, ctx.config)}/${encodeURIComponent(org)}/identity_`;
}

/** What the management API shows of an application (the schema leaves out its organization and tenant id). */
function renderExternalApp(app: ExternalApp) {
  return { ...app, tenant: app.tenantName };
}

const ORG_ADMIN = { access: { scope: null, orgAdmin: true }, authBeforeBody: "orgAdmin" } as const;
const tags = ["External applications"];

/**
 * External applications (organization administrators) under `{base}/{org}/api/v1`, and the
 * OAuth 2.0 token endpoint `{base}/{org}/identity_/connect/token` (client credentials,
 * RFC 6749 §4.4), whose form the handler reads and whose answers and errors are RFC 6749's
 * JSON, not problem+json (schemas/oauth.ts), none of them cached.
 */
export function externalAppRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { baton } = ctx;
  const apps = baton.access.externalApps;
  const admin = (request: { params: { org: string }; headers: FastifyRequest["headers"] }) => baton.access.authenticateOrgAdmin(request.params.org, request.headers.authorization);

  api.get("/:org/api/v1/external-apps", {
    schema: {
      operationId: "listExternalApps", tags, summary: "List the organization's external applications",
      description: "For administrators of the organization. Revoked applications included; secrets are never shown again.",
      params: OrgParams,
      response: { 200: answer("The applications.", ExternalAppPage) },
    },
    config: ORG_ADMIN,
  }, async (request) => ({ items: (await apps.list(request.params.org)).map(renderExternalApp), nextCursor: null }));

  api.post("/:org/api/v1/external-apps", {
    schema: {
      operationId: "createExternalApp", tags, summary: "Create an external application (an OAuth confidential client)",
      description: "For administrators of the organization. The application gets access tokens for its tenant from `{origin}/{org}/identity_/connect/token` with its client id and secret.",
      params: OrgParams, body: CreateExternalApp,
      response: { 201: { ...answer("The application, with its `clientSecret`: shown only this once.", CreatedExternalApp), headers: NO_STORE } },
    },
    config: { ...ORG_ADMIN, errors: { invalid: "invalid-external-app", badRequest: ["invalid-scopes"], conflict: ["external-app-exists"] } },
  }, async (request, reply) => {
    const who = await admin(request);
    const { app: created, clientSecret } = await baton.store.transaction(async () => {
      const result = await apps.create(request.params.org, request.body);
      const { app } = result;
      await recordAudit(ctx, request, who, { action: "external-app.create", target: app.clientId, details: { name: app.name, tenant: app.tenantName, scopes: app.scopes } }, app.tenantId);
      return result;
    });
    reply.header("cache-control", "no-store").code(201);
    return { ...renderExternalApp(created), clientSecret, tokenUrl: `${identityUrl(request, ctx, request.params.org)}/connect/token` };
  });

  api.post("/:org/api/v1/external-apps/:clientId/secret", {
    schema: {
      operationId: "rotateExternalAppSecret", tags, summary: "Rotate an external application's secret",
      description: "For administrators of the organization. The new secret is shown only this once; the old one, and every access token obtained with it, stop working at once.",
      params: AppParams,
      response: { 200: { ...answer("The new secret.", RotatedExternalAppSecret), headers: NO_STORE } },
    },
    config: { ...ORG_ADMIN, errors: { notFound: ["external-app-not-found"], conflict: ["external-app-revoked"] } },
  }, async (request, reply) => {
    const who = await admin(request);
    const { app: rotated, clientSecret } = await baton.store.transaction(async () => {
      const result = await apps.rotateSecret(request.params.org, request.params.clientId);
      await recordAudit(ctx, request, who, { action: "external-app.rotate-secret", target: result.app.clientId, details: { name: result.app.name } }, result.app.tenantId);
      return result;
    });
    reply.header("cache-control", "no-store");
    return { clientId: rotated.clientId, clientSecret, secretRotatedAt: rotated.secretRotatedAt! };
  });

  api.delete("/:org/api/v1/external-apps/:clientId", {
    schema: {
      operationId: "revokeExternalApp", tags, summary: "Revoke an external application",
      description: "For administrators of the organization. It gets no more tokens, and the tokens it holds stop working at once.",
      params: AppParams,
      response: { 204: noContent("Revoked (also when it already was).") },
    },
    config: { ...ORG_ADMIN, errors: { notFound: ["external-app-not-found"] } },
  }, async (request, reply) => {
    const who = await admin(request);
    await baton.store.transaction(async () => {
      await apps.revoke(request.params.org, request.params.clientId);
      // the audit entry goes to the application's tenant
      const revoked = (await baton.store.findExternalAppByClientId(request.params.clientId))?.app;
      await recordAudit(ctx, request, who, { action: "external-app.revoke", target: request.params.clientId, details: { name: revoked?.name ?? null } }, revoked?.tenantId ?? null);
    });
    return reply.code(204).send(null);
  });

  // The token endpoint, in a scope of its own: a form parser for it alone, and RFC 6749 errors.
  app.register(async (scope) => {
    const tokenApi = scope.withTypeProvider<TypeBoxTypeProvider>();
    scope.removeAllContentTypeParsers();
    // every body arrives as text (at most TOKEN_REQUEST_BODY_LIMIT bytes); the handler checks the content type
    scope.addContentTypeParser("*", { parseAs: "string", bodyLimit: TOKEN_REQUEST_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.setErrorHandler((err, request, reply) => {
      if (err instanceof OAuthError) return sendOAuthError(reply, err, false);
      const e = toBatonError(err);
      // a body too large, a malformed request: the request's fault, said the OAuth way
      if (e.status < 500) return noStore(reply).code(e.status).send({ error: "invalid_request", error_description: e.message });
      return sendProblem(request, reply, err);
    });

    tokenApi.post("/:org/identity_/connect/token", {
      schema: {
        operationId: "requestAccessToken", tags: ["OAuth"], summary: "Get an access token (OAuth 2.0 client credentials)",
        description: [
          "The client-credentials grant of RFC 6749 §4.4 for the organization's external applications. The client authenticates with `client_id` and `client_secret` in the form, " +
            "or with HTTP Basic (RFC 6749 §2.3.1), not both. `scope` (space-separated) narrows the token to some of the application's scopes; without it, the token has all of them.",
          "The access token is a JWT valid for an hour in the application's tenant, accepted wherever a personal access token is (`Authorization: Bearer`). " +
            "Rotating the application's secret or revoking the application ends it at once. There is no refresh token: ask for a new one.",
          "Errors are RFC 6749 §5.2 JSON (`error`, `error_description`), not problem+json; 5xx answers are problems as everywhere else.",
        ].join("\n\n"),
        params: OrgParams,
        body: { content: { [FORM]: { schema: TokenRequest } } },
        response: {
          200: { ...answer("The access token.", AccessTokenResponse), headers: NO_STORE_NO_CACHE },
          400: oauthErrorAnswer(
            "A missing or repeated parameter, two client authentication methods, or a body that is not `application/x-www-form-urlencoded` (`invalid_request`); " +
              "a grant type other than `client_credentials` (`unsupported_grant_type`); a scope the application does not have (`invalid_scope`).",
            ["invalid_request", "unsupported_grant_type", "invalid_scope"],
          ),
          401: oauthErrorAnswer("Client authentication failed: no credentials, an unknown client, a wrong secret or a revoked application.", ["invalid_client"], {
            "WWW-Authenticate": { type: "string", pattern: "^Basic", description: "`Basic realm=\"baton\"`, when the client used HTTP Basic." },
          }),
          413: oauthErrorAnswer(`The body is over ${TOKEN_REQUEST_BODY_LIMIT / 1024} KiB.`, ["invalid_request"]),
        },
      },
      // the client's credentials, in the form or HTTP Basic: checked by the handler, answered the RFC 6749 way
      config: { access: "clientCredentials" },
      // the form is read and checked by the handler (readTokenRequest), each fault an RFC 6749 error
      validatorCompiler: bodyCheckedByCore,
    }, async (request, reply) => {
      const basic = /^Basic\b/i.test(request.headers.authorization ?? "");
      try {
        const form = readTokenRequest(request);
        const issued = await apps.issueToken({ ...form, org: request.params.org, issuer: identityUrl(request, ctx, request.params.org) });
        noStore(reply).code(200);
        return { access_token: issued.accessToken, token_type: "Bearer" as const, expires_in: 3600 as const, scope: issued.scope };
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

/** RFC 6749 §5.2 (serialized by the status's OAuthError schema); a client that authenticated with HTTP Basic is told how to retry (WWW-Authenticate). */
function sendOAuthError(reply: FastifyReply, err: OAuthError, basic: boolean): FastifyReply {
  if (err.status === 401 && basic) reply.header("www-authenticate", 'Basic realm="baton", charset="UTF-8"');
  return noStore(reply).code(err.status).send({ error: err.error, error_description: err.description });
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
function readTokenRequest(request: FastifyRequest): { clientId: string; clientSecret: string; scope: string | undefined } {
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
