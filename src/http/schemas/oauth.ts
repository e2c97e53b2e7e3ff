/**
 * The OAuth 2.0 token endpoint's form and answers (routes/externalApps.ts, RFC 6749 §4.4):
 * its errors are RFC 6749 §5.2 JSON, not problem+json, and every answer but a 5xx is not
 * cached (`Cache-Control: no-store`, `Pragma: no-cache`, RFC 6749 §5.1).
 */
import { Type } from "typebox";
import { StringEnum } from "./common.js";
import { named } from "./named.js";

/** the form is read by the handler (readTokenRequest), which answers each fault the RFC 6749 way */
export const TokenRequest = named("TokenRequest", Type.Object({
  grant_type: Type.Literal("client_credentials"),
  client_id: Type.Optional(Type.String({ description: "With client_secret, unless the client authenticates with HTTP Basic." })),
  client_secret: Type.Optional(Type.String({ description: "Not with HTTP Basic: one client authentication method per request." })),
  scope: Type.Optional(Type.String({
    description: "Space-separated scopes, each granted to the application (`OR.X.Read` and `OR.X.Write` are granted by `OR.X`); absent: all of the application's.",
  })),
}, { additionalProperties: true, description: "RFC 6749 §4.4.2. Each parameter at most once; unknown parameters are ignored." }));

export const AccessTokenResponse = named("AccessTokenResponse", Type.Object({
  access_token: Type.String({
    pattern: "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
    description: "A JWT (`typ: at+jwt`, ES256) with `iss` (the organization's identity URL), `sub` and `client_id` (the client id), `aud: baton`, `tenant_id`, `scope`, `jti`, `iat`, `exp`. " +
      "Send it as `Authorization: Bearer`; treat it as opaque.",
  }),
  token_type: Type.Literal("Bearer"),
  expires_in: Type.Literal(3600, { description: "Seconds: one hour." }),
  scope: Type.String({ description: "The granted scopes, space-separated." }),
}));

export const OAUTH_ERRORS = ["invalid_request", "invalid_client", "invalid_scope", "unsupported_grant_type"] as const;
export type OAuthErrorCode = (typeof OAUTH_ERRORS)[number];

export const OAuthError = named("OAuthError", Type.Object({
  error: StringEnum(OAUTH_ERRORS),
  error_description: Type.Optional(Type.String({ description: "For people; never holds a secret." })),
}, { description: "RFC 6749 §5.2 (application/json, not problem+json)." }));

/**
 * RFC 6749 §5.1: not cached. (`required: true` is the document's header flag, lifted out of
 * the schema by openapiRoutes.ts routeOperation.)
 */
export const NO_STORE_NO_CACHE = {
  "Cache-Control": { type: "string", const: "no-store", description: "`no-store`.", required: true },
  Pragma: { type: "string", const: "no-cache", description: "`no-cache`.", required: true },
} as const;

const codeList = (codes: readonly string[]) => codes.map((c) => `\`${c}\``).join(", ");

/** An OAuth error answer of the token endpoint, with the errors it may carry in its description. */
export const oauthErrorAnswer = (description: string, errors: readonly OAuthErrorCode[], headers: Record<string, unknown> = {}) => ({
  description: `${description} Errors: ${codeList(errors)}.`,
  content: { "application/json": { schema: OAuthError } },
  headers: { ...NO_STORE_NO_CACHE, ...headers },
}) as const;
