import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { conflict, notFound } from "../../core/errors.js";
import { can, requirePermission } from "../../core/permissionChecks.js";
import { audited } from "../audit.js";
import { principal, type HttpContext } from "../context.js";
import { answer, noContent } from "../schemas/common.js";
import { CreatedPersonalAccessToken, CreateToken, PersonalAccessTokenPage, TokenId } from "../schemas/tokens.js";

/**
 * Personal access tokens under `…/api/v1/tokens` (`OR.Users`): every user lists and creates
 * its own; with Users.View, everyone's are listed, and revoking another user's takes
 * Users.Edit (checked here, on the token: the route's config says so with `checkedBy`).
 */
export function tokenRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { access, users } = ctx.baton;

  api.get("/api/v1/tokens", {
    schema: {
      operationId: "listTokens", tags: ["Tokens"], summary: "List personal access tokens",
      description: "Secrets are never shown again after creation. Lists the caller's own tokens, or, with `Users.View`, every token of the tenant.",
      response: { 200: answer("The tokens, revoked ones included.", PersonalAccessTokenPage) },
    },
    config: { access: { scope: ["Users", "Read"] } },
  }, async (request) => {
    const p = await principal(ctx, request);
    const items = (await access.listTokens(request.tenant.id)).filter((t) => can(p, "Users.View") || (p.userId !== null && t.userId === p.userId));
    return { items, nextCursor: null };
  });

  api.post("/api/v1/tokens", {
    schema: {
      operationId: "createToken", tags: ["Tokens"], summary: "Create a personal access token",
      description: "The new token belongs to the caller's user and acts with that user's permissions. Its scopes can be no wider than those of the caller's own credential " +
        "(`OR.X` covers `OR.X.Read` and `OR.X.Write`): any other is 403 insufficient-scope, with `requiredScope` listing them. A caller without a user (an external application) " +
        "cannot create one: 403 token-needs-user.",
      body: CreateToken,
      response: { 201: answer("The token, with its secret `token`: shown only this once.", CreatedPersonalAccessToken) },
    },
    config: {
      access: { scope: ["Users", "Write"] },
      errors: { invalid: "invalid-token", badRequest: ["invalid-scopes", "token-outlives-creator"], forbidden: ["token-needs-user"] },
    },
  }, async (request, reply) => {
    const p = await principal(ctx, request);
    const { token, secret } = await audited(ctx, request, () => access.createTokenFor(request.tenant.id, p, request.body),
      ({ token }) => ["token.create", token.id, { name: token.name, scopes: token.scopes, expiresAt: token.expiresAt }]);
    reply.code(201);
    return { ...token, token: secret };
  });

  api.delete("/api/v1/tokens/:id", {
    schema: {
      operationId: "revokeToken", tags: ["Tokens"], summary: "Revoke a personal access token",
      params: TokenId,
      response: { 204: noContent("Revoked (also when it already was).") },
    },
    config: {
      access: {
        scope: ["Users", "Write"], permission: "Users.Edit", checkedBy: "handler",
        permissionNote: "none for the caller's own tokens; another user's token needs `Users.Edit` (without `Users.View` it is answered 404 token-not-found); " +
          "a token of a user of the organization (the `admin`'s bootstrap token) only that user or an organization administrator may revoke (409 user-of-organization).",
      },
      errors: { notFound: ["token-not-found"], conflict: ["user-of-organization"] },
    },
  }, async (request, reply) => {
    const p = await principal(ctx, request);
    const id = request.params.id;
    const token = (await access.listTokens(request.tenant.id)).find((t) => t.id === id);
    const own = token !== undefined && p.userId !== null && token.userId === p.userId;
    if (!own) requirePermission(p, "Users.Edit", null, can(p, "Users.View") ? undefined : () => tokenNotFound(id));
    // a token of a user of the organization (admin's bootstrap token) is the organization's: a
    // tenant's administrator may not revoke it, only that user or an organization administrator
    if (token?.userId && !own && !p.orgAdmin && (await users.getOrThrow(request.tenant, token.userId).catch(() => null))?.tenantId === null) {
      throw conflict("user-of-organization", "This token belongs to a user of the organization; only that user or an administrator of the organization may revoke it.");
    }
    await audited(ctx, request, () => access.revokeToken(request.tenant.id, id), () => ["token.revoke", id]);
    return reply.code(204).send(null);
  });
}

const tokenNotFound = (id: string) => notFound("token-not-found", `No token with id '${id}' exists in this tenant.`);
