/**
 * The client's types (src/client/types.ts) against the OpenAPI document. Those with a
 * component schema are aliases of the types generated from it (src/client/openapi.ts, kept
 * current by test/unit/apiTypes.test.ts), so they cannot drift; what is checked here is the
 * rest, written by hand:
 *
 * - the run-time constants (CALL_MODES, JOB_STATES, …) against the schemas' enums (the
 *   compiler already requires each to list every member of its generated union);
 * - Page<T>, JobFilter and the widened Problem against the schemas and parameters they stand for;
 * - every component schema is either aliased by the client, an enumeration, a page, or
 *   listed in NOT_MODELLED with the reason, so a new resource fails here until the client models it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/http/openapi.js";
import type { Schema } from "../../src/http/schemas/problems.js";
import { servedOpenApiDocument } from "../../src/http/servedDocument.js";
import type { components } from "../../src/client/openapi.js";
import {
  CALL_MODES, FINAL_JOB_STATES, JOB_SOURCES, JOB_STATES, PERMISSIONS, PRIORITIES, ROLE_NAMES, SCOPES, STOP_STRATEGIES, TRIGGER_PRIORITIES, VERBS,
  type JobFilter, type JobListItem, type Folder, type JobLogLine, type Page, type PersonalAccessToken, type Problem, type Process,
  type RobotKey, type RobotSession, type Role, type Trigger, type User,
} from "../../src/client/index.js";

type Schemas = components["schemas"];

/** the component schemas of the document as served: the hand-written ones and those the routes declare (schemas/) */
const served = (await servedOpenApiDocument("http://localhost/o/t/orchestrator_")) as { components: { schemas: Record<string, Schema> } };
const schemas = served.components.schemas;

// ---- the hand-written types, at compile time

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const assert = <T extends true>(_: T) => undefined;

// Page<T> is each page schema of the client's resources
assert<Equal<Page<JobListItem>, Schemas["JobPage"]>>(true);
assert<Equal<Page<JobLogLine>, Schemas["JobLogPage"]>>(true);
assert<Equal<Page<Folder>, Schemas["FolderPage"]>>(true);
assert<Equal<Page<Process>, Schemas["ProcessPage"]>>(true);
assert<Equal<Page<Trigger>, Schemas["TriggerPage"]>>(true);
assert<Equal<Page<RobotKey>, Schemas["RobotKeyPage"]>>(true);
assert<Equal<Page<RobotSession>, Schemas["RobotSessionPage"]>>(true);
assert<Equal<Page<PersonalAccessToken>, Schemas["PersonalAccessTokenPage"]>>(true);
assert<Equal<Page<User>, Schemas["UserPage"]>>(true);
assert<Equal<Page<Role>, Schemas["RolePage"]>>(true);

// Problem is the schema's with `type` and `code` widened to strings, and nothing else changed
type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] };
assert<Equal<keyof Problem, KnownKeys<Schemas["Problem"]>>>(true);
assert<Equal<Omit<Problem, "type" | "code">, Omit<Pick<Schemas["Problem"], KnownKeys<Schemas["Problem"]>>, "type" | "code">>>(true);

/** Every filter of JobFilter, exhaustive at compile time. */
const JOB_FILTER_KEYS = Object.keys({
  state: true, processName: true, triggerId: true, timeTriggerId: true, folderKey: true, createdAfter: true, createdBefore: true, limit: true, cursor: true,
} satisfies Record<keyof JobFilter, true>);

// ---- the rest, at run time

/** Enumerations: the client's constant ↔ the schema's enum. */
const ENUMS: Record<string, readonly string[]> = {
  CallMode: CALL_MODES, JobState: JOB_STATES, Verb: VERBS, Priority: PRIORITIES, TriggerPriority: TRIGGER_PRIORITIES,
  JobSource: JOB_SOURCES, StopStrategy: STOP_STRATEGIES, Scope: SCOPES, Permission: PERMISSIONS, RoleName: ROLE_NAMES,
};

const NOT_MODELLED: Record<string, string> = {
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

const clientRoot = join(import.meta.dirname, "../../src/client");
/** The schemas src/client/types.ts aliases (`Schemas["Job"]`, …). */
const ALIASED = new Set([...readFileSync(join(clientRoot, "types.ts"), "utf8").matchAll(/\bSchemas\["(\w+)"\]/g)].map((m) => m[1]!));
const itemOf = (page: string) => ((schemas[page]!.properties as Record<string, Schema>).items!.items as Schema).$ref as string;
/** Page schemas whose items the client models: read as Page<T>. */
const PAGES = Object.keys(schemas).filter((n) => n.endsWith("Page") && !(n in NOT_MODELLED));

const sorted = (values: readonly string[]) => [...values].sort();

describe("the client's hand-written types match the OpenAPI document", () => {
  it("has a client type, or a reason, for every component schema", () => {
    const unaccounted = Object.keys(schemas).filter((n) => !ALIASED.has(n) && !(n in ENUMS) && !PAGES.includes(n) && !(n in NOT_MODELLED));
    expect(unaccounted).toEqual([]);
    const stale = [...ALIASED, ...Object.keys(ENUMS), ...Object.keys(NOT_MODELLED)].filter((n) => !(n in schemas));
    expect(stale).toEqual([]);
  });

  it("pages list a type the client models", () => {
    expect(PAGES.length).toBeGreaterThan(5);
    for (const page of PAGES) expect(ALIASED.has(itemOf(page).replace("#/components/schemas/", "")), `${page} lists ${itemOf(page)}`).toBe(true);
  });

  it.each(Object.keys(ENUMS))("enumeration %s", (name) => {
    expect(sorted(ENUMS[name]!)).toEqual(sorted(schemas[name]!.enum as string[]));
  });

  it("knows the final states", () => {
    const nonFinal = ((schemas.JobStatus!.properties as Record<string, Schema>).state!.enum as string[]);
    expect(sorted(FINAL_JOB_STATES)).toEqual(sorted(JOB_STATES.filter((s) => !nonFinal.includes(s))));
  });

  it("JobFilter has the query parameters of GET /jobs", () => {
    const doc = openApiDocument("http://localhost/o/t/orchestrator_") as { paths: Record<string, { get: { parameters: Schema[] } }> };
    const names = doc.paths["/api/v1/jobs"]!.get.parameters.map((p) => (p.$ref ? String(p.$ref).replace("#/components/parameters/", "") : String(p.name)));
    expect(sorted(JOB_FILTER_KEYS)).toEqual(sorted(names));
  });
});

describe("the client is dependency-free", () => {
  const files = (readdirSync(clientRoot, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts")).map((f) => join(clientRoot, f));

  it("imports nothing but its own files: no package, no Node built-in, nothing of the server", () => {
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      for (const [, specifier] of readFileSync(file, "utf8").matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm)) {
        expect(specifier!.startsWith("."), `${file} imports ${specifier}`).toBe(true);
        expect(resolve(dirname(file), specifier!).startsWith(clientRoot), `${file} imports ${specifier}`).toBe(true);
      }
    }
  });
});
