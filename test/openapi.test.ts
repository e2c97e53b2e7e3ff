import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../src/http/openapi.js";
import { buildServer } from "../src/http/server.js";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";

// ajv-formats is CommonJS; under NodeNext its callable export arrives as `.default`.
type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const SCHEMA_ID = "https://baton.test/schemas/";

let b: TestBaton;
let doc: any;

beforeAll(async () => {
  b = await startTestBaton();
  const res = await fetch(`${b.base}/api/v1/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  doc = await res.json();
});
afterAll(async () => { await b?.close(); });

// ---- document helpers

function resolvePointer(root: any, ref: string): any {
  if (!ref.startsWith("#/")) return undefined;
  return ref.slice(2).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~")).reduce((node, key) => (node == null ? undefined : node[key]), root);
}

const deref = (value: any): any => (value && typeof value.$ref === "string" ? deref(resolvePointer(doc, value.$ref)) : value);

function* walk(node: any, path: string): Generator<[string, any]> {
  if (node === null || typeof node !== "object") return;
  yield [path, node];
  for (const [k, v] of Object.entries(node)) yield* walk(v, `${path}/${k}`);
}

function* operations(): Generator<{ path: string; method: string; op: any; item: any }> {
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const method of METHODS) if (item[method]) yield { path, method, op: item[method], item };
  }
}

/** `/{org}/{tenant}/orchestrator_` + path: the route as Fastify knows it, from the servers that apply. */
function fullTemplate(path: string): string {
  const item = doc.paths[path];
  const server = (item.servers ?? doc.servers)[0];
  expect(server.url.startsWith(b.url)).toBe(true);
  return server.url.slice(b.url.length) + path;
}

/** Schemas with their `#/components/schemas/X` refs pointing at schemas added to Ajv by id. */
const toAjvRefs = (schema: unknown): any => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${SCHEMA_ID}`));

function newAjv(closed: boolean): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
    const s = toAjvRefs(schema);
    // Closed for the checks against real answers: a field the API sends must be documented.
    if (closed && s.type === "object" && s.properties && s.additionalProperties === undefined) s.unevaluatedProperties = false;
    ajv.addSchema({ ...s, $id: `${SCHEMA_ID}${name}` });
  }
  return ajv;
}

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1.0, served without a token, with the tenant's server URL", async () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("Baton");
    expect(typeof doc.info.version).toBe("string");
    expect(doc.servers).toHaveLength(1);
    expect(doc.servers[0].url).toBe(`${b.url}/{org}/{tenant}/orchestrator_`);
    expect(doc.servers[0].variables.org.default).toBe("default");
    expect(doc.servers[0].variables.tenant.default).toBe("DefaultTenant");
    expect(doc.paths["/api/v1/openapi.json"].get.security).toEqual([]);
  });

  it("is built once per tenant base", () => {
    const base = `${b.url}/default/DefaultTenant/orchestrator_`;
    expect(openApiDocument(base)).toBe(openApiDocument(base));
    expect(openApiDocument(`${base}x`)).not.toBe(openApiDocument(base));
  });

  it("resolves every $ref", () => {
    const broken: string[] = [];
    for (const [where, node] of walk(doc, "#")) {
      if (typeof node.$ref === "string" && resolvePointer(doc, node.$ref) === undefined) broken.push(`${where}: ${node.$ref}`);
    }
    expect(broken).toEqual([]);
  });

  it("has well-formed operations", () => {
    const ids = new Set<string>();
    const tags = new Set(doc.tags.map((t: any) => t.name));
    const grouped = new Set(doc["x-tagGroups"].flatMap((g: any) => g.tags));
    expect([...grouped].sort()).toEqual([...tags].sort());
    const schemes = doc.components.securitySchemes;
    const scopes: string[] = doc.components.schemas.Scope.enum;
    const linkTargets: string[] = [];
    for (const { path, method, op, item } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-zA-Z]+$/);
      expect(ids.has(op.operationId), `${where}: duplicate operationId`).toBe(false);
      ids.add(op.operationId);
      expect(op.summary, where).toBeTruthy();
      expect(op.tags?.length, where).toBe(1);
      expect(tags.has(op.tags[0]), `${where}: tag ${op.tags[0]}`).toBe(true);

      // responses: at least one success, valid codes, each with a description
      const codes = Object.keys(op.responses ?? {});
      // (PATCH on the invoke URL exists only to answer 405 with Allow)
      if (op.operationId !== "invokeTriggerPatch") expect(codes.some((c) => /^[23]\d\d$/.test(c)), `${where}: no success response`).toBe(true);
      for (const code of codes) {
        expect(code, where).toMatch(/^[1-5]\d\d$/);
        const r = deref(op.responses[code]);
        expect(r.description, `${where} ${code}`).toBeTruthy();
        // the OAuth token endpoint answers its client errors as RFC 6749 §5.2 says (JSON), everything else problem+json
        const oauthError = op.operationId === "requestAccessToken" && Number(code) < 500;
        if (Number(code) >= 400) expect(Object.keys(r.content ?? {}), `${where} ${code}`).toEqual([oauthError ? "application/json" : "application/problem+json"]);
        for (const link of Object.values<any>(r.links ?? {})) linkTargets.push(link.operationId);
      }
      if (op.security?.length) expect(codes, where).toContain("401");

      // security: known schemes, and role names that are scopes
      for (const requirement of op.security ?? doc.security) {
        for (const [scheme, roles] of Object.entries<string[]>(requirement)) {
          expect(schemes[scheme], `${where}: scheme ${scheme}`).toBeDefined();
          for (const role of roles) expect(scopes, where).toContain(role);
        }
      }

      // path parameters: exactly those of the template, each required
      const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(deref);
      const inPath = declared.filter((p) => p.in === "path");
      const template = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(inPath.map((p) => p.name).sort(), where).toEqual([...template].sort());
      for (const p of inPath) expect(p.required, `${where} ${p.name}`).toBe(true);
      const keys = declared.map((p) => `${p.in}:${p.name}`);
      expect(new Set(keys).size, `${where}: duplicate parameters`).toBe(keys.length);
    }
    for (const target of linkTargets) expect(ids.has(target), `link to ${target}`).toBe(true);
  });

  it("compiles every schema in components with Ajv 2020", () => {
    const ajv = newAjv(false);
    for (const name of Object.keys(doc.components.schemas)) {
      expect(() => ajv.getSchema(`${SCHEMA_ID}${name}`), name).not.toThrow();
      expect(ajv.getSchema(`${SCHEMA_ID}${name}`), name).toBeTypeOf("function");
    }
    // inline schemas of parameters, headers, bodies and responses compile too
    for (const [where, node] of walk(doc.paths, "#/paths")) {
      if (node.schema && typeof node.schema === "object" && !where.endsWith("/properties")) {
        expect(() => ajv.compile(toAjvRefs(node.schema)), where).not.toThrow();
      }
    }
    for (const h of Object.values<any>(doc.components.headers)) ajv.compile(h.schema);
  });

  it("says the call modes from the invocation routes' contract: headers by reference, links, who may call", () => {
    const invoke = doc.paths["/t/{folderKey}/{slug}"];
    expect(invoke.summary).toBe("The invoke URL of an API trigger");
    const post = invoke.post;
    expect(post.requestBody).toEqual({ required: false, content: { "application/json": { schema: { $ref: "#/components/schemas/InvocationBody" } } } });
    expect(post.security).toEqual([{ bearerAuth: ["OR.Jobs"] }, { bearerAuth: ["OR.Jobs.Write"] }, { cookieAuth: [] }]);
    expect(post.responses["202"].headers).toEqual({
      "X-Request-Id": { $ref: "#/components/headers/XRequestId" },
      Location: { $ref: "#/components/headers/Location", description: "The job's status URI, absolute." },
      "Retry-After": { $ref: "#/components/headers/RetryAfter", description: "Seconds to wait before polling." },
      "Idempotent-Replayed": { $ref: "#/components/headers/IdempotentReplayed" },
    });
    expect(post.responses["202"].links.status).toMatchObject({ operationId: "getJobStatus", parameters: { jobKey: "$response.body#/jobKey" } });
    expect(post.responses["405"]).toEqual({ $ref: "#/components/responses/MethodNotAllowed" });
    expect(post.responses["500"].content["application/problem+json"].schema).toEqual({ anyOf: [{ $ref: "#/components/schemas/JobFaultedProblem" }, { $ref: "#/components/schemas/Problem" }] });
    // GET and DELETE take their arguments from the query string; a GET creates a job too (CSRF with a console session)
    expect(invoke.get.parameters.filter((p: any) => p.in === "query").map((p: any) => p.name)).toEqual(["$callMode", "arguments"]);
    expect(invoke.get.responses["403"].description).toContain("csrf-token-invalid");
    expect(Object.keys(invoke.patch.responses).filter((c) => /^[23]/.test(c))).toEqual([]);

    // the job URIs: any Jobs scope; without one, or without the permission, 404 (never 403)
    const jobsAny = [{ bearerAuth: ["OR.Jobs"] }, { bearerAuth: ["OR.Jobs.Read"] }, { bearerAuth: ["OR.Jobs.Write"] }];
    const status = doc.paths["/api/v1/jobs/{jobKey}/status"].get;
    expect(status.security).toEqual([...jobsAny, { cookieAuth: [] }]);
    expect(status.description).toContain("Without one, the answer is 404: a job's existence is not revealed.");
    expect(status.responses["403"]).toBeUndefined();
    expect(status.responses["303"].links.output).toEqual({ operationId: "getJobOutput", parameters: { jobKey: "$request.path.jobKey" } });
    expect(deref(status.responses["404"]).description).toContain("`job-not-found`");
    const wait = doc.paths["/api/v1/jobs/{jobKey}/wait"].get;
    expect(wait.security).toEqual([...jobsAny, { signedUri: [] }, { cookieAuth: [] }]);
    expect(wait.responses["303"].headers.Location.$ref).toBe("#/components/headers/Location");
  });

  it("documents exactly the routes the server registers", async () => {
    const server = buildServer({ baton: b.baton });
    await server.app.ready();
    try {
      // the web console's page and static files (routes/console.ts) and the API reference's
      // scripts and styles (routes/apiReference.ts) are not part of the API
      const consoleFiles = /\/orchestrator_(\/|\/assets\/\*|\/api\/v1\/reference\/:file)?$/;
      const registered = new Set(
        server.routes
          .filter((r) => r.method !== "HEAD" && r.method !== "OPTIONS" && !consoleFiles.test(r.url))
          .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, "{$1}")}`),
      );
      expect(registered.size).toBeGreaterThan(30);
      const documented = new Set([...operations()].map(({ path, method }) => `${method.toUpperCase()} ${fullTemplate(path)}`));
      expect([...registered].filter((r) => !documented.has(r)).sort(), "routes missing from the document").toEqual([]);
      expect([...documented].filter((d) => !registered.has(d)).sort(), "documented routes the server lacks").toEqual([]);
    } finally {
      await server.app.close();
    }
  });
});

// ---- real answers against the document

describe("real answers match the documented responses", () => {
  let ajv: Ajv2020;
  const validators = new Map<string, ValidateFunction>();
  /** `operationId status` of every answer checked */
  const seen = new Set<string>();
  beforeAll(() => { ajv = newAjv(true); });

  it("checks answers with closed schemas: an undocumented field fails", () => {
    const job = {
      key: "6f1c1a52-8a4e-4a39-9d0e-0b7d2b8d1f00", folderKey: "6f1c1a52-8a4e-4a39-9d0e-0b7d2b8d1f01", processName: "Echo", triggerId: null, source: "Api",
      callMode: "AsyncRequestReply", state: "Pending", priority: "Normal", inputArguments: {}, outputArguments: null, error: null, robot: null,
      attempt: 0, createdAt: "2025-01-01T00:00:00.000Z", startedAt: null, endedAt: null, info: null, idempotencyKey: null, retryAt: null, pendingReason: null,
    };
    const validateJob = ajv.getSchema(`${SCHEMA_ID}Job`)!;
    expect(validateJob(job)).toBe(true);
    expect(validateJob({ ...job, undocumented: 1 })).toBe(false);
    expect(validateJob({ ...job, state: "Paused" })).toBe(false);
  });

  /** The operation a URL and method reach, by matching the documented templates. */
  function operationFor(method: string, url: string): { path: string; op: any } {
    const pathname = new URL(url).pathname;
    const hits = Object.keys(doc.paths).filter((path) => {
      const re = new RegExp(`^${fullTemplate(path).replace(/[.]/g, "\\.").replace(/\{\w+\}/g, "[^/]+")}$`);
      return re.test(pathname) && doc.paths[path][method.toLowerCase()];
    });
    expect(hits, `${method} ${pathname}`).toHaveLength(1);
    return { path: hits[0]!, op: doc.paths[hits[0]!][method.toLowerCase()] };
  }

  function validate(schema: any, value: unknown, where: string): void {
    const key = JSON.stringify(schema);
    let fn = validators.get(key);
    if (!fn) {
      fn = ajv.compile(toAjvRefs(schema));
      validators.set(key, fn);
    }
    const ok = fn(value);
    expect(ok ? [] : fn.errors, `${where}: ${JSON.stringify(value).slice(0, 500)}`).toEqual([]);
  }

  /** Calls the API (admin token unless headers say otherwise, no redirects followed) and checks the answer against the document. */
  async function call(method: string, pathOrUrl: string, init: RequestInit & { json?: unknown } = {}): Promise<{ res: Response; body: any }> {
    const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${b.base}${pathOrUrl}`;
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${b.token}`);
    else if (headers.get("authorization") === "") headers.delete("authorization");
    let body = init.body;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    const res = await fetch(url, { method, headers, body, redirect: "manual" });
    const text = await res.text();
    const where = `${method} ${new URL(url).pathname} → ${res.status}`;

    const { op } = operationFor(method, url);
    seen.add(`${op.operationId} ${res.status}`);
    const documented = deref(op.responses[String(res.status)]);
    expect(documented, `${where} is not documented: ${text.slice(0, 300)}`).toBeDefined();

    const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
    let parsed: any;
    if (documented.content && text !== "") {
      expect(Object.keys(documented.content), where).toContain(type);
      parsed = JSON.parse(text);
      validate(documented.content[type].schema, parsed, where);
    } else if (!documented.content) {
      expect(text, `${where}: undocumented body`).toBe("");
    }
    for (const [name, h] of Object.entries<any>(documented.headers ?? {})) {
      const value = res.headers.get(name);
      if (deref(h).required) expect(value, `${where}: header ${name}`).not.toBeNull();
      if (value !== null) validate(deref(h).schema, deref(h).schema.type === "integer" ? Number(value) : value, `${where} header ${name}`);
    }
    return { res, body: parsed };
  }

  async function untilFinal(jobKey: string): Promise<any> {
    for (let i = 0; i < 200; i++) {
      const { body } = await call("GET", `/api/v1/jobs/${jobKey}`);
      if (["Successful", "Faulted", "Stopped"].includes(body.state)) return body;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`job ${jobKey} did not finish`);
  }

  it("discovery, folders, processes, triggers", async () => {
    await call("GET", "/api/v1/openapi.json", { headers: { authorization: "" } });
    const folders = await call("GET", "/api/v1/folders");
    expect(folders.body.items.some((f: any) => f.name === "Shared")).toBe(true);

    const folder = (await call("POST", "/api/v1/folders", { json: { name: "OpenAPI" } })).body;
    await call("POST", "/api/v1/folders", { json: { name: "OpenAPI" } }); // 409
    await call("POST", "/api/v1/folders", { json: { name: " padded" } }); // 400
    await call("GET", `/api/v1/folders/${folder.key}`);
    await call("PATCH", `/api/v1/folders/${folder.key}`, { json: { name: "OpenAPI docs" } });
    await call("GET", `/api/v1/folders/00000000-0000-4000-8000-000000000000`); // 404

    const process = (await call("POST", `/api/v1/folders/${folder.key}/processes`, {
      json: { name: "Echo", description: "d", inputSchema: { type: "object", properties: { n: { type: "integer" } } }, retry: { maxAttempts: 2 } },
    })).body;
    expect(process.retry).toEqual({ maxAttempts: 2, backoff: { type: "Exponential", delaySeconds: 5, maxDelaySeconds: 3600, jitter: false } });
    await call("POST", `/api/v1/folders/${folder.key}/processes`, { json: { name: "Bad", priority: "Urgent", nope: 1 } }); // 400 violations
    await call("GET", `/api/v1/folders/${folder.key}/processes`);
    await call("GET", `/api/v1/folders/${folder.key}/processes/Echo`);
    await call("PATCH", `/api/v1/folders/${folder.key}/processes/Echo`, { json: { priority: "High" } });

    const trigger = (await call("POST", `/api/v1/folders/${folder.key}/triggers`, {
      json: { name: "Echo docs", slug: "openapi-echo", verb: "POST", processName: "Echo", callMode: "LongPolling" },
    })).body;
    expect(trigger.invokeUrl).toBe(`${b.base}/t/${folder.key}/openapi-echo`);
    await call("POST", `/api/v1/folders/${folder.key}/triggers`, { json: { name: "x", slug: "openapi-echo", verb: "POST", processName: "Echo" } }); // 409
    await call("GET", `/api/v1/folders/${folder.key}/triggers`);
    await call("GET", `/api/v1/triggers?folderKey=${folder.key}`);
    await call("GET", `/api/v1/triggers/${trigger.id}`);
    await call("PATCH", `/api/v1/triggers/${trigger.id}`, { json: { enabled: false } });
    await call("POST", trigger.invokeUrl, { json: { n: 1 } }); // 409 trigger-disabled
    await call("PATCH", `/api/v1/triggers/${trigger.id}`, { json: { enabled: true } });
    const out = await call("POST", trigger.invokeUrl, { json: { n: 1 } });
    expect(out.res.status).toBe(200);
    expect(out.body).toEqual({ n: 1 });
    await call("POST", trigger.invokeUrl, { json: { n: "one" } }); // 400 invalid-arguments

    await call("DELETE", `/api/v1/folders/${folder.key}/processes/Echo`); // 409 process-in-use
    await call("DELETE", `/api/v1/triggers/${trigger.id}`);
    await call("DELETE", `/api/v1/folders/${folder.key}/processes/Echo`);
    await call("DELETE", `/api/v1/folders/${folder.key}`); // 409 or 204: the folder holds jobs
  });

  it("time triggers, and the jobs they start", async () => {
    const path = `/api/v1/folders/${b.sharedKey}/time-triggers`;
    const created = await call("POST", path, { json: { name: "OpenAPI every second", processName: "Echo", cron: "* * * * * *", arguments: { n: 1 } } });
    expect(created.res.status).toBe(201);
    const t = created.body;
    await call("POST", path, { json: { name: "OpenAPI every second", processName: "Echo", cron: "* * * * *" } }); // 409
    await call("POST", path, { json: { name: "x", processName: "Echo", cron: "nope", timeZone: "Nowhere" } }); // 400 violations
    await call("POST", path, { json: { name: "x", processName: "Nope", cron: "* * * * *" } }); // 404 process-not-found
    await call("GET", path);
    await call("GET", `/api/v1/folders/00000000-0000-4000-8000-000000000000/time-triggers`); // 404
    await call("GET", `/api/v1/time-triggers/${t.id}`);
    await call("GET", `/api/v1/time-triggers/00000000-0000-4000-8000-000000000000`); // 404
    await call("GET", `/api/v1/time-triggers/${t.id}/preview?count=3`);
    await call("GET", `/api/v1/time-triggers/${t.id}/preview?count=1000`); // 400
    await call("GET", `/api/v1/time-trigger-preview?cron=${encodeURIComponent("30 2 * * *")}&timeZone=Europe/Berlin`);
    await call("GET", "/api/v1/time-trigger-preview?cron=nope"); // 400
    // the maintenance loop fires it within a second: its job shows the trigger and the slot
    let jobs: any[] = [];
    for (let i = 0; i < 200 && jobs.length === 0; i++) {
      jobs = (await call("GET", `/api/v1/jobs?timeTriggerId=${t.id}`)).body.items;
      if (jobs.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    expect(jobs[0]).toMatchObject({ source: "TimeTrigger", timeTriggerId: t.id });
    const job = (await call("GET", `/api/v1/jobs/${jobs[0].key}`)).body;
    expect(typeof job.slot).toBe("string");
    await call("PATCH", `/api/v1/time-triggers/${t.id}`, { json: { enabled: false } });
    await call("PATCH", `/api/v1/time-triggers/${t.id}`, { json: { missedRunPolicy: "Sometimes" } }); // 400
    await call("DELETE", `/api/v1/time-triggers/${t.id}`);
    await call("DELETE", `/api/v1/time-triggers/${t.id}`); // 404
  });

  it("the call modes and the status, output and wait URIs", async () => {
    const echo = b.invokeUrl("echo");
    // AsyncRequestReply: 202, then status, then output
    const accepted = await call("POST", echo, { json: { a: 1 } });
    expect(accepted.res.status).toBe(202);
    expect(accepted.res.headers.get("location")).toBe(accepted.body.statusUri);
    await untilFinal(accepted.body.jobKey);
    const status = await call("GET", accepted.body.statusUri);
    expect(status.res.status).toBe(303);
    const output = await call("GET", status.res.headers.get("location")!);
    expect(output.body).toEqual({ a: 1 });
    const job = await call("GET", `/api/v1/jobs/${accepted.body.jobKey}`);
    expect(job.body.state).toBe("Successful");
    await call("GET", `/api/v1/jobs/${accepted.body.jobKey}/logs`);

    // FireAndForget: 200, no body
    const fired = await call("POST", echo, { json: { $callMode: "FireAndForget" } });
    expect(fired.res.status).toBe(200);
    // LongPolling: the output, or a problem for a faulted job
    await call("POST", echo, { json: { b: 2, $callMode: "LongPolling" } });
    const faulted = await call("POST", b.invokeUrl("fail"), { json: { message: "no", $callMode: "LongPolling" } });
    expect(faulted.res.status).toBe(500);
    expect(faulted.body.code).toBe("job-faulted");

    // errors of the invoke URL
    await call("PUT", echo, { json: {} }); // 405
    await call("PATCH", echo); // 405
    await call("POST", echo, { json: {}, headers: { authorization: "" } }); // 401
    await call("POST", echo, { json: { $nope: 1 } }); // 400
    await call("POST", echo, { body: "a=1", headers: { "content-type": "text/plain" } }); // 415
    await call("POST", `${b.base}/t/${b.sharedKey}/no-such-slug`, { json: {} }); // 404
    await call("GET", `/api/v1/jobs/00000000-0000-4000-8000-000000000000/status`); // 404
  });

  it("stopping, unfinished and stopped jobs, signed wait URIs", async () => {
    const sleeping = await call("POST", b.invokeUrl("sleep"), { json: { seconds: 30 } });
    await call("GET", sleeping.body.statusUri); // 200 while not final
    await call("GET", `/api/v1/jobs/${sleeping.body.jobKey}/output`); // 409 job-not-finished
    await call("POST", `/api/v1/jobs/${sleeping.body.jobKey}/stop`, { json: { strategy: "Pause" } }); // 400
    const stopping = await call("POST", `/api/v1/jobs/${sleeping.body.jobKey}/stop`, { json: { strategy: "Kill" } });
    expect(stopping.res.status).toBe(202);
    await untilFinal(sleeping.body.jobKey);
    const stopped = await call("GET", `/api/v1/jobs/${sleeping.body.jobKey}/output`);
    expect(stopped.body.code).toBe("job-stopped");
    await call("POST", `/api/v1/jobs/${sleeping.body.jobKey}/stop`, { json: { strategy: "Kill" } }); // 409 job-final

    const started = await call("POST", "/api/v1/jobs", { json: { folderKey: b.sharedKey, processName: "Echo", inputArguments: { c: 3 } } });
    expect(started.res.status).toBe(201);
    await call("GET", `/api/v1/jobs?state=Pending,Running,Successful&limit=2`);
    await call("GET", `/api/v1/jobs?state=Bogus`); // 400

    await b.patchSettings({ longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20, syncRedirectsRequireAuth: false });
    try {
      const waiting = await call("POST", b.invokeUrl("sleep"), { json: { seconds: 3, $callMode: "LongPolling" } });
      expect(waiting.res.status).toBe(303);
      const wait = waiting.res.headers.get("location")!;
      expect(wait).toMatch(/\/wait\?exp=\d+&sig=/);
      let answer = await call("GET", wait, { headers: { authorization: "" } });
      for (let i = 0; i < 10 && answer.res.status === 303; i++) answer = await call("GET", answer.res.headers.get("location")!, { headers: { authorization: "" } });
      expect(answer.res.status).toBe(200);
      await call("GET", wait.replace(/sig=[^&]+/, "sig=AAAA"), { headers: { authorization: "" } }); // 401
    } finally {
      await b.patchSettings({ longPollTimeoutSeconds: 50, syncMaxJobDurationSeconds: 900, syncRedirectsRequireAuth: true });
    }
  });

  it("the call modes' redirects as 302 (redirectStatusCode 302)", async () => {
    await b.patchSettings({ redirectStatusCode: 302, longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
    try {
      const accepted = await call("POST", b.invokeUrl("echo"), { json: { d: 4 } });
      await untilFinal(accepted.body.jobKey);
      const status = await call("GET", accepted.body.statusUri);
      expect(status.res.status).toBe(302);
      expect((await call("GET", status.res.headers.get("location")!)).body).toEqual({ d: 4 });

      const waiting = await call("POST", b.invokeUrl("sleep"), { json: { seconds: 2.5, $callMode: "LongPolling" } });
      expect(waiting.res.status).toBe(302);
      let answer = await call("GET", waiting.res.headers.get("location")!);
      expect(answer.res.status).toBe(302);
      for (let i = 0; i < 10 && answer.res.status === 302; i++) answer = await call("GET", answer.res.headers.get("location")!);
      expect(answer.res.status).toBe(200);
    } finally {
      await b.patchSettings({ redirectStatusCode: 303, longPollTimeoutSeconds: 50, syncMaxJobDurationSeconds: 900 });
    }
  });

  it("robots and the robot protocol", async () => {
    const robot = (await call("POST", "/api/v1/robots", { json: { name: "openapi-robot" } })).body;
    await call("POST", "/api/v1/robots", { json: { name: "openapi-robot" } }); // 409
    await call("GET", "/api/v1/robots");
    const rk = { authorization: `Bearer ${robot.key}` };

    // a process only this robot serves, and a job of it
    await call("POST", `/api/v1/folders/${b.sharedKey}/processes`, { json: { name: "OpenApiRobotWork" } });
    const jobKey = (await call("POST", "/api/v1/jobs", { json: { folderKey: b.sharedKey, processName: "OpenApiRobotWork", inputArguments: { x: 1 } } })).body.key;
    const opened = await call("POST", "/api/robot/v1/sessions", { json: { processes: ["OpenApiRobotWork"], slots: 1, version: "test" }, headers: rk });
    expect(opened.res.status).toBe(201);
    const session = `/api/robot/v1/sessions/${opened.body.sessionId}`;
    await call("POST", "/api/robot/v1/sessions", { json: { processes: [], slots: 0 }, headers: rk }); // 400
    await call("POST", "/api/robot/v1/sessions", { json: { processes: ["x"], slots: 1 } }); // 401: a PAT is no robot key

    const claimed = await call("POST", `${session}/claim`, { json: { max: 5, waitSeconds: 2 }, headers: rk });
    expect(claimed.body.jobs.map((j: any) => j.key)).toEqual([jobKey]);
    await call("POST", `${session}/claim`, { json: { max: 0 }, headers: rk }); // 400
    await call("POST", `${session}/heartbeat`, { json: { jobs: { [jobKey]: "working" } }, headers: rk });
    await call("POST", `${session}/jobs/${jobKey}/logs`, { json: { lines: [{ message: "hello" }, { message: "oops", level: "error" }] }, headers: rk });
    await call("GET", "/api/v1/robots/sessions");
    await call("POST", `${session}/jobs/${jobKey}/complete`, { json: { outputArguments: { y: 2 } }, headers: rk });
    await call("POST", `${session}/jobs/${jobKey}/complete`, { json: { outputArguments: {} }, headers: rk }); // 409 job-not-held
    await call("POST", `${session}/jobs/${jobKey}/fail`, { json: { error: { message: "late" } }, headers: rk }); // 409
    await call("POST", `${session}/jobs/${jobKey}/stopped`, { json: {}, headers: rk }); // 409
    expect((await call("GET", `/api/v1/jobs/${jobKey}/output`)).body).toEqual({ y: 2 });
    await call("GET", `/api/v1/jobs/${jobKey}/logs`);
    expect((await call("POST", `${session}/claim`, { json: { waitSeconds: 0 }, headers: rk })).body.jobs).toEqual([]);

    await call("DELETE", session, { headers: rk });
    await call("POST", `${session}/heartbeat`, { json: {}, headers: rk }); // 404
    const rotated = await call("POST", `/api/v1/robots/${robot.id}/rotate`);
    expect(rotated.res.status).toBe(200);
    expect(rotated.body.key).not.toBe(robot.key);
    expect(rotated.body.rotatedAt).not.toBeNull();
    await call("POST", "/api/robot/v1/sessions", { json: { processes: ["x"], slots: 1 }, headers: rk }); // 401: the old key
    await call("POST", "/api/v1/robots/00000000-0000-4000-8000-000000000000/rotate"); // 404
    await call("DELETE", `/api/v1/robots/${robot.id}`);
    await call("POST", `/api/v1/robots/${robot.id}/rotate`); // 409 robot-revoked
    await call("POST", "/api/robot/v1/sessions", { json: { processes: ["x"], slots: 1 }, headers: { authorization: `Bearer ${rotated.body.key}` } }); // 401: revoked
  });

  it("tokens, settings, tenants", async () => {
    await call("GET", "/api/v1/robots/sessions");
    const settings = await call("GET", "/api/v1/settings");
    expect(settings.body.longPollTimeoutSeconds).toBe(50);
    await call("PATCH", "/api/v1/settings", { json: { corsAllowedOrigins: ["https://app.example.com"] } });
    await call("PATCH", "/api/v1/settings", { json: { longPollTimeoutSeconds: 0, nope: true } }); // 400
    await call("PATCH", "/api/v1/settings", { body: "{", headers: { "content-type": "application/json" } }); // 400 invalid-json

    const created = await call("POST", "/api/v1/tokens", { json: { name: "reader", scopes: ["OR.Jobs.Read"] } });
    expect(created.res.status).toBe(201);
    await call("GET", "/api/v1/tokens");
    await call("POST", "/api/v1/folders", { json: { name: "Nope" }, headers: { authorization: `Bearer ${created.body.token}` } }); // 403
    await call("POST", "/api/v1/tokens", { json: { name: "x", scopes: ["OR.Everything"] } }); // 400
    await call("DELETE", `/api/v1/tokens/${created.body.id}`);

    await call("GET", `${b.url}/default/api/v1/tenants`);
    await call("POST", `${b.url}/default/api/v1/tenants`, { json: { name: "OpenApiTenant" } });
    await call("POST", `${b.url}/default/api/v1/tenants`, { json: { name: "OpenApiTenant" } }); // 409
    await call("POST", `${b.url}/default/api/v1/tenants`, { json: { name: "-bad" } }); // 400
    await call("GET", `${b.url}/default/api/v1/tenants`, { headers: { authorization: "" } }); // 401
    await call("GET", `${b.url}/default/NoSuchTenant/orchestrator_/api/v1/openapi.json`); // 404

    // external applications and the OAuth token endpoint
    const app = (await call("POST", `${b.url}/default/api/v1/external-apps`, { json: { name: "openapi-app", tenant: "DefaultTenant", scopes: ["OR.Jobs"] } })).body;
    await call("POST", `${b.url}/default/api/v1/external-apps`, { json: { name: "openapi-app", tenant: "DefaultTenant", scopes: ["OR.Jobs"] } }); // 409
    await call("POST", `${b.url}/default/api/v1/external-apps`, { json: { name: "x", tenant: "NoSuchTenant", scopes: ["OR.Jobs"] } }); // 400
    await call("POST", `${b.url}/default/api/v1/external-apps`, { json: { name: "x", tenant: "DefaultTenant", scopes: ["OR.Jobs"] }, headers: { authorization: `Bearer ${created.body.token}` } }); // 401: revoked
    await call("GET", `${b.url}/default/api/v1/external-apps`);
    const form = (params: Record<string, string>) => ({ body: new URLSearchParams(params).toString(), headers: { authorization: "", "content-type": "application/x-www-form-urlencoded" } });
    const tokenUrl = `${b.url}/default/identity_/connect/token`;
    const issued = await call("POST", tokenUrl, form({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret }));
    expect(issued.res.status).toBe(200);
    await call("GET", "/api/v1/jobs?limit=1", { headers: { authorization: `Bearer ${issued.body.access_token}` } });
    await call("POST", tokenUrl, form({ grant_type: "password", client_id: app.clientId, client_secret: app.clientSecret })); // 400 unsupported_grant_type
    await call("POST", tokenUrl, form({ grant_type: "client_credentials", client_id: app.clientId, client_secret: "wrong" })); // 401 invalid_client
    await call("POST", tokenUrl, { ...form({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret, scope: "x".repeat(10_000) }) }); // 413
    const rotated = await call("POST", `${b.url}/default/api/v1/external-apps/${app.clientId}/secret`);
    expect(rotated.res.status).toBe(200);
    await call("DELETE", `${b.url}/default/api/v1/external-apps/${app.clientId}`);
    await call("POST", `${b.url}/default/api/v1/external-apps/${app.clientId}/secret`); // 409 revoked
    await call("DELETE", `${b.url}/default/api/v1/external-apps/baton_app_00000000000000000000000000000000`); // 404

    // the node's operations endpoints (/metrics answers text, checked in test/ops.test.ts)
    await call("GET", `${b.url}/healthz`, { headers: { authorization: "" } });
    await call("GET", `${b.url}/readyz`, { headers: { authorization: "" } });
  });

  it("the audit log and rate limits", async () => {
    await call("GET", "/api/v1/audit?limit=2");
    await call("GET", "/api/v1/audit?action=folder.*&since=2020-01-01T00:00:00Z");
    await call("GET", "/api/v1/audit?limit=0"); // 400
    const reader = (await call("POST", "/api/v1/tokens", { json: { name: "no audit", scopes: ["OR.Jobs"] } })).body;
    const asReader = { headers: { authorization: `Bearer ${reader.token}` } };
    await call("GET", "/api/v1/audit", asReader); // 403
    await b.patchSettings({ rateLimitPerTokenPerMinute: 1 });
    try {
      await call("GET", "/api/v1/jobs?limit=1", asReader); // 200: its one request of the minute
      await call("GET", "/api/v1/jobs?limit=1", asReader); // 429
      const limited = await call("POST", b.invokeUrl("echo"), { json: {}, ...asReader });
      expect(limited.res.status).toBe(429);
      expect(limited.body).toMatchObject({ code: "rate-limited", limitedBy: "token", limitPerMinute: 1 });
    } finally {
      await b.patchSettings({ rateLimitPerTokenPerMinute: 0 });
    }
  });

  it("users, roles, console sessions and live events", async () => {
    const roles = await call("GET", "/api/v1/roles");
    expect(roles.body.items.map((r: any) => r.name)).toEqual(["Administrator", "Automation Developer", "Viewer"]);
    const admin = (await call("GET", "/api/v1/users")).body.items.find((u: any) => u.organizationUser);
    expect(admin.name).toBe("admin");
    const viewer = (await call("POST", "/api/v1/users", { json: { name: "openapi-viewer", password: "openapi-password", roles: [{ role: "Viewer" }] } })).body;
    await call("POST", "/api/v1/users", { json: { name: "openapi-viewer", password: "openapi-password" } }); // 409 user-exists
    await call("POST", "/api/v1/users", { json: { name: "openapi-short", password: "short" } }); // 400 invalid-user
    await call("GET", `/api/v1/users/${viewer.id}`);
    await call("GET", "/api/v1/users/00000000-0000-4000-8000-000000000000"); // 404
    const changed = await call("PATCH", `/api/v1/users/${viewer.id}`, { json: { roles: [{ role: "Viewer" }, { role: "Automation Developer", folderKey: b.sharedKey }] } });
    expect(changed.body.roles).toEqual([{ role: "Viewer", folderKey: null }, { role: "Automation Developer", folderKey: b.sharedKey }]);
    await call("PATCH", `/api/v1/users/${admin.id}`, { json: { disabled: true } }); // 409 user-of-organization

    // console logins: 400, 401, throttled after 5 failures (6th fails, 7th waits), then a session
    const login = (json: unknown) => call("POST", "/api/v1/session", { json, headers: { authorization: "" } });
    await login({ userName: "openapi-viewer" }); // 400 invalid-login
    await login({ userName: "openapi-viewer", password: "wrong-password" }); // 401
    for (let i = 0; i < 6; i++) await login({ userName: "openapi-nobody", password: "wrong-password" });
    const throttled = await login({ userName: "openapi-nobody", password: "wrong-password" });
    expect(throttled.res.status).toBe(429);
    const session = await login({ userName: "openapi-viewer", password: "openapi-password" });
    expect(session.res.status).toBe(200);
    expect(session.body.permissions.folders[b.sharedKey]).toContain("Jobs.Create");
    const cookie = session.res.headers.get("set-cookie")!.split(";")[0]!;
    const asViewer = (csrf = false) => ({ headers: { authorization: "", cookie, ...(csrf ? { "x-csrf-token": session.body.csrfToken } : {}) } });
    expect((await call("GET", "/api/v1/session", asViewer())).body.csrfToken).toBe(session.body.csrfToken);
    await call("GET", "/api/v1/session"); // 401: a bearer token is no session
    await call("GET", "/api/v1/users", asViewer()); // 403 permission-denied
    await call("GET", `/api/v1/users/${viewer.id}`, asViewer()); // 404: may not see users
    const noCsrf = await call("POST", "/api/v1/folders", { json: { name: "Nope" }, ...asViewer() });
    expect(noCsrf.body.code).toBe("csrf-token-invalid");
    const denied = await call("POST", "/api/v1/folders", { json: { name: "Nope" }, ...asViewer(true) });
    expect(denied.body).toMatchObject({ code: "permission-denied", requiredPermission: "Folders.Edit" });
    const own = await call("POST", "/api/v1/tokens", { json: { name: "viewer users", scopes: ["OR.Users"] }, ...asViewer(true) });
    expect(own.body.userId).toBe(viewer.id);
    const wider = await call("POST", "/api/v1/tokens", { json: { name: "wider", scopes: ["OR.Folders"] }, headers: { authorization: `Bearer ${own.body.token}` } });
    expect(wider.body).toMatchObject({ code: "insufficient-scope", requiredScope: ["OR.Folders"] });
    expect((await call("GET", "/api/v1/tokens", asViewer())).body.items.map((t: any) => t.id)).toEqual([own.body.id]);
    await call("DELETE", "/api/v1/session", asViewer()); // 403 csrf-token-invalid
    await call("DELETE", "/api/v1/session", asViewer(true));
    await call("GET", "/api/v1/session", asViewer()); // 401: logged out
    await call("DELETE", `/api/v1/users/${admin.id}`); // 409 user-of-organization
    await call("DELETE", `/api/v1/users/${viewer.id}`);

    // live events: an SSE stream, `event: jobs` when a job is created
    const auditor = (await call("POST", "/api/v1/tokens", { json: { name: "no jobs", scopes: ["OR.Audit"] } })).body;
    await call("GET", "/api/v1/events", { headers: { authorization: `Bearer ${auditor.token}` } }); // 403 insufficient-scope
    const abort = new AbortController();
    const res = await fetch(`${b.base}/api/v1/events`, { headers: { authorization: `Bearer ${b.token}` }, signal: abort.signal });
    try {
      const { op } = operationFor("GET", res.url);
      seen.add(`${op.operationId} ${res.status}`);
      expect(res.status).toBe(200);
      expect(Object.keys(op.responses["200"].content)).toEqual([res.headers.get("content-type")!.split(";")[0]]);
      await call("POST", "/api/v1/jobs", { json: { folderKey: b.sharedKey, processName: "Echo" } });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      let event: RegExpExecArray | null = null;
      while (!(event = /event: jobs\ndata: (.*)\n\n/.exec(text))) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect(Object.keys(JSON.parse(event![1]!))).toEqual(["at"]);
    } finally {
      abort.abort();
    }
  });

  it("webhooks (issue 16)", async () => {
    await call("POST", "/api/v1/webhooks", { json: { url: "http://127.0.0.1:9/", events: ["job.nope"] } }); // 400: private, unknown event
    const options = b.baton.webhooks.dispatcher.options;
    options.allowPrivate = true;
    try {
      const hook = (await call("POST", "/api/v1/webhooks", { json: { url: "http://127.0.0.1:9/hook", events: ["job.completed"], description: "openapi" } })).body;
      await call("GET", "/api/v1/webhooks");
      await call("GET", `/api/v1/webhooks/${hook.id}`);
      await call("GET", "/api/v1/webhooks/00000000-0000-4000-8000-000000000000"); // 404
      await call("PATCH", `/api/v1/webhooks/${hook.id}`, { json: { enabled: false } });
      const ping = (await call("POST", `/api/v1/webhooks/${hook.id}/test`)).body;
      await call("GET", `/api/v1/webhooks/${hook.id}/deliveries?limit=5`);
      await call("POST", `/api/v1/webhooks/${hook.id}/deliveries/${ping.id}/redeliver`); // 409: still Pending (the port refuses; retried)
      await call("POST", `/api/v1/webhooks/${hook.id}/deliveries/msg_nope/redeliver`); // 404
      await call("POST", `/api/v1/webhooks/${hook.id}/rotate-secret`);
      await call("DELETE", `/api/v1/webhooks/${hook.id}`);
    } finally {
      options.allowPrivate = false;
    }
  });

  it("covered the answers that matter", () => {
    const expected = [
      "listAuditEntries 200", "listAuditEntries 400", "listAuditEntries 403", "listJobs 429", "invokeTriggerPost 429",
      "invokeTriggerPost 200", "invokeTriggerPost 202", "invokeTriggerPost 303", "invokeTriggerPost 400", "invokeTriggerPost 401",
      "invokeTriggerPost 404", "invokeTriggerPost 409", "invokeTriggerPost 415", "invokeTriggerPost 500",
      "invokeTriggerPut 405", "invokeTriggerPatch 405",
      "getJobStatus 200", "getJobStatus 303", "getJobOutput 200", "getJobOutput 409", "waitForJob 200", "waitForJob 303", "waitForJob 401",
      "invokeTriggerPost 302", "getJobStatus 302", "waitForJob 302",
      "getJob 200", "listJobs 200", "listJobs 400", "startJob 201", "stopJob 202", "stopJob 409", "getJobLogs 200",
      "createFolder 201", "createFolder 403", "createFolder 409", "createProcess 201", "createProcess 400", "createTrigger 201", "createTrigger 409",
      "listRobotSessions 200", "createRobot 201", "createRobot 409", "listRobots 200", "revokeRobot 204",
      "openRobotSession 201", "openRobotSession 400", "openRobotSession 401", "claimJobs 200", "claimJobs 400", "heartbeat 200", "heartbeat 404",
      "appendJobLogs 204", "completeJob 204", "completeJob 409", "failJob 409", "reportJobStopped 409", "closeRobotSession 204",
      "createToken 201", "revokeToken 204", "getSettings 200", "updateSettings 200", "updateSettings 400",
      "listTenants 200", "listTenants 401", "createTenant 201", "createTenant 409", "getOpenApiDocument 200", "getOpenApiDocument 404",
      "createExternalApp 201", "createExternalApp 400", "createExternalApp 401", "createExternalApp 409", "listExternalApps 200",
      "rotateExternalAppSecret 200", "rotateExternalAppSecret 409", "revokeExternalApp 204", "revokeExternalApp 404",
      "requestAccessToken 200", "requestAccessToken 400", "requestAccessToken 401", "requestAccessToken 413",
      "getHealth 200", "getReadiness 200",
      "rotateRobot 200", "rotateRobot 404", "rotateRobot 409", "listRoles 200", "listUsers 200", "listUsers 403", "createUser 201", "createUser 400",
      "createUser 409", "getUser 200", "getUser 404", "updateUser 200", "updateUser 409", "deleteUser 204", "deleteUser 409",
      "login 200", "login 400", "login 401", "login 429", "getSession 200", "getSession 401", "logout 204", "logout 403",
      "createToken 403", "streamEvents 200", "streamEvents 403",
      "createWebhook 201", "createWebhook 400", "listWebhooks 200", "getWebhook 200", "getWebhook 404", "updateWebhook 200", "testWebhook 202",
      "listWebhookDeliveries 200", "redeliverWebhookDelivery 409", "redeliverWebhookDelivery 404", "rotateWebhookSecret 200", "deleteWebhook 204",
    ];
    expect(expected.filter((e) => !seen.has(e))).toEqual([]);
  });
});
