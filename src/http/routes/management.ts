import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { idempotencyKeyOf } from "../../core/idempotency.js";
import { renderJob, renderJobDetail, renderJobListItem } from "../../core/jobView.js";
import type { RouteAccess } from "../routeContract.js";
import { audited } from "../audit.js";
import { principal, type HttpContext } from "../context.js";
import { answer } from "../schemas/common.js";
import { IdempotencyKeyHeader, IdempotentReplayed, Job, JobDetail, JobKey, JobListQuery, JobLogPage, JobLogsQuery, JobPage, StartJob, StopJob } from "../schemas/jobs.js";

const tags = ["Jobs"];
/** a job read by its key: any Jobs scope, and Jobs.View in its folder; a caller without either gets 404 (its existence is not revealed) */
const jobHidden: RouteAccess["hidden"] = { code: "job-not-found", detail: (params) => `No job with key '${params.jobKey}' exists in this tenant.` };
const readJob = {
  scope: ["Jobs", "Any"], hiddenWithoutScope: true, hidden: jobHidden, permission: "Jobs.View", checkedBy: "handler",
  permissionNote: "`Jobs.View` in the job's folder; without it the job is answered 404 job-not-found.",
} as const;

/**
 * Jobs under `…/orchestrator_/api/v1/jobs` (SPEC §6): listed, started, read with their
 * attempts and logs, stopped. Each route: its schemas check the request, one core call, the
 * answer serialized through its schema.
 */
export function managementRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { baton } = ctx;
  const { jobs } = baton;

  api.get("/api/v1/jobs", {
    schema: {
      operationId: "listJobs", tags, summary: "List jobs, newest first",
      description: "Newest first: by creation order, or, with `createdAfter`/`createdBefore`, by `createdAt` (then creation order), read from an index on the time however deep the window lies. Pass `nextCursor` unchanged to get the next page. Every filter at fault is named in one 400 invalid-filter (`violations`, one per query parameter).",
      querystring: JobListQuery,
      response: { 200: answer("A page of jobs.", JobPage) },
    },
    config: {
      access: { scope: ["Jobs", "Any"], permissionNote: "none to call; only the jobs of folders in which the user has `Jobs.View` are listed." },
      errors: { invalidQuery: "invalid-filter", badRequest: ["invalid-filter", "invalid-cursor", "invalid-query"] },
    },
  }, async (request) => {
    const page = await jobs.list(await principal(ctx, request), request.query);
    return { items: page.items.map(renderJobListItem), nextCursor: page.nextCursor };
  });

  api.post("/api/v1/jobs", {
    schema: {
      operationId: "startJob", tags, summary: "Start a job of a process directly",
      description: "The job's source is Api and its call mode AsyncRequestReply; follow it with GET /api/v1/jobs/{jobKey} or its status URI. " +
        "A request repeated with its `Idempotency-Key` starts no job: 201 with the first request's job as it is now, and `Idempotent-Replayed: true`.",
      headers: IdempotencyKeyHeader,
      body: StartJob,
      response: { 201: { ...answer("The job.", Job), headers: IdempotentReplayed } },
    },
    config: {
      access: {
        scope: ["Jobs", "Write"], permission: "Jobs.Create", checkedBy: "handler",
        permissionNote: "`Jobs.Create` in the folder (a user who may not see the folder gets 404 folder-not-found; one who sees it but lacks the permission, 403 permission-denied).",
      },
      errors: {
        badRequest: ["invalid-arguments", "invalid-schema", "invalid-idempotency-key"], notFound: ["folder-not-found", "process-not-found"],
        unprocessable: { codes: ["idempotency-key-mismatch"], description: "The Idempotency-Key was sent before with another request; no job was created." },
      },
    },
  }, async (request, reply) => {
    const key = idempotencyKeyOf(request.headers, request.raw.rawHeaders);
    const p = await principal(ctx, request);
    // a repeated request (same Idempotency-Key and request) started nothing: no audit entry
    const { job, replayed } = await audited(ctx, request, () => jobs.start(p, request.body, key),
      ({ job, replayed }) => (replayed ? null : ["job.start", job.key, { folderKey: job.folderKey, processName: job.processName }]));
    if (replayed) reply.header("idempotent-replayed", "true");
    reply.code(201);
    return renderJob(await jobs.withPendingReason(job));
  });

  api.get("/api/v1/jobs/:jobKey", {
    schema: {
      operationId: "getJob", tags, summary: "Get a job",
      params: JobKey,
      response: { 200: answer("The job, with every attempt.", JobDetail) },
    },
    config: { access: readJob, errors: { notFound: ["job-not-found"] } },
  }, async (request) => renderJobDetail(baton.store, await jobs.describe(await principal(ctx, request), request.params.jobKey)));

  api.get("/api/v1/jobs/:jobKey/logs", {
    schema: {
      operationId: "getJobLogs", tags, summary: "A job's log lines, oldest first",
      params: JobKey,
      querystring: JobLogsQuery,
      response: { 200: answer("A page of log lines.", JobLogPage) },
    },
    config: { access: readJob, errors: { invalidQuery: "invalid-filter", badRequest: ["invalid-filter", "invalid-cursor", "invalid-query"], notFound: ["job-not-found"] } },
  }, async (request) => jobs.logs(await principal(ctx, request), request.params.jobKey, request.query));

  api.post("/api/v1/jobs/:jobKey/stop", {
    schema: {
      operationId: "stopJob", tags, summary: "Stop a job",
      description: "A Pending job ends Stopped at once. A running job is asked to stop through its robot: SoftStop moves it to Stopping, Kill to Terminating; it ends Stopped (or finishes first).",
      params: JobKey,
      body: StopJob,
      response: { 202: answer("The stop is under way (or done): the job as it is now.", Job) },
    },
    config: {
      access: {
        scope: ["Jobs", "Write"], permission: "Jobs.Edit", checkedBy: "handler",
        permissionNote: "`Jobs.Edit` in the job's folder (without `Jobs.View` there the job is answered 404 job-not-found; with it but without `Jobs.Edit`, 403 permission-denied).",
      },
      errors: { invalid: "invalid-strategy", notFound: ["job-not-found"], conflict: ["job-final", "job-busy"] },
    },
  }, async (request, reply) => {
    const { strategy } = request.body;
    const p = await principal(ctx, request);
    const job = await audited(ctx, request, () => jobs.stop(p, request.params.jobKey, strategy),
      (stopped) => ["job.stop", stopped.key, { strategy, processName: stopped.processName }]);
    reply.code(202);
    return renderJob(job);
  });
}
