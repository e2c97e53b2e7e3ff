/**
 * Every error code the API answers, once: its HTTP status and when it is answered. A
 * BatonError's code is one of these (the compiler checks it); the OpenAPI document's error
 * lists, the client's `ApiErrorCode` (src/client/errorCodes.ts, generated from this file by
 * `npm run gen:client-errors`) and the table of docs/api.md come from it, and tests fail
 * when one of them no longer matches.
 */
export const ERROR_CODES = {
  // 400: the request is wrong; `violations: [{ path, message }]` names each fault where there are several
  "bad-request": { status: 400, when: "a request the web framework refused before any route, for a reason no other code names" },
  "malformed-request": { status: 400, when: "an HTTP request that cannot be parsed; the connection is closed" },
  "invalid-json": { status: 400, when: "a body that is not JSON" },
  "invalid-body": { status: 400, when: "a body that is not a JSON object" },
  "invalid-request": { status: 400, when: "a request that does not match its route's schema (`violations`)" },
  "invalid-content-length": { status: 400, when: "a Content-Length that does not match the body" },
  "invalid-url": { status: 400, when: "a URL that cannot be decoded" },
  "invalid-host": { status: 400, when: "a Host (or X-Forwarded-Host/-Proto) that is not host[:port]" },
  "invalid-query": { status: 400, when: "a query parameter given twice, or one the route does not take" },
  "invalid-arguments": { status: 400, when: "input arguments that do not match the process's inputSchema (`violations`)" },
  "unknown-control-parameter": { status: 400, when: "a `$` query parameter of an invocation that Baton does not know" },
  "invalid-call-mode": { status: 400, when: "`$callMode` that is not a call mode" },
  "invalid-characters": { status: 400, when: "text the store cannot keep (NUL)" },
  "schema-too-complex": { status: 400, when: "a process's inputSchema or outputSchema breaks a schema limit (`limit`, `max`)" },
  "invalid-schema": { status: 400, when: "an inputSchema or outputSchema that is not a valid JSON Schema" },
  "invalid-folder": { status: 400, when: "a folder body with a bad name (`violations`)" },
  "invalid-process": { status: 400, when: "a process body with bad fields (`violations`)" },
  "invalid-trigger": { status: 400, when: "a trigger body with bad or missing fields (`violations`)" },
  "invalid-settings": { status: 400, when: "tenant settings out of bounds (`violations`)" },
  "invalid-tenant": { status: 400, when: "a tenant body with a bad name" },
  "invalid-token": { status: 400, when: "a token body with a bad name, scopes or expiry" },
  "invalid-scopes": { status: 400, when: "scopes that are not Baton's, or more than the creator has" },
  "token-outlives-creator": { status: 400, when: "POST /tokens with a token that expires, asking for a later expiry (or none)" },
  "invalid-robot": { status: 400, when: "a robot key body with a bad name or folders" },
  "invalid-user": { status: 400, when: "a user body with a bad name, password or roles (`violations`)" },
  "invalid-login": { status: 400, when: "a console login body that is not { userName, password }" },
  "invalid-password-change": { status: 400, when: "a password change body that is not { currentPassword, newPassword }" },
  "invalid-external-app": { status: 400, when: "an external application body with a bad name, tenant or scopes" },
  "invalid-filter": { status: 400, when: "a job or audit list filter out of bounds (`violations`)" },
  "invalid-cursor": { status: 400, when: "a list cursor this API did not hand out" },
  "invalid-strategy": { status: 400, when: "a stop strategy that is not SoftStop or Kill" },
  "invalid-session": { status: 400, when: "a robot session body with bad processes, slots or name (`violations`)" },
  "invalid-claim": { status: 400, when: "a claim body with a bad max or waitSeconds" },
  "invalid-heartbeat": { status: 400, when: "a heartbeat body that is not { jobs: { key: info } }" },
  "invalid-logs": { status: 400, when: "a logs body that is not { lines: [...] }" },
  "invalid-results": { status: 400, when: "a results body that is not { results: [...] }" },
  "invalid-output": { status: 400, when: "outputArguments that are not a JSON object, or that break the process's outputSchema" },
  "invalid-error": { status: 400, when: "a job error that cannot be stored" },
  "invalid-idempotency-key": { status: 400, when: "an Idempotency-Key that is empty, longer than 255 characters, not printable ASCII, or given twice" },
  // 401, 403: who is calling, and what it may do
  "unauthorized": { status: 401, when: "a missing, unknown, expired or revoked token; a token of another tenant or of a disabled user; an ended console session; a bad signature" },
  "invalid-credentials": { status: 401, when: "a console login with a wrong user name or password, or of a disabled user" },
  "insufficient-scope": { status: 403, when: "the token lacks the scope (`requiredScope`)" },
  "not-org-admin": { status: 403, when: "an organization's route called by someone who is not its administrator" },
  "permission-denied": { status: 403, when: "the token has the scope but its user lacks the permission (`requiredPermission`)" },
  "csrf-token-invalid": { status: 403, when: "a change made with a console session cookie without its X-CSRF-Token" },
  "token-needs-user": { status: 403, when: "a call only a user can make, by a caller without one (an external application)" },
  "wrong-password": { status: 403, when: "a password change with a wrong current password" },
  // 404: what does not exist, or what the caller may not see
  "route-not-found": { status: 404, when: "a path no route has" },
  "tenant-not-found": { status: 404, when: "no such organization or tenant" },
  "folder-not-found": { status: 404, when: "no such folder, or one the caller may not see" },
  "process-not-found": { status: 404, when: "no such process in the folder" },
  "trigger-not-found": { status: 404, when: "no such API trigger, or one the caller may not see" },
  "job-not-found": { status: 404, when: "no such job, or one the caller may not see" },
  "token-not-found": { status: 404, when: "no such token in the tenant" },
  "robot-not-found": { status: 404, when: "no such robot key in the tenant" },
  "session-not-found": { status: 404, when: "the robot session ended or expired: open a new one" },
  "user-not-found": { status: 404, when: "no such user in the tenant" },
  "external-app-not-found": { status: 404, when: "no such external application in the organization" },
  "asset-not-found": { status: 404, when: "a file of the console or the API reference that does not exist" },
  // 405, 408, 413, 414, 415: the request's shape
  "method-not-allowed": { status: 405, when: "a known path called with a method it lacks (`Allow` says which)" },
  "request-timeout": { status: 408, when: "the request did not arrive within the node's request timeout; the connection is closed" },
  "payload-too-large": { status: 413, when: "a body over the tenant's maxRequestBodyBytes; the connection is closed" },
  "uri-too-long": { status: 414, when: "a path parameter longer than the server takes" },
  "headers-too-large": { status: 431, when: "a request line and headers over the server's limit (send long arguments in a body); the connection is closed" },
  "unsupported-media-type": { status: 415, when: "a body that is not JSON" },
  "unsupported-content-encoding": { status: 415, when: "a body with a Content-Encoding other than identity" },
  // 409: the state does not allow it
  "conflict": { status: 409, when: "a resource with these values already exists (a race no other code covers)" },
  "trigger-disabled": { status: 409, when: "an invocation of a disabled API trigger" },
  "job-not-finished": { status: 409, when: "the output of a job that has not ended" },
  "job-stopped": { status: 409, when: "the output of a job that was stopped" },
  "job-final": { status: 409, when: "a stop of a job that has already ended" },
  "job-busy": { status: 409, when: "a change of a job that another change holds" },
  "job-not-held": { status: 409, when: "a robot's result or log for a job its session no longer holds" },
  "slug-taken": { status: 409, when: "a trigger slug another trigger of the tenant has" },
  "folder-exists": { status: 409, when: "a folder name the tenant has" },
  "folder-not-empty": { status: 409, when: "deleting a folder that holds processes, triggers or jobs" },
  "folder-protected": { status: 409, when: "deleting the Shared folder" },
  "process-exists": { status: 409, when: "a process name the folder has" },
  "process-in-use": { status: 409, when: "deleting a process that API triggers start" },
  "tenant-exists": { status: 409, when: "a tenant name the organization has" },
  "robot-exists": { status: 409, when: "a robot name the tenant has" },
  "robot-revoked": { status: 409, when: "rotating a revoked robot key" },
  "user-exists": { status: 409, when: "a user name the tenant has" },
  "user-of-organization": { status: 409, when: "changing a user of the organization in one tenant" },
  "user-is-you": { status: 409, when: "deleting your own user" },
  "external-app-exists": { status: 409, when: "an external application name the organization has (a revoked one keeps its name)" },
  "external-app-revoked": { status: 409, when: "rotating the secret of a revoked external application" },
  // 422: the request contradicts an earlier one
  "idempotency-key-mismatch": { status: 422, when: "an Idempotency-Key sent before with another request (verb, folder, trigger or process, input arguments, call mode)" },
  // 429: too much, too fast
  "rate-limited": { status: 429, when: "a rate limit of the tenant is used up on this node (`Retry-After`)" },
  "login-throttled": { status: 429, when: "too many failed console logins (`Retry-After`)" },
  // 5xx: the job's result, or the server's trouble
  "job-faulted": { status: 500, when: "the job's result: it ended Faulted (the only 500 an input can cause)" },
  "internal-error": { status: 500, when: "a bug; logged with the request id (X-Request-Id)" },
  "store-unavailable": { status: 503, when: "the job store is unreachable, or a statement ran past its timeout (`Retry-After`)" },
  "shutting-down": { status: 503, when: "the node is shutting down (`Retry-After`)" },
  "console-not-built": { status: 503, when: "the console's files are missing: run `npm run build`" },
} as const satisfies Record<string, { status: number; when: string }>;

/** A stable error code of the API. */
export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
