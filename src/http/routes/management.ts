import type { FastifyInstance, FastifyRequest } from "fastify";
import { requireScope } from "../../core/Access.js";
import type { Folder, Job, PersonalAccessToken, Process, Trigger } from "../../core/types.js";
import { json, principal, type HttpContext, type Params, type Query } from "../context.js";
import { invokeUrl, tenantBase } from "../urls.js";

type Req = FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>;

/** The management API of SPEC §6 under `…/orchestrator_/api/v1`. Each route: parse, one core call, render. */
export function managementRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { baton, config } = ctx;
  const { catalog, jobs, access, tenancy, robots } = baton;
  const who = (request: Req) => principal(ctx, request);
  const base = (request: Req) => tenantBase(request, config, request.tenant);
  const renderTrigger = (request: Req, t: Trigger) => ({ ...omit(t, "tenantId"), invokeUrl: invokeUrl(base(request), t.folderKey, t.slug) });

  // ---- folders
  app.get("/api/v1/folders", async (request: Req, reply) => {
    requireScope(await who(request), "Folders", "Read");
    return json(reply, 200, { items: (await catalog.listFolders(request.tenant.id)).map(renderFolder), nextCursor: null });
  });
  app.post("/api/v1/folders", async (request: Req, reply) => {
    requireScope(await who(request), "Folders", "Write");
    return json(reply, 201, renderFolder(await catalog.createFolder(request.tenant.id, request.body)));
  });
  app.get("/api/v1/folders/:folderKey", async (request: Req, reply) => {
    requireScope(await who(request), "Folders", "Read");
    return json(reply, 200, renderFolder(await catalog.folderOrThrow(request.tenant.id, request.params.folderKey!)));
  });
  app.patch("/api/v1/folders/:folderKey", async (request: Req, reply) => {
    requireScope(await who(request), "Folders", "Write");
    return json(reply, 200, renderFolder(await catalog.renameFolder(request.tenant.id, request.params.folderKey!, request.body)));
  });
  app.delete("/api/v1/folders/:folderKey", async (request: Req, reply) => {
    requireScope(await who(request), "Folders", "Write");
    await catalog.deleteFolder(request.tenant.id, request.params.folderKey!);
    return reply.code(204).send();
  });

  // ---- processes
  app.get("/api/v1/folders/:folderKey/processes", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Read");
    const items = await catalog.listProcesses(request.tenant.id, request.params.folderKey!);
    return json(reply, 200, { items: items.map(renderProcess), nextCursor: null });
  });
  app.post("/api/v1/folders/:folderKey/processes", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Write");
    return json(reply, 201, renderProcess(await catalog.createProcess(request.tenant.id, request.params.folderKey!, request.body)));
  });
  app.get("/api/v1/folders/:folderKey/processes/:name", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Read");
    await catalog.folderOrThrow(request.tenant.id, request.params.folderKey!);
    return json(reply, 200, renderProcess(await catalog.processOrThrow(request.tenant.id, request.params.folderKey!, request.params.name!)));
  });
  app.patch("/api/v1/folders/:folderKey/processes/:name", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Write");
    await catalog.folderOrThrow(request.tenant.id, request.params.folderKey!);
    return json(reply, 200, renderProcess(await catalog.updateProcess(request.tenant.id, request.params.folderKey!, request.params.name!, request.body)));
  });
  app.delete("/api/v1/folders/:folderKey/processes/:name", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Write");
    await catalog.deleteProcess(request.tenant.id, request.params.folderKey!, request.params.name!);
    return reply.code(204).send();
  });

  // ---- triggers
  app.get("/api/v1/folders/:folderKey/triggers", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Read");
    await catalog.folderOrThrow(request.tenant.id, request.params.folderKey!);
    const items = await catalog.listTriggers(request.tenant.id, request.params.folderKey!);
    return json(reply, 200, { items: items.map((t) => renderTrigger(request, t)), nextCursor: null });
  });
  app.post("/api/v1/folders/:folderKey/triggers", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Write");
    return json(reply, 201, renderTrigger(request, await catalog.createTrigger(request.tenant.id, request.params.folderKey!, request.body)));
  });
  app.get("/api/v1/triggers", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Read");
    const items = await catalog.listTriggers(request.tenant.id, request.query.folderKey ?? null);
    return json(reply, 200, { items: items.map((t) => renderTrigger(request, t)), nextCursor: null });
  });
  app.get("/api/v1/triggers/:id", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Read");
    return json(reply, 200, renderTrigger(request, await catalog.triggerOrThrow(request.tenant.id, request.params.id!)));
  });
  app.patch("/api/v1/triggers/:id", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Write");
    return json(reply, 200, renderTrigger(request, await catalog.updateTrigger(request.tenant.id, request.params.id!, request.body)));
  });
  app.delete("/api/v1/triggers/:id", async (request: Req, reply) => {
    requireScope(await who(request), "Execution", "Write");
    await catalog.deleteTrigger(request.tenant.id, request.params.id!);
    return reply.code(204).send();
  });

  // ---- jobs
  app.get("/api/v1/jobs", async (request: Req, reply) => {
    const page = await jobs.list(await who(request), request.query);
    return json(reply, 200, { items: page.items.map(renderJob), nextCursor: page.nextCursor });
  });
  app.post("/api/v1/jobs", async (request: Req, reply) => {
    return json(reply, 201, renderJob(await jobs.start(await who(request), request.body)));
  });
  app.get("/api/v1/jobs/:jobKey", async (request: Req, reply) => {
    return json(reply, 200, renderJob(await jobs.getVisible(await who(request), request.params.jobKey!)));
  });
  app.get("/api/v1/jobs/:jobKey/logs", async (request: Req, reply) => {
    return json(reply, 200, await jobs.logs(await who(request), request.params.jobKey!, request.query));
  });
  app.post("/api/v1/jobs/:jobKey/stop", async (request: Req, reply) => {
    const body = (request.body ?? {}) as { strategy?: unknown };
    return json(reply, 202, renderJob(await jobs.stop(await who(request), request.params.jobKey!, body.strategy)));
  });

  // ---- robots: robot keys (the key is shown once) and live sessions
  app.post("/api/v1/robots", async (request: Req, reply) => {
    requireScope(await who(request), "Robots", "Write");
    const { robotKey, secret } = await access.createRobotKey(request.tenant.id, (request.body ?? {}) as { name?: unknown });
    return json(reply, 201, { ...omit(robotKey, "tenantId"), key: secret });
  });
  app.get("/api/v1/robots", async (request: Req, reply) => {
    requireScope(await who(request), "Robots", "Read");
    return json(reply, 200, { items: (await access.listRobotKeys(request.tenant.id)).map((k) => omit(k, "tenantId")), nextCursor: null });
  });
  app.delete("/api/v1/robots/:id", async (request: Req, reply) => {
    requireScope(await who(request), "Robots", "Write");
    await access.revokeRobotKey(request.tenant.id, request.params.id!);
    await robots.endSessionsOfKey(request.params.id!);
    return reply.code(204).send();
  });

  app.get("/api/v1/robots/sessions", async (request: Req, reply) => {
    requireScope(await who(request), "Robots", "Read");
    const items = await robots.listSessions(request.tenant.id);
    return json(reply, 200, { items: items.map((s) => omit(s, "tenantId")), nextCursor: null });
  });

  // ---- personal access tokens
  app.get("/api/v1/tokens", async (request: Req, reply) => {
    requireScope(await who(request), "Users", "Read");
    return json(reply, 200, { items: (await access.listTokens(request.tenant.id)).map(renderToken), nextCursor: null });
  });
  app.post("/api/v1/tokens", async (request: Req, reply) => {
    const p = await who(request);
    requireScope(p, "Users", "Write");
    const { token, secret } = await access.createToken(request.tenant.id, p.userId, (request.body ?? {}) as Record<string, unknown>);
    return json(reply, 201, { ...renderToken(token), token: secret });
  });
  app.delete("/api/v1/tokens/:id", async (request: Req, reply) => {
    requireScope(await who(request), "Users", "Write");
    await access.revokeToken(request.tenant.id, request.params.id!);
    return reply.code(204).send();
  });

  // ---- tenant settings
  app.get("/api/v1/settings", async (request: Req, reply) => {
    requireScope(await who(request), "Settings", "Read");
    return json(reply, 200, await tenancy.getSettings(request.tenant.id));
  });
  app.patch("/api/v1/settings", async (request: Req, reply) => {
    requireScope(await who(request), "Settings", "Write");
    return json(reply, 200, await tenancy.updateSettings(request.tenant.id, request.body));
  });
}

export function renderJob(job: Job) {
  return {
    key: job.key, folderKey: job.folderKey, processName: job.processName, triggerId: job.triggerId, source: job.source, callMode: job.callMode,
    state: job.state, priority: job.priority, inputArguments: job.inputArguments, outputArguments: job.outputArguments, error: job.error,
    robot: job.robot, attempt: job.attempt, createdAt: job.createdAt, startedAt: job.startedAt, endedAt: job.endedAt, info: job.info,
  };
}

const renderFolder = (f: Folder) => ({ key: f.key, name: f.name, createdAt: f.createdAt });
const renderProcess = (p: Process) => omit(p, "tenantId");
const renderToken = (t: PersonalAccessToken) => omit(t, "tenantId");

function omit<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}
