/** Personal access tokens (routes/tokens.ts). */
import { Type } from "typebox";
import { ALL_SCOPES } from "../../core/scopes.js";
import { DateTime, NullableDateTime, Page, StringEnum, Uuid } from "./common.js";
import { named } from "./named.js";

export const Scope = named("Scope", StringEnum(ALL_SCOPES, {
  description: "`OR.X` grants read and write on X; `OR.X.Read` and `OR.X.Write` one of them.",
}));

const tokenProperties = {
  id: Uuid(),
  userId: Type.Union([Type.String(), Type.Null()]),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  scopes: Type.Array(Scope),
  createdAt: DateTime(),
  expiresAt: NullableDateTime(),
  revokedAt: NullableDateTime(),
  lastUsedAt: NullableDateTime(),
};

export const PersonalAccessToken = named("PersonalAccessToken", Type.Object(tokenProperties));
export const PersonalAccessTokenPage = named("PersonalAccessTokenPage", Page(PersonalAccessToken, false));
export const CreatedPersonalAccessToken = named("CreatedPersonalAccessToken", Type.Object({
  ...tokenProperties,
  token: Type.String({ pattern: "^baton_pat_", description: "The secret: shown only in this answer; only its hash is stored." }),
}));
/**
 * The shape only: the name's, the scopes' (400 invalid-scopes) and the expiry's rules are the
 * core's (Access.createTokenFor), which names the fault.
 */
export const CreateToken = named("CreateToken", Type.Object({
  name: Type.String({ description: "1-200 characters, not only whitespace." }),
  scopes: Type.Array(Type.String(), { description: "At least one of the scopes (`Scope`); none wider than the caller's own credential's." }),
  expiresAt: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "An ISO 8601 date-time in the future; null or absent for a token that does not expire." })),
}, { additionalProperties: true, description: "Unknown fields are ignored." }));

export const TokenId = Type.Object({ id: Type.String({ description: "The token's id (a UUID; any other is answered 404 token-not-found)." }) });
