/** The audit log (routes/audit.ts). */
import { Type } from "typebox";
import { Page } from "./common.js";
import { Limit, Cursor } from "./lists.js";
import { named } from "./named.js";

const NullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

export const AuditEntry = named("AuditEntry", Type.Object({
  seq: Type.Integer({ minimum: 1, description: "Increases with every entry of the installation." }),
  at: Type.String({ format: "date-time", description: "When the change was made." }),
  actor: Type.Object({
    kind: Type.String({
      examples: ["token", "oauth", "session"],
      description: "The credential: `token` (a personal access token), `oauth` (an external application's access token), `session` (a console login), …",
    }),
    id: NullableString("The token's id (for `oauth`, the application's client id; for `session`, the user's id)."),
    name: NullableString("The token's name (for `oauth`, the application's name; for `session`, the user's name)."),
  }),
  action: Type.String({
    pattern: "^[a-z][A-Za-z-]*(\\.[A-Za-z-]+)+$",
    examples: ["trigger.create", "trigger.update", "job.stop", "token.revoke", "settings.update", "user.update", "session.login"],
    description: "`{resource}.{verb}`: folder, process, trigger, user (create, update, delete); job (start, stop); robot (create, rotate, revoke); token (create, revoke); " +
      "session (login, logout); settings.update; tenant.create; external-app (create, rotate-secret, revoke).",
  }),
  target: NullableString("The id or key of what changed (a folder's key, a trigger's id, a job's key, the tenant's id for settings)."),
  details: Type.Record(Type.String(), Type.Unknown(), {
    description: "What changed, without values that could be secret: names, slugs, the folder, `fields` (the names of the fields the request set, never their values), scopes. Never a token, key, client secret, password or argument value.",
  }),
  sourceIp: NullableString("The caller's address: the connection's peer, or with BATON_TRUST_PROXY the last address of X-Forwarded-For (the one the proxy appended)."),
  requestId: NullableString("The request's id (its `X-Request-Id`), to find its log lines."),
}));
export const AuditPage = named("AuditPage", Page(AuditEntry, true));

export const AuditQuery = Type.Object({
  action: Type.Optional(Type.String({ description: "Only this action (`trigger.create`), or those of a resource (`trigger.*`).", examples: ["trigger.create", "trigger.*"] })),
  since: Type.Optional(Type.String({ description: "Only entries made at or after this time (ISO 8601, years 0001-9999)." })),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});
