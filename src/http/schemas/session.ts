/** Console sessions: password logins, the session, a user's own password (routes/session.ts). */
import { Type } from "typebox";
import { Uuid } from "./common.js";
import { named } from "./named.js";
import { Permission, RoleAssignment, UserName } from "./users.js";

/** the password's rules (checked, throttled) are the core's (Users.login: 400 invalid-login, 401 invalid-credentials) */
export const Login = named("Login", Type.Object({
  userName: Type.String({ minLength: 1, maxLength: 128 }),
  password: Type.String({ maxLength: 1024, writeOnly: true }),
}, { additionalProperties: true }));

/** the new password's rules are the core's (400 invalid-user naming them) */
export const PasswordChange = named("PasswordChange", Type.Object({
  currentPassword: Type.String({ maxLength: 1024, writeOnly: true }),
  newPassword: Type.String({ writeOnly: true, description: "8 to 1024 characters." }),
}, { additionalProperties: true }));

export const ConsoleSession = named("ConsoleSession", Type.Object({
  user: Type.Object({
    id: Uuid(),
    name: UserName,
    orgAdmin: Type.Boolean({ description: "An administrator of the organization: every permission in every tenant, limited by scopes only." }),
    roles: Type.Array(RoleAssignment, { description: "The user's grants in this tenant." }),
  }),
  permissions: Type.Object({
    tenant: Type.Array(Permission, { description: "Granted tenant-wide (every permission for an organization administrator)." }),
    folders: Type.Record(Type.String(), Type.Array(Permission), { description: "Granted in single folders, by folder key." }),
  }, { description: "What the user may do in this tenant." }),
  csrfToken: Type.String({ minLength: 1, description: "Send it as `X-CSRF-Token` with every change (any method but GET, HEAD and OPTIONS) made with the session cookie." }),
  expiresAt: Type.Optional(Type.String({ format: "date-time", description: "Only in the login's answer: when the session ends (12 hours after the login)." })),
}));

const COOKIE_PATTERN = "^baton_session=[^;]*; Path=/[^;]+/orchestrator_; Max-Age=\\d+; HttpOnly; SameSite=Strict(; Secure)?$";
export const SetCookie = (description: string) => ({ "Set-Cookie": { type: "string", pattern: COOKIE_PATTERN, description } }) as const;
