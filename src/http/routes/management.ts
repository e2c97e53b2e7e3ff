import type { FastifyInstance, FastifyRequest } from "fastify";
import { idempotencyKeyOf } from "../../core/idempotency.js";
import { renderJob, renderJobDetail, timeTriggerOf } from "../../core/jobView.js";
import type { JobListItem } from "../../core/types.js";
import { recordAudit } from "../audit.js";
import { json, principal, type HttpContext, type Params, type Query } from "../context.js";

type Req = FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>;

/** The management API of SPEC §6 under `…/orchestrator_/api/v1`. Each route: parse, one core call, render. */
export function managementRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { baton } = ctx;
  const { jobs } = baton;
  const who = (request: Req) => principal(ctx, request);
  /**
   * A change and its audit log entry (names and ids, never secrets or argument values), in
   * one transaction: both are kept, or neither is.
   */
  const audited = async <T>(request: Req, change: () => Promise<T>, entry: (result: T) => [action: string, target: string, details?: Record<string, unknown>] | null): Promise<T> => {
    const p = await who(request);
    return baton.store.transaction(async () => {
      const result = await change();
      const recorded = entry(result);
      if (recorded === null) return result;
      const [action, target, details = {}] = recorded;
      await recordAudit(ctx, request, p, { action, target, details });
      return result;
    });
  };

  // ---- jobs
  app.get("/api/v1/jobs", async (request: Req, reply) => {
    const page = await jobs.list(await who(request), request.query);
    return json(reply, 200, { items: page.items.map(renderJobListItem), nextCursor: page.nextCursor });
  });
  app.post("/api/v1/jobs", async (request: Req, reply) => {
    const p = await who(request);
    const key = idempotencyKeyOf(request.headers, request.raw.rawHeaders);
    // a repeated request (same Idempotency-Key and request) started nothing: no audit entry
    const { job, replayed } = await audited(request, () => jobs.start(p, request.body, key),
      ({ job, replayed }) => (replayed ? null : ["job.start", job.key, { folderKey: job.folderKey, processName: job.processName }]));
    if (replayed) reply.header("idempotent-replayed", "true");
    return json(reply, 201, renderJob(await jobs.withPendingReason(job)));
  });
  app.get("/api/v1/jobs/:jobKey", async (request: Req, reply) => {
    const job = await jobs.describe(await who(request), request.params.jobKey!);
    return json(reply, 200, await renderJobDetail(baton.store, job));
  });
  app.get("/api/v1/jobs/:jobKey/logs", async (request: Req, reply) => {
    return json(reply, 200, await jobs.logs(await who(request), request.params.jobKey!, request.query));
  });
  app.post("/api/v1/jobs/:jobKey/stop", async (request: Req, reply) => {
    const body = (request.body ?? {}) as { strategy?: unknown };
    const p = await who(request);
    const job = await audited(request, () => jobs.stop(p, request.params.jobKey!, body.strategy),
      (job) => ["job.stop", job.key, { strategy: body.strategy as string, processName: job.processName }]);
    return json(reply, 202, renderJob(job));
  });
}

// webhooks (issue 16): the renderer moved to the core, so that deliveries send the job exactly as shown here
export { renderJob };


/** a job in a list: long arguments, output or error are left out (flagged); GET /jobs/{key} has them */
export function renderJobListItem(job: JobListItem) {
  return {
    key: job.key, folderKey: job.folderKey, processName: job.processName, triggerId: job.triggerId, source: job.source, callMode: job.callMode,
    state: job.state, priority: job.priority,
    ...(job.inputArgumentsTruncated ? { inputArgumentsTruncated: true as const } : { inputArguments: job.inputArguments }),
    ...(job.outputArgumentsTruncated ? { outputArgumentsTruncated: true as const } : { outputArguments: job.outputArguments }),
    ...(job.errorTruncated ? { errorTruncated: true as const } : { error: job.error }),
    robot: job.robot, attempt: job.attempt, createdAt: job.createdAt, startedAt: job.startedAt, endedAt: job.endedAt, info: job.info,
    idempotencyKey: job.idempotencyKey, retryAt: job.retryAt, pendingReason: job.pendingReason ?? null, ...timeTriggerOf(job),
  };
}
