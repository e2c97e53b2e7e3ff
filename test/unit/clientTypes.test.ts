/**
 * The client's types (src/client/types.ts) against the OpenAPI document's component
 * schemas (src/http/openapiSchemas.ts), both ways:
 *
 * - each SHAPES entry is typed `Shape<ClientType>`: the compiler requires one entry per
 *   property of the client type, and its value must say exactly whether the property is
 *   optional, its kind and whether it is nullable; a field added to or changed in a client
 *   type fails the type check until SHAPES says so;
 * - the test then requires each entry to equal what the schema says, so a field added to
 *   or changed in the API fails here until the client type follows;
 * - every component schema is either mapped to a client type or listed in NOT_MODELLED
 *   with the reason, so a new resource fails here until the client models it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { schemas, type Schema } from "../../src/http/openapiSchemas.js";
import {
  CALL_MODES, FINAL_JOB_STATES, JOB_SOURCES, JOB_STATES, PERMISSIONS, PRIORITIES, ROLE_NAMES, SCOPES, STOP_STRATEGIES, TRIGGER_PRIORITIES, VERBS,
  type AcceptedJob, type CreatedPersonalAccessToken, type CreatedRobotKey, type CreateTokenInput, type CreateUserInput, type Folder, type FolderInput,
  type Job, type JobError, type JobListItem, type JobLogLine, type JobStatus, type Page, type PersonalAccessToken, type Problem, type Process, type ProcessInput,
  type ProcessPatch, type RetryPolicy, type RetryPolicyInput, type RobotKey, type RobotKeyInput, type RobotSession, type Role, type RoleAssignment,
  type RoleAssignmentInput, type RotatedRobotKey, type StartJobInput, type StopJobInput, type TenantSettings, type TenantSettingsPatch, type Trigger,
  type TriggerInput, type TriggerPatch, type UpdateUserInput, type User, type Violation,
} from "../../src/client/index.js";

// ---- the client side, at compile time

type Kind<V> = V extends string ? "string" : V extends number ? "number" : V extends boolean ? "boolean" : V extends readonly unknown[] ? "array" : V extends object ? "object" : "unknown";
type Describe<T, K extends keyof T> = `${Partial<Pick<T, K>> extends Pick<T, K> ? "optional " : ""}${unknown extends T[K] ? "any" : `${Kind<NonNullable<T[K]>>}${null extends T[K] ? " | null" : ""}`}`;
/** One entry per property: `[optional ]kind[ | null]`, or `any` for unknown. */
type Shape<T> = { [K in keyof T]-?: Describe<T, K> };

const shape = <T,>(s: Shape<T>) => s as Record<string, string>;
const page = shape<Page<unknown>>({ items: "array", nextCursor: "string | null" });

/** Schema name → the client type's shape. Input schemas are compared without their readOnly properties (they are ignored on input). */
const SHAPES: Record<string, Record<string, string>> = {
  Job: shape<Job>({
    key: "string", folderKey: "string", processName: "string", triggerId: "string | null", source: "string", callMode: "string", state: "string",
    priority: "string", inputArguments: "object", outputArguments: "object | null", error: "object | null", robot: "string | null", attempt: "number",
    createdAt: "string", startedAt: "string | null", endedAt: "string | null", info: "string | null",
  }),
  JobListItem: shape<JobListItem>({
    key: "string", folderKey: "string", processName: "string", triggerId: "string | null", source: "string", callMode: "string", state: "string",
    priority: "string", inputArguments: "optional object", outputArguments: "optional object | null", error: "optional object | null", robot: "string | null",
    attempt: "number", createdAt: "string", startedAt: "string | null", endedAt: "string | null", info: "string | null",
    inputArgumentsTruncated: "optional boolean", outputArgumentsTruncated: "optional boolean", errorTruncated: "optional boolean",
  }),
  JobError: shape<JobError>({ code: "string", message: "string", details: "optional any" }),
  JobStatus: shape<JobStatus>({ jobKey: "string", state: "string", process: "string", createdAt: "string", startedAt: "string | null", info: "string | null" }),
  AcceptedJob: shape<AcceptedJob>({ jobKey: "string", state: "string", statusUri: "string" }),
  JobLogLine: shape<JobLogLine>({ seq: "number", at: "string", level: "string", message: "string" }),
  JobPage: page,
  JobLogPage: page,
  StartJob: shape<StartJobInput>({ folderKey: "string", processName: "string", inputArguments: "optional object", priority: "optional string" }),
  StopJob: shape<StopJobInput>({ strategy: "string" }),
  Folder: shape<Folder>({ key: "string", name: "string", createdAt: "string" }),
  FolderInput: shape<FolderInput>({ name: "string" }),
  FolderPage: page,
  RetryPolicy: shape<RetryPolicy>({ maxAttempts: "number", backoffSeconds: "number" }),
  RetryPolicyInput: shape<RetryPolicyInput>({ maxAttempts: "optional number", backoffSeconds: "optional number" }),
  Process: shape<Process>({
    id: "string", folderKey: "string", name: "string", description: "string", defaultInputArguments: "object", inputSchema: "object | null",
    outputSchema: "object | null", priority: "string", maxDurationSeconds: "number | null", retry: "object", createdAt: "string", updatedAt: "string",
  }),
  ProcessInput: shape<ProcessInput>({
    name: "string", description: "optional string", defaultInputArguments: "optional object", inputSchema: "optional object | null",
    outputSchema: "optional object | null", priority: "optional string", maxDurationSeconds: "optional number | null", retry: "optional object",
  }),
  ProcessPatch: shape<ProcessPatch>({
    name: "optional string", description: "optional string", defaultInputArguments: "optional object", inputSchema: "optional object | null",
    outputSchema: "optional object | null", priority: "optional string", maxDurationSeconds: "optional number | null", retry: "optional object",
  }),
  ProcessPage: page,
  Trigger: shape<Trigger>({
    id: "string", folderKey: "string", name: "string", slug: "string", verb: "string", processName: "string", callMode: "string",
    defaultArguments: "object", priority: "string", enabled: "boolean", createdAt: "string", updatedAt: "string", invokeUrl: "string",
  }),
  TriggerInput: shape<TriggerInput>({
    name: "string", slug: "string", verb: "string", processName: "string", callMode: "optional string", defaultArguments: "optional object",
    priority: "optional string", enabled: "optional boolean",
  }),
  TriggerPatch: shape<TriggerPatch>({
    name: "optional string", slug: "optional string", verb: "optional string", processName: "optional string", callMode: "optional string",
    defaultArguments: "optional object", priority: "optional string", enabled: "optional boolean",
  }),
  TriggerPage: page,
  RobotKey: shape<RobotKey>({
    id: "string", name: "string", createdAt: "string", rotatedAt: "string | null", folderKeys: "array | null", revokedAt: "string | null",
  }),
  CreatedRobotKey: shape<CreatedRobotKey>({
    id: "string", name: "string", createdAt: "string", rotatedAt: "string | null", folderKeys: "array | null", revokedAt: "string | null", key: "string",
  }),
  RotatedRobotKey: shape<RotatedRobotKey>({
    id: "string", name: "string", createdAt: "string", rotatedAt: "string | null", folderKeys: "array | null", revokedAt: "string | null", key: "string",
  }),
  RobotKeyInput: shape<RobotKeyInput>({ name: "string", folderKeys: "optional array | null" }),
  RobotKeyPage: page,
  RobotSession: shape<RobotSession>({
    id: "string", robotKeyId: "string | null", folderKeys: "array | null", robotName: "string", version: "string | null", processes: "array",
    slots: "number", slotsInUse: "number", leaseExpiresAt: "string", lastHeartbeatAt: "string", createdAt: "string",
  }),
  RobotSessionPage: page,
  PersonalAccessToken: shape<PersonalAccessToken>({
    id: "string", userId: "string | null", name: "string", scopes: "array", createdAt: "string", expiresAt: "string | null",
    revokedAt: "string | null", lastUsedAt: "string | null",
  }),
  CreatedPersonalAccessToken: shape<CreatedPersonalAccessToken>({
    id: "string", userId: "string | null", name: "string", scopes: "array", createdAt: "string", expiresAt: "string | null",
    revokedAt: "string | null", lastUsedAt: "string | null", token: "string",
  }),
  CreateToken: shape<CreateTokenInput>({ name: "string", scopes: "array", expiresAt: "optional string | null" }),
  PersonalAccessTokenPage: page,
  TenantSettings: shape<TenantSettings>({
    syncRedirectsRequireAuth: "boolean", longPollTimeoutSeconds: "number", syncMaxJobDurationSeconds: "number", corsAllowedOrigins: "array",
    maxRequestBodyBytes: "number", jobRetentionDays: "number", rateLimitPerTokenPerMinute: "number", rateLimitPerTriggerPerMinute: "number",
    redirectStatusCode: "number",
  }),
  TenantSettingsPatch: shape<TenantSettingsPatch>({
    syncRedirectsRequireAuth: "optional boolean", longPollTimeoutSeconds: "optional number", syncMaxJobDurationSeconds: "optional number",
    corsAllowedOrigins: "optional array", maxRequestBodyBytes: "optional number", jobRetentionDays: "optional number",
    rateLimitPerTokenPerMinute: "optional number", rateLimitPerTriggerPerMinute: "optional number", redirectStatusCode: "optional number",
  }),
  Role: shape<Role>({ name: "string", permissions: "array" }),
  RolePage: page,
  RoleAssignment: shape<RoleAssignment>({ role: "string", folderKey: "string | null" }),
  RoleAssignmentInput: shape<RoleAssignmentInput>({ role: "string", folderKey: "optional string | null" }),
  User: shape<User>({
    id: "string", name: "string", orgAdmin: "boolean", organizationUser: "boolean", roles: "array", disabled: "boolean", disabledAt: "string | null",
    createdAt: "string",
  }),
  UserPage: page,
  CreateUser: shape<CreateUserInput>({ name: "string", password: "string", roles: "optional array" }),
  UpdateUser: shape<UpdateUserInput>({ password: "optional string", roles: "optional array", disabled: "optional boolean" }),
  Problem: shape<Problem>({ type: "string", title: "string", status: "number", detail: "string", code: "string", instance: "optional string" }),
  Violation: shape<Violation>({ path: "string", message: "string" }),
};

/** Request bodies: their readOnly properties are accepted and ignored, so the client leaves them out. */
const INPUTS = new Set(["ProcessInput", "ProcessPatch", "TriggerInput", "TriggerPatch"]);

/** Enumerations: the client's constant ↔ the schema's enum. */
const ENUMS: Record<string, readonly string[]> = {
  CallMode: CALL_MODES, JobState: JOB_STATES, Verb: VERBS, Priority: PRIORITIES, TriggerPriority: TRIGGER_PRIORITIES,
  JobSource: JOB_SOURCES, StopStrategy: STOP_STRATEGIES, Scope: SCOPES, Permission: PERMISSIONS, RoleName: ROLE_NAMES,
};

/** String unions inside client types, exhaustive at compile time (Record<union, true>). */
const PROPERTY_ENUMS: [schema: string, property: string, values: string[]][] = [
  ["JobStatus", "state", Object.keys({ Pending: true, Running: true, Stopping: true, Terminating: true } satisfies Record<JobStatus["state"], true>)],
  ["JobLogLine", "level", Object.keys({ info: true, error: true } satisfies Record<JobLogLine["level"], true>)],
];

const NOT_MODELLED: Record<string, string> = {
  Arguments: "the client's Arguments type (checked below)",
  InvocationBody: "invoke() takes Arguments and adds $callMode itself",
  ValidationProblem: "read through BatonApiError.violations",
  InsufficientScopeProblem: "read through BatonApiError.problem",
  PayloadTooLargeProblem: "read through BatonApiError.problem",
  RateLimitedProblem: "read through BatonApiError.problem (status 429, Retry-After)",
  PermissionDeniedProblem: "read through BatonApiError.problem (requiredPermission)",
  Login: "console sessions are for browsers (a cookie and X-CSRF-Token); the client authenticates with bearer tokens",
  ConsoleSession: "console sessions are for browsers; the client authenticates with bearer tokens",
  PasswordChange: "a user changes its own password in the console (POST /session/password); the client does not wrap it yet",
  AuditEntry: "the audit log is read with GET /audit; the client does not wrap it yet",
  AuditPage: "the audit log is read with GET /audit; the client does not wrap it yet",
  JobFaultedProblem: "turned into JobFaultedError",
  JobStoppedProblem: "turned into JobStoppedError",
  JobNotFinishedProblem: "handled inside invoke(): back to the status URI",
  Tenant: "organization level: the client works in one tenant",
  TenantInput: "organization level",
  TenantPage: "organization level",
  ExternalApp: "organization level", ExternalAppPage: "organization level", CreateExternalApp: "organization level",
  CreatedExternalApp: "organization level", RotatedExternalAppSecret: "organization level",
  TokenRequest: "the OAuth token endpoint: any OAuth 2.0 client library gets the token the client is given",
  AccessTokenResponse: "the OAuth token endpoint", OAuthError: "the OAuth token endpoint",
  OpenSession: "robot protocol (src/robot)", OpenedSession: "robot protocol", ClaimRequest: "robot protocol", ClaimedJobs: "robot protocol",
  RobotJob: "robot protocol", HeartbeatRequest: "robot protocol", HeartbeatAnswer: "robot protocol", JobLogLines: "robot protocol",
  ResultsRequest: "robot protocol", ResultsAnswer: "robot protocol", CompleteJob: "robot protocol", FailJob: "robot protocol",
};

// ---- the schema side, at run time

const deref = (s: Schema): Schema => {
  const ref = s.$ref as string | undefined;
  if (!ref) return s;
  const target = schemas[ref.replace("#/components/schemas/", "")];
  if (!target) throw new Error(`unknown $ref ${ref}`);
  return deref(target);
};

/** The kinds a property schema allows ("any" when it constrains nothing) and whether null is one of them. */
function kindsOf(schema: Schema): { kinds: Set<string>; nullable: boolean; any: boolean } {
  const s = deref(schema);
  const out = { kinds: new Set<string>(), nullable: false, any: false };
  const add = (t: string) => (t === "null" ? (out.nullable = true) : out.kinds.add(t === "integer" ? "number" : t));
  if (Array.isArray(s.anyOf)) {
    for (const branch of s.anyOf as Schema[]) {
      const k = kindsOf(branch);
      k.kinds.forEach((t) => out.kinds.add(t));
      out.nullable ||= k.nullable;
      out.any ||= k.any;
    }
  } else if (s.type !== undefined) {
    (Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]).forEach(add);
  } else if (Array.isArray(s.enum)) {
    for (const v of s.enum as unknown[]) add(v === null ? "null" : typeof v);
  } else if ("const" in s) {
    add(s.const === null ? "null" : typeof s.const);
  } else {
    out.any = true;
  }
  return out;
}

function describeSchema(name: string): Record<string, string> {
  const schema = deref(schemas[name]!);
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const described: Record<string, string> = {};
  for (const [key, prop] of Object.entries(properties)) {
    if (INPUTS.has(name) && prop.readOnly === true) continue;
    const { kinds, nullable, any } = kindsOf(prop);
    const kind = any ? "any" : `${[...kinds].sort().join(" | ")}${nullable ? " | null" : ""}`;
    described[key] = `${required.has(key) ? "" : "optional "}${kind}`;
  }
  return described;
}

const sorted = (values: readonly string[]) => [...values].sort();

describe("the client's types match the OpenAPI document", () => {
  it.each(Object.keys(SHAPES))("%s", (name) => {
    expect(schemas[name], `no component schema ${name}`).toBeDefined();
    expect(describeSchema(name)).toEqual(SHAPES[name]);
  });

  it("has a client type, or a reason, for every component schema", () => {
    const unaccounted = Object.keys(schemas).filter((n) => !(n in SHAPES) && !(n in ENUMS) && !(n in NOT_MODELLED));
    expect(unaccounted).toEqual([]);
    const stale = [...Object.keys(SHAPES), ...Object.keys(ENUMS), ...Object.keys(NOT_MODELLED)].filter((n) => !(n in schemas));
    expect(stale).toEqual([]);
  });

  it.each(Object.keys(ENUMS))("enumeration %s", (name) => {
    expect(sorted(ENUMS[name]!)).toEqual(sorted(schemas[name]!.enum as string[]));
  });

  it.each(PROPERTY_ENUMS)("%s.%s", (name, property, values) => {
    const prop = deref(((deref(schemas[name]!).properties as Record<string, Schema>)[property])!);
    expect(sorted(values)).toEqual(sorted(prop.enum as string[]));
  });

  it("knows the final states, and that Arguments is a JSON object", () => {
    expect(sorted(FINAL_JOB_STATES)).toEqual(sorted(JOB_STATES.filter((s) => !(schemas.JobStatus!.properties as any).state.enum.includes(s))));
    expect(schemas.Arguments!.type).toBe("object");
  });

  it("pages list the type they say", () => {
    for (const name of Object.keys(SHAPES).filter((n) => n.endsWith("Page"))) {
      const items = (schemas[name]!.properties as any).items.items.$ref as string;
      expect(SHAPES[items.replace("#/components/schemas/", "")], `${name} lists ${items}`).toBeDefined();
    }
  });
});

describe("the client is dependency-free", () => {
  const root = join(import.meta.dirname, "../../src/client");
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts")).map((f) => join(root, f));

  it("imports nothing but its own files: no package, no Node built-in, nothing of the server", () => {
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      for (const [, specifier] of readFileSync(file, "utf8").matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm)) {
        expect(specifier!.startsWith("."), `${file} imports ${specifier}`).toBe(true);
        expect(resolve(dirname(file), specifier!).startsWith(root), `${file} imports ${specifier}`).toBe(true);
      }
    }
  });
});
