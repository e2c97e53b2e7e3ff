import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { INSTANT_MESSAGE, parseInstant } from "../../core/bounds.js";
import { BatonError, notFound } from "../../core/errors.js";
import type { RobotSession, TenantSettings } from "../../core/types.js";
import { toRobotJob } from "../../robot/InProcessConnection.js";
import { JSON_CONTENT_TYPE, parseJsonBody } from "../bodies.js";
import { robotPrincipal, type HttpContext } from "../context.js";
import { bodyCheckedByCore } from "../coreChecked.js";
import type { RouteErrors } from "../routeContract.js";
import { toBatonError } from "../problem.js";
import { answer, noContent } from "../schemas/common.js";
import {
  ClaimedJobs, ClaimRequest, CompleteJob, FailJob, HeartbeatAnswer, HeartbeatRequest, JobLogLines, MAX_CLAIM_WAIT_SECONDS, OpenedSession, OpenSession, ResultsAnswer,
  ResultsRequest, SessionJobParams, SessionParams, StoppedBody,
} from "../schemas/robotProtocol.js";
import { bodyCheckedAlso, validatorCompiler, type Violation } from "../validation.js";
import { readLimited } from "./invocation.js";

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

const tags = ["Robot protocol"];
/** every route: a robot key of the tenant (routeContract.ts), checked before a body is read */
const ROBOT = "robotKey" as const;
/** the session's, on every route but the opening */
const SESSION_GONE: RouteErrors["notFound"] = ["session-not-found"];
const HELD = "For a job this session holds. A job that is no longer this session's (lost lease, already final) is refused with 409 job-not-held: drop it.";

/** the session each request names (`:sessionId`), loaded once the robot key is checked and before the body is */
const sessions = new WeakMap<FastifyRequest, RobotSession>();
const sessionOf = (request: FastifyRequest): RobotSession => sessions.get(request)!;

/**
 * The robot protocol of SPEC §3 under `…/orchestrator_/api/robot/v1`, authenticated with a
 * robot key (docs/robot-protocol.md). A session is reachable only with the key that opened it.
 *
 * The order of the answers a robot relies on: 401 (the key), 404 session-not-found (the
 * session, before the body is looked at), 400 (the body: every fault listed, with the
 * route's code), then 409 job-not-held (the job). Hot paths (claim, heartbeat, results):
 * the bodies' validators are compiled once, the answers serialized by their schemas.
 */
export function robotProtocolRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.register(async (scope) => routes(scope, ctx));
}

function routes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
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
  // After the robot key (the access hook, before this one): no body, or `null`, is `{}` on
  // every route, as it always was (the routes with `optionalBody` take it so; the others then
  // name the fields missing); and the session the path names, so that a robot whose session
  // ended learns that first (404, open a new one), whatever it sent.
  app.addHook("preValidation", async (request) => {
    request.body ??= {};
    const { sessionId } = request.params as { sessionId?: string };
    if (sessionId === undefined) return;
    const who = await robotPrincipal(ctx, request);
    const session = await robots.sessionOrThrow(who.tenantId, sessionId);
    if (session.robotKeyId !== who.robotKeyId) throw notFound("session-not-found", "This robot session has ended or expired; open a new one.");
    sessions.set(request, session);
  });
  // The session came from the node's copy (Robots.sessionOrThrow): before a request is answered
  // with a fault of its own (400 for its body, say), the session is read again, so that a
  // session ended on another node is 404 session-not-found first, whatever the body, as when
  // the hook above read it every time. Faults are rare; the read costs only them.
  const answerFault = app.errorHandler;
  app.setErrorHandler(async function (err, request, reply) {
    const session = sessions.get(request);
    const fault = toBatonError(err);
    // (a refusal, job-not-held, read the session already)
    if (session && fault.status >= 400 && fault.status < 500 && fault.code !== "session-not-found" && fault.code !== "job-not-held") {
      try {
        await robots.confirmSession(session);
      } catch (gone) {
        return answerFault.call(this, gone as Error, request, reply);
      }
    }
    return answerFault.call(this, err, request, reply);
  });

  api.post("/api/robot/v1/sessions", {
    schema: {
      operationId: "openRobotSession", tags, summary: "Open a session",
      description: "Announces the process names the robot serves and its slots; answers the heartbeat interval, the lease length and the largest body it may send. " +
        "A session is reachable only with the robot key that opened it.",
      body: OpenSession,
      response: { 201: answer("The session.", OpenedSession) },
    },
    config: { access: ROBOT, errors: { invalid: "invalid-session" } },
    // the core checks every field (names, characters, bounds), every fault listed (Robots.openSession)
    validatorCompiler: bodyCheckedByCore,
  }, async (request, reply) => {
    const who = await robotPrincipal(ctx, request);
    const b = request.body as Record<string, unknown>; // `{}` for no body (the hook above)
    const s = await robots.openSession(who.tenantId, { robotName: b.robotName ?? who.name, processes: b.processes, slots: b.slots, version: b.version }, who.robotKeyId, who.folderKeys);
    reply.code(201);
    return {
      sessionId: s.id, heartbeatSeconds: robots.options.heartbeatSeconds, leaseSeconds: robots.options.leaseSeconds, leaseExpiresAt: s.leaseExpiresAt,
      maxRequestBodyBytes: robotBodyLimit(request.settings),
    };
  });

  api.post("/api/robot/v1/sessions/:sessionId/claim", {
    schema: {
      operationId: "claimJobs", tags, summary: "Claim jobs (long-poll)",
      description: "Up to `max` Pending jobs of the served processes, highest priority first, then oldest; each is given to exactly one session and is Running when answered. " +
        "A session never holds more jobs than its `slots`: a claim gets at most `slots` minus the jobs the session holds. " +
        "With none available, waits up to `waitSeconds` for one (returns at once when the node shuts down).",
      params: SessionParams, body: ClaimRequest,
      response: { 200: answer("The claimed jobs (maybe none).", ClaimedJobs) },
    },
    config: { access: ROBOT, optionalBody: true, errors: { invalid: "invalid-claim", notFound: SESSION_GONE } },
  }, async (request, reply) => {
    // null is the default, as absent
    const max = request.body.max ?? 1;
    const wait = request.body.waitSeconds ?? MAX_CLAIM_WAIT_SECONDS;
    const session = sessionOf(request);
    const jobs = await robots.claim(session, max, ctx.shuttingDown() ? 0 : wait * 1000, abortOnClose(reply, ctx.shutdownSignal));
    // the session may be a node's cached copy: "nothing for you" only to a session that is still open
    if (jobs.length === 0 && !ctx.shuttingDown()) await robots.confirmSession(session);
    return { jobs: jobs.map(toRobotJob) };
  });

  api.post("/api/robot/v1/sessions/:sessionId/heartbeat", {
    schema: {
      operationId: "heartbeat", tags, summary: "Heartbeat",
      description: "Extends the session's lease and its jobs'; answers which jobs must soft-stop or be killed, and which are no longer this session's. " +
        "A session whose lease runs out loses its jobs (404 session-not-found afterwards: open a new one).",
      params: SessionParams, body: HeartbeatRequest,
      response: { 200: answer("What the robot must do.", HeartbeatAnswer) },
    },
    config: { access: ROBOT, optionalBody: true, errors: { invalid: "invalid-heartbeat", notFound: SESSION_GONE } },
    // waitSeconds' maximum is half this server's lease: checked with the schema, in the same 400
    validatorCompiler: bodyCheckedAlso((body) => {
      const wait = (body as { waitSeconds?: unknown }).waitSeconds;
      const halfLease = robots.options.leaseSeconds / 2;
      return typeof wait === "number" && wait > halfLease ? [{ path: "/waitSeconds", message: `must be a number from 0 to ${halfLease}` }] : [];
    }),
  }, async (request, reply) => {
    const info: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(request.body.jobs ?? {})) info[k] = v ?? undefined;
    const wait = request.body.waitSeconds ?? 0;
    return robots.heartbeat(sessionOf(request), info, ctx.shuttingDown() ? 0 : wait * 1000, abortOnClose(reply, ctx.shutdownSignal));
  });

  api.post("/api/robot/v1/sessions/:sessionId/jobs/:jobKey/logs", {
    schema: {
      operationId: "appendJobLogs", tags, summary: "Append log lines to a job",
      description: `${HELD} The last line becomes the job's \`info\`. Lines are kept at least once: a batch a node stored but could not answer is sent again, and appears twice.`,
      params: SessionJobParams, body: JobLogLines,
      response: { 204: noContent("Recorded.") },
    },
    config: { access: ROBOT, errors: { invalid: "invalid-logs", notFound: SESSION_GONE, conflict: ["job-not-held"] } },
    // a line's `at`: the core's instants (a date alone, years 0001-9999), with the schema's faults
    validatorCompiler: bodyCheckedAlso(logLineInstants),
  }, async (request, reply) => {
    await robots.log(sessionOf(request), request.params.jobKey, request.body.lines);
    return reply.code(204).send(null);
  });

  api.post("/api/robot/v1/sessions/:sessionId/jobs/:jobKey/complete", {
    schema: {
      operationId: "completeJob", tags, summary: "Report a job Successful, with its output arguments",
      description: `${HELD} Output arguments that cannot be stored (a NUL character, a lone surrogate, a number that overflows, nesting too deep) are 400 invalid-output.`,
      params: SessionJobParams, body: CompleteJob,
      response: { 204: noContent("Recorded.") },
    },
    config: { access: ROBOT, optionalBody: true, errors: { invalid: "invalid-output", notFound: SESSION_GONE, conflict: ["job-not-held"] } },
  }, async (request, reply) => {
    await robots.complete(sessionOf(request), request.params.jobKey, request.body.outputArguments ?? {});
    return reply.code(204).send(null);
  });

  api.post("/api/robot/v1/sessions/:sessionId/jobs/:jobKey/fail", {
    schema: {
      operationId: "failJob", tags, summary: "Report a job Faulted, with its error",
      description: `${HELD} The job is retried as its process's retry policy allows, unless \`retryable\` is false.`,
      params: SessionJobParams, body: FailJob,
      response: { 204: noContent("Recorded.") },
    },
    config: { access: ROBOT, optionalBody: true, errors: { invalid: "invalid-error", notFound: SESSION_GONE, conflict: ["job-not-held"] } },
    // the core reads the error leniently (a code that is not a string is ProcessFailed) and
    // refuses only what it cannot keep, every fault listed (Robots.fail)
    validatorCompiler: bodyCheckedByCore,
  }, async (request, reply) => {
    await robots.fail(sessionOf(request), request.params.jobKey, (request.body as Record<string, unknown>).error);
    return reply.code(204).send(null);
  });

  api.post("/api/robot/v1/sessions/:sessionId/jobs/:jobKey/stopped", {
    schema: {
      operationId: "reportJobStopped", tags, summary: "Report a job stopped (after a stop or kill request)",
      description: HELD,
      params: SessionJobParams, body: StoppedBody,
      response: { 204: noContent("Recorded.") },
    },
    config: { access: ROBOT, optionalBody: true, errors: { notFound: SESSION_GONE, conflict: ["job-not-held"] } },
    // nothing is read from the body
    validatorCompiler: bodyCheckedByCore,
  }, async (request, reply) => {
    await robots.stopped(sessionOf(request), request.params.jobKey);
    return reply.code(204).send(null);
  });

  // Several results in one request: a busy robot reports what finished in the same moment
  // together. Each item is applied on its own; its answer is the status the single route gives.
  api.post("/api/robot/v1/sessions/:sessionId/results", {
    schema: {
      operationId: "reportResults", tags, summary: "Report several results at once",
      description: "Up to 100 results (complete, fail, stopped) in one request; each is applied on its own and answered with the status its single route would give " +
        "(204; 400 invalid-output or invalid-error for output arguments or an error that cannot be stored; 409 job-not-held). " +
        "A request that is not such a list is 400 invalid-results, and none of it is applied.",
      params: SessionParams, body: ResultsRequest,
      response: { 200: answer("One answer per result.", ResultsAnswer) },
    },
    config: { access: ROBOT, errors: { invalid: "invalid-results", notFound: SESSION_GONE } },
    // an item's outputArguments and error are the core's to check, item by item (their fault is that item's answer)
    validatorCompiler: (route) => validatorCompiler(route.httpPart === "body" ? { ...route, schema: RESULTS_ENVELOPE } : route),
  }, async (request) => {
    const s = sessionOf(request);
    const items = request.body.results;
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
    // an item refused because the session has ended (found out by its refusal, the session
    // being this node's copy): the request is 404, as when the session is read before the items
    const ended = settled.find((r) => r.status === "rejected" && r.reason instanceof BatonError && r.reason.code === "session-not-found");
    if (ended) throw (ended as PromiseRejectedResult).reason;
    const answers = settled.map((r, i) => {
      const jobKey = items[i]!.jobKey;
      if (r.status === "fulfilled") return { jobKey, status: 204 };
      const err: unknown = r.reason;
      if (!(err instanceof BatonError) || err.status >= 500) throw err;
      return { jobKey, status: err.status, code: err.code, detail: err.message };
    });
    return { results: answers };
  });

  api.delete("/api/robot/v1/sessions/:sessionId", {
    schema: {
      operationId: "closeRobotSession", tags, summary: "Close a session",
      description: "Its jobs go back to Pending (stopping ones end Stopped); the attempt each was on stays counted, so its next run is attempt n+1.",
      params: SessionParams,
      response: { 204: noContent("Closed.") },
    },
    config: { access: ROBOT, errors: { notFound: SESSION_GONE } },
  }, async (request, reply) => {
    const session = sessionOf(request);
    // a cached copy of a session already ended (on another node) is 404, as before the cache
    await robots.confirmSession(session);
    await robots.closeSession(session);
    return reply.code(204).send(null);
  });
}

/** ResultsRequest as validated: its items' outputArguments and error left to the core, item by item */
const resultItem = ResultsRequest.properties.results.items;
const RESULTS_ENVELOPE = {
  ...ResultsRequest,
  properties: {
    results: {
      ...ResultsRequest.properties.results,
      items: { ...resultItem, properties: { ...resultItem.properties, outputArguments: {}, error: {} } },
    },
  },
};

/** The lines' `at` that are strings but not the core's instants (parseInstant); other faults are the schema's. */
function logLineInstants(body: unknown): Violation[] {
  const lines = (body as { lines?: unknown }).lines;
  if (!Array.isArray(lines)) return [];
  const out: Violation[] = [];
  lines.forEach((line: unknown, i) => {
    const at = typeof line === "object" && line !== null ? (line as { at?: unknown }).at : undefined;
    if (typeof at === "string" && parseInstant(at) === null) out.push({ path: `/lines/${i}/at`, message: INSTANT_MESSAGE });
  });
  return out;
}

/** A long-poll ends when its caller goes away, or when this node shuts down. */
function abortOnClose(reply: FastifyReply, shutdown: AbortSignal): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => { if (!reply.raw.writableFinished) controller.abort(); });
  return AbortSignal.any([controller.signal, shutdown]);
}
