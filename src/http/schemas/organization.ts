/** The organization's own resources: its tenants and its external applications (routes/organization.ts, routes/externalApps.ts). */
import { Type } from "typebox";
import { DateTime, Page, Uuid } from "./common.js";
import { named } from "./named.js";
import { Scope } from "./tokens.js";

export const OrgParams = Type.Object({ org: Type.String({ description: "The organization." }) });

export const Tenant = named("Tenant", Type.Object({ id: Uuid(), name: Type.String() }));
export const TenantPage = named("TenantPage", Page(Tenant, false));
/** the name's rule is the core's (Tenancy.createTenant, 400 invalid-tenant) */
export const TenantInput = named("TenantInput", Type.Object({
  name: Type.String({ description: "1-64 letters, digits, '-', '_' or '.', starting with a letter or digit." }),
}, { additionalProperties: true, description: "Unknown fields are ignored." }));

const ClientId = Type.String({ pattern: "^baton_app_[0-9a-f]{32}$", description: "The application's client id (not a secret)." });
const ClientSecret = Type.String({ pattern: "^baton_cs_[A-Za-z0-9_-]{43}$", description: "The client secret: shown only in this answer; only its hash is stored." });
const externalAppProperties = {
  id: Uuid(),
  name: Type.String({ minLength: 1, maxLength: 128 }),
  clientId: ClientId,
  tenant: Type.String({ description: "The name of the tenant the application's tokens are valid in." }),
  scopes: Type.Array(Scope, { description: "The scopes its tokens may carry." }),
  createdAt: DateTime(),
  secretRotatedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description: "The last rotation of the secret: tokens obtained before it are no longer accepted." }),
  revokedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description: "Revoked: no new tokens, and its tokens are no longer accepted." }),
};
export const ExternalApp = named("ExternalApp", Type.Object(externalAppProperties));
export const ExternalAppPage = named("ExternalAppPage", Page(ExternalApp, false));
/** the name's, the tenant's and the scopes' rules are the core's (ExternalApps.create: 400 invalid-external-app, invalid-scopes) */
export const CreateExternalApp = named("CreateExternalApp", Type.Object({
  name: Type.String({ description: "Unique in the organization (a revoked application keeps its name): 1-128 letters, digits, spaces, '-', '_', '.' or '@', starting with a letter or digit." }),
  tenant: Type.String({ description: "The name of a tenant of the organization: the application's tokens are valid there only." }),
  scopes: Type.Array(Type.String(), { description: "At least one scope (`Scope`): the most its tokens may carry; a token request may ask for fewer." }),
}, { additionalProperties: true, description: "Unknown fields are ignored." }));
export const CreatedExternalApp = named("CreatedExternalApp", Type.Object({
  ...externalAppProperties,
  clientSecret: ClientSecret,
  tokenUrl: Type.String({ format: "uri", description: "The organization's token endpoint, `{origin}/{org}/identity_/connect/token`." }),
}));
export const RotatedExternalAppSecret = named("RotatedExternalAppSecret", Type.Object({ clientId: ClientId, clientSecret: ClientSecret, secretRotatedAt: DateTime() }));
export const AppParams = Type.Object({
  org: OrgParams.properties.org,
  clientId: Type.String({ description: "The external application's client id.", examples: ["baton_app_0123456789abcdef0123456789abcdef"] }),
});
