import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { INSTANT_MESSAGE, parseInstant } from "../../core/bounds.js";
import { BatonError, badRequest, notFound } from "../../core/errors.js";
import type { RobotPrincipal, RobotSession, TenantSettings } from "../../core/types.js";
import { toRobotJob } from "../../robot/InProcessConnection.js";
import { JSON_CONTENT_TYPE, parseJsonBody } from "../bodies.js";
import { json, robotPrincipal, type HttpContext } from "../context.js";
import { readLimited } from "./invocation.js";

type Req = FastifyRequest<{ Params: { sessionId: string; jobKey: string }; Body: Record<string, unknown> | undefined }>;

const MAX_CLAIM_WAIT_SECONDS = 30;
const MAX_CLAIM_BATCH = 100;
const MAX_RESULTS_BATCH = 100;
const MAX_LOG_LINES = 10_000;

/**
 * The robot protocol's bodies may be as large as the tenant's `maxRequestBodyBytes`, but never
 * smaller than this: a tenant that keeps invocation bodies small must not starve its robots'
 * heartbeats and results.
 */
export const MIN_ROBOT_BODY_BYTES = 64 * 1024;

/** The largest robot protocol request body of a tenant; the session-open answer tells the robot. */
export function robotBodyLimit(settings: TenantSettings): number {
  return Math.max(settings.maxRequestBodyBytes, MIN_ROBOT_BODY_BYTES);
}

/**
 * The robot protocol of SPEC §3 under `…/orchestrator_/api/robot/v1`, authenticated with a
 * robot key (docs/robot-protocol.md). A session is reachable only with the key that opened it.
 */
export function robotProtocolRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.register(async (scope) => routes(scope, ctx));
}

function routes(app: FastifyInstance, ctx: HttpContext): void {
  const { robots } = ctx.baton;
  // JSON bodies up to the tenant's limit (robotBodyLimit), read only that far: past it, 413
  // payload-too-large with the limit in the problem, which a robot sizes its batches by
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_CONTENT_TYPE, (request, payload, done) => {
    readLimited(payload, request.headers, robotBodyLimit(request.settings)).then((buffer) => {
      try {
        done(null, parseJsonBody(buffer.toString("utf8")));
      } catch (err) {
        done(err as Error);
      }
    }, (err: Error) => done(err));
  });
  const robot = (request: FastifyRequest): Promise<RobotPrincipal> => robotPrincipal(ctx, request);
  /** every route: the robot key is checked before a body is read */
  const byRobot = { config: { authBeforeBody: "robot" as const } };
  const session = async (request: Req): Promise<RobotSession> => {
    const who = await robot(request);
    const s = await robots.sessionOrThrow(who.tenantId, request.params.sessionId);
    if (s.robotKeyId !== who.robotKeyId) throw notFound("session-not-found", "This robot session has ended or expired; open a new one.");
    return s;
  };
  const body = (request: Req) => (request.body ?? {}) as Record<string, unknown>;

  app.post("/api/robot/v1/sessions", byRobot, async (request: Req, reply) => {
    const who = await robot(request);
    const b = body(request);
    const s = await robots.openSession(who.tenantId, { robotName: b.robotName ?? who.name, processes: b.processes, slots: b.slots, version: b.version }, who.robotKeyId, who.folderKeys);
    return json(reply, 201, {
      sessionId: s.id, heartbeatSeconds: robots.options.heartbeatSeconds, leaseSeconds: robots.options.leaseSeconds, leaseExpiresAt: s.leaseExpiresAt,
      maxRequestBodyBytes: robotBodyLimit(request.settings),
    });
  });

  app.post("/api/robot/v1/sessions/:sessionId/claim", byRobot, async (request: Req, reply) => {
    const s = await session(request);
    const b = body(request);
    const max = b.max ?? 1;
    const wait = b.waitSeconds ?? MAX_CLAIM_WAIT_SECONDS;
    if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > MAX_CLAIM_BATCH) throw badRequest("invalid-claim", `max must be an integer from 1 to ${MAX_CLAIM_BATCH}.`);
    if (typeof wait !== "number" || wait < 0 || wait > MAX_CLAIM_WAIT_SECONDS) throw badRequest("invalid-claim", `waitSeconds must be a number from 0 to ${MAX_CLAIM_WAIT_SECONDS}.`);
    const jobs = await robots.claim(s, max as number, ctx.shuttingDown() ? 0 : wait * 1000, abortOnClose(reply, ctx.shutdownSignal));
    return json(reply, 200, { jobs: jobs.map(toRobotJob) });
  });

  app.post("/api/robot/v1/sessions/:sessionId/heartbeat", byRobot, async (request: Req, reply) => {
    const s = await session(request);
    const b = body(request);
    const jobs = b.jobs ?? {};
    if (typeof jobs !== "object" || jobs === null || Array.isArray(jobs) || !Object.values(jobs).every((v) => v === null || typeof v === "string")) {
      throw badRequest("invalid-heartbeat", "jobs must be an object mapping each held job key to an info line (or null).");
    }
    const wait = b.waitSeconds ?? 0;
    if (typeof wait !== "number" || wait < 0 || wait > robots.options.leaseSeconds / 2) {
      throw badRequest("invalid-heartbeat", `waitSeconds must be a number from 0 to ${robots.options.leaseSeconds / 2}.`);
    }
    const info: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(jobs as Record<string, string | null>)) info[k] = v ?? undefined;
    return json(reply, 200, await robots.heartbeat(s, info, ctx.shuttingDown() ? 0 : wait * 1000, abortOnClose(reply, ctx.shutdownSignal)));
  });

  app.post("/api/robot/v1/sessions/:sessionId/jobs/:jobKey/logs", byRobot, async (request: Req, reply) => {
    const s = await session(request);
    const lines = body(request).lines;
    const problem = !Array.isArray(lines) || lines.length > MAX_LOG_LINES
      ? { path: "/lines", message: `must be an array of at most ${MAX_LOG_LINES} lines` }
      : lines.map(logLineProblem).find((p) => p !== null) ?? null;
    if (problem) {
      throw badRequest("invalid-logs", `lines must be an array of at most ${MAX_LOG_LINES} { message: string, level?: "info"|"error", at?: ISO 8601 date-time } (${problem.path.slice(1)} ${problem.message}).`, {
        violations: [problem],
      });
    }
    await robots.log(s, request.params.jobKey, lines as { message: string; level?: "info" | "error"; at?: string }[]);
    return reply.code(204).send();
  });

  app.post("/api/robot/v1/sessions/:sessionId/jobs/:jobKey/complete", byRobot, async (request: Req, reply) => {
    await robots.complete(await session(request), request.params.jobKey, body(request).outputArguments ?? {});
    return reply.code(204).send();
  });

  app.post("/api/robot/v1/sessions/:sessionId/jobs/:jobKey/fail", byRobot, async (request: Req, reply) => {
    await robots.fail(await session(request), request.params.jobKey, body(request).error);
    return reply.code(204).send();
  });

  app.post("/api/robot/v1/sessions/:sessionId/jobs/:jobKey/stopped", byRobot, async (request: Req, reply) => {
    await robots.stopped(await session(request), request.params.jobKey);
    return reply.code(204).send();
  });

  // Several results in one request: a busy robot reports what finished in the same moment
  // together. Each item is applied on its own; its answer is the status the single route gives.
  app.post("/api/robot/v1/sessions/:sessionId/results", byRobot, async (request: Req, reply) => {
    const s = await session(request);
    const items = body(request).results;
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_RESULTS_BATCH || !items.every(isResultItem)) {
      throw badRequest("invalid-results", `results must be an array of 1 to ${MAX_RESULTS_BATCH} { jobKey, outcome: "complete" | "fail" | "stopped", outputArguments?, error? }.`);
    }
    // The items of different jobs are applied concurrently (each is one conditional write of
    // its own job, so none waits for another's round trips to the store); items of the same
    // job run in order, so the first wins and a repeat is refused. Answers keep the items' order.
    const previous = new Map<string, Promise<unknown>>();
    const settled = await Promise.allSettled(items.map((item) => {
      const run = async () => {
        if (item.outcome === "complete") await robots.complete(s, item.jobKey, item.outputArguments ?? {});
        else if (item.outcome === "fail") await robots.fail(s, item.jobKey, item.error);
        else await robots.stopped(s, item.jobKey);
      };
      const before = previous.get(item.jobKey);
      const p = before ? before.then(run, run) : run();
      previous.set(item.jobKey, p.catch(() => {}));
      return p;
    }));
    const answers = settled.map((r, i) => {
      const jobKey = items[i]!.jobKey;
      if (r.status === "fulfilled") return { jobKey, status: 204 };
      const err: unknown = r.reason;
      if (!(err instanceof BatonError) || err.status >= 500) throw err;
      return { jobKey, status: err.status, code: err.code, detail: err.message };
    });
    return json(reply, 200, { results: answers });
  });

  app.delete("/api/robot/v1/sessions/:sessionId", byRobot, async (request: Req, reply) => {
    await robots.closeSession(await session(request));
    return reply.code(204).send();
  });
}

function isResultItem(v: unknown): v is { jobKey: string; outcome: "complete" | "fail" | "stopped"; outputArguments?: unknown; error?: unknown } {
  if (typeof v !== "object" || v === null) return false;
  const { jobKey, outcome } = v as Record<string, unknown>;
  return typeof jobKey === "string" && (outcome === "complete" || outcome === "fail" || outcome === "stopped");
}

/** Why the log line at `index` is not one, with its JSON Pointer, or null. */
function logLineProblem(l: unknown, index: number): { path: string; message: string } | null {
  const at = (field: string, message: string) => ({ path: `/lines/${index}${field}`, message });
  if (typeof l !== "object" || l === null || Array.isArray(l)) return at("", "must be an object { message, level?, at? }");
  const line = l as Record<string, unknown>;
  if (typeof line.message !== "string") return at("/message", "must be a string");
  if (line.level !== undefined && line.level !== "info" && line.level !== "error") return at("/level", 'must be "info" or "error"');
  if (line.at !== undefined && parseInstant(line.at) === null) return at("/at", INSTANT_MESSAGE);
  return null;
}

/** A long-poll ends when its caller goes away, or when this node shuts down. */
function abortOnClose(reply: FastifyReply, shutdown: AbortSignal): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => { if (!reply.raw.writableFinished) controller.abort(); });
  return AbortSignal.any([controller.signal, shutdown]);
}
