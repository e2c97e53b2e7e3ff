import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from "fastify";
import type { Readable } from "node:stream";
import { argumentsFromQuery, isJsonObject } from "../../core/arguments.js";
import type { ErrorCode } from "../../core/errorCodes.js";
import { BatonError, badRequest, committed, JobNotFound, PayloadTooLarge, UnsupportedMediaType, unauthorized } from "../../core/errors.js";
import { idempotencyKeyOf } from "../../core/idempotency.js";
import { sign, verify } from "../../core/signedUris.js";
import { isFinal, type CallMode, type Job, type JsonObject, type Principal, type Trigger, type Verb } from "../../core/types.js";
import { principal, sessionCookie, type HttpContext } from "../context.js";
import { stripBom } from "../bodies.js";
import { invocationCheckedByCore } from "../coreChecked.js";
import { problemBody } from "../problem.js";
import type { ErrorAnswer, RouteAccess, RouteErrors } from "../routeContract.js";
import {
  InvocationBody, invokeAnswers, InvokeHeaders, InvokeParams, InvokeQuery, JobKeyParams, outputAnswers, statusAnswers, waitAnswers, WaitQuery,
} from "../schemas/invocation.js";
import { outputUri, statusUri, tenantBase, waitUri } from "../urls.js";

declare module "fastify" {
  interface FastifyRequest {
    trigger: Trigger;
  }
}

const RETRY_AFTER_SECONDS = "1";
/** the call mode of each invocation that created a job, for the invoke latency histogram */
const invokedCallMode = new WeakMap<FastifyRequest, CallMode>();
const SIGNED_URI_GRACE_SECONDS = 15 * 60;

const tags = ["Invocation"];

/** Invoking: OR.Jobs or OR.Jobs.Write; the permission is checked on the trigger the preParsing hook loads. */
const INVOKE_ACCESS: RouteAccess = {
  scope: ["Jobs", "Write"], permission: "Jobs.Create", checkedBy: "handler",
  permissionNote: "`Jobs.Create` in the trigger's folder (a user who may not see the folder gets 404 trigger-not-found; one who sees it but lacks the permission, 403 permission-denied).",
};
const TRIGGER_NOT_FOUND = { description: "No trigger with this slug in this folder (or no such tenant).", codes: ["trigger-not-found", "tenant-not-found"] as ErrorCode[] };

/** Reading a job (Jobs.getVisible): any Jobs scope; without one, or without Jobs.View in the job's folder, the job is answered 404. */
const JOB_VISIBLE: RouteAccess = {
  scope: ["Jobs", "Any"], hiddenWithoutScope: true, permission: "Jobs.View", checkedBy: "handler",
  hidden: { code: "job-not-found", detail: (params) => JobNotFound(params.jobKey ?? "").message },
  permissionNote: "`Jobs.View` in the job's folder; without it the job is answered 404 job-not-found.",
};
/** the results of SPEC §2: Successful → 200 (the route's schema), Faulted → 500, Stopped → 409 */
const FAULTED = { description: "The job ended **Faulted** (`error` is the job's error), or the orchestrator failed.", codes: ["job-faulted", "internal-error"] as ErrorCode[], problems: ["JobFaultedProblem", "Problem"] };
const STOPPED = { description: "The job ended **Stopped**.", codes: ["job-stopped"] as ErrorCode[], problems: ["JobStoppedProblem"] };

/** The invoke URL, and the status, output and wait URIs of SPEC §2. */
export function invocationRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { baton, config } = ctx;

  app.register(async (plugin) => {
    const invoke = plugin.withTypeProvider<TypeBoxTypeProvider>();
    // Auth and the trigger checks run before the body is read, so a caller learns of a
    // wrong token, slug or verb without uploading anything, and the size limit is the
    // tenant's own.
    invoke.decorateRequest("trigger", null as never);
    invoke.addHook("preParsing", async (request) => {
      // a GET trigger creates a job too: with a console cookie, it needs the CSRF token
      const who = await principal(ctx, request, { csrfOnEveryMethod: true });
      const params = request.params as { folderKey: string; slug: string };
      request.trigger = await baton.jobs.triggerForInvocation(who, params.folderKey, params.slug, request.method);
      baton.rateLimits.checkTrigger(request.trigger, request.settings);
    });
    // metrics: invocations that created a job, from request to response (the LongPolling wait included)
    invoke.addHook("onResponse", (request, reply, done) => {
      const callMode = invokedCallMode.get(request);
      if (callMode) ctx.metrics.observeInvoke(callMode, reply.elapsedTime / 1000);
      done();
    });
    invoke.removeAllContentTypeParsers();
    invoke.addContentTypeParser("*", (request, payload, done) => {
      readLimited(payload, request.headers, request.settings.maxRequestBodyBytes).then((b) => done(null, b), (e: Error) => done(e));
    });

    // A trigger has one verb: each is its own operation in the document; the same handler
    // answers them all (another verb than the trigger's is 405 from the preParsing hook).
    const options = (verb: Verb) => {
      const withBody = verb === "POST" || verb === "PUT";
      const argumentsHow = withBody
        ? "Arguments: a JSON object body (`Content-Type: application/json` or any `+json` type; an empty body is `{}`)."
        : "Arguments: the query string. A value that parses as a JSON number, boolean, array or object is passed as that, anything else as a string; a key given twice becomes an array.";
      const bodyAnswers: Record<number, ErrorAnswer> = withBody ? {
        413: { description: "The body exceeds the tenant's `maxRequestBodyBytes`.", codes: ["payload-too-large"], problems: ["PayloadTooLargeProblem"] },
        415: { description: "The body is not JSON, or is in a Content-Encoding other than identity.", codes: ["unsupported-media-type", "unsupported-content-encoding"] },
      } : {};
      const errors: RouteErrors = {
        // (a GET creates a job too: with a console session it needs X-CSRF-Token, as changes do)
        ...(verb === "GET" ? { forbidden: ["csrf-token-invalid"] } : {}),
        answers: {
          ...bodyAnswers,
          400: {
            description: "The arguments or the Idempotency-Key are not valid; no job was created.",
            codes: [...(withBody ? ["invalid-json" as const, "invalid-body" as const] : []), "unknown-control-parameter", "invalid-call-mode", "invalid-arguments", "invalid-schema", "invalid-idempotency-key"],
            problems: ["ValidationProblem"],
          },
          404: TRIGGER_NOT_FOUND,
          405: { response: "MethodNotAllowed" },
          409: { description: "The trigger is disabled (no job was created), or, in LongPolling, the job ended Stopped.", codes: ["trigger-disabled", "job-stopped"], problems: ["JobStoppedProblem", "Problem"] },
          422: { description: "The Idempotency-Key was sent before with another request; no job was created.", codes: ["idempotency-key-mismatch"] },
          500: FAULTED,
        },
      };
      return {
        schema: {
          operationId: `invokeTrigger${verb[0]}${verb.slice(1).toLowerCase()}`, tags,
          summary: `Invoke an API trigger whose verb is ${verb}`,
          description: [
            "Creates a job of the trigger's process and answers according to the call mode: the trigger's default, or `$callMode`.",
            argumentsHow,
            "Keys starting with `$` are control parameters and never reach the process. Input arguments are the process's defaults, overridden by the trigger's defaults, overridden by the request; " +
              "with an input schema they are validated before any job exists.",
            "**FireAndForget**: 200 with no body once the job is stored. **AsyncRequestReply**: 202. **LongPolling**: the call blocks until the job is final and answers with the result " +
              "(200 / 409 / 500), or 303 (302 with the tenant's `redirectStatusCode` 302) to the wait URI after `longPollTimeoutSeconds`.",
            "**Idempotency-Key**: a request repeated with its key creates no job; it is answered as its call mode answers for the first request's job, " +
              "with `Idempotent-Replayed: true` (LongPolling waits for that job).",
          ].join("\n\n"),
          params: InvokeParams,
          headers: InvokeHeaders,
          ...(withBody ? { body: InvocationBody } : { querystring: InvokeQuery }),
          response: invokeAnswers,
        },
        // a key given twice is an array argument (argumentsFromQuery); authenticated by the
        // preParsing hook above, which checks the CSRF token on every method
        config: { access: INVOKE_ACCESS, errors, ...(withBody ? { optionalBody: true as const } : {}), repeatedQueryParameters: true, authBeforeBody: "none" as const },
        bodyLimit: config.hardBodyLimit,
        validatorCompiler: invocationCheckedByCore,
      } satisfies RouteShorthandOptions;
    };
    // (the route's handlers await it: a reply resolves once it is sent)
    const answer = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const key = idempotencyKeyOf(request.headers, request.raw.rawHeaders);
      const args = invocationArguments(request);
      const { job, callMode, replayed } = await baton.jobs.invoke(request.trigger, args, key);
      invokedCallMode.set(request, callMode);
      // a repeated request is answered as its call mode answers for the first call's job (SPEC §8)
      if (replayed) reply.header("idempotent-replayed", "true");
      const base = tenantBase(request, config, request.tenant);
      if (callMode === "FireAndForget") return reply.code(200).send();
      if (callMode === "AsyncRequestReply") {
        const location = statusUri(base, job.key);
        reply.header("location", location).header("retry-after", RETRY_AFTER_SECONDS);
        return reply.code(202).send({ jobKey: job.key, state: job.state, statusUri: location });
      }
      return longPoll(request, reply, job, base);
    };
    for (const verb of ["GET", "POST", "PUT", "DELETE"] as const) {
      invoke.route({ method: verb, url: "/t/:folderKey/:slug", ...options(verb), handler: async (request, reply) => { await answer(request, reply); } });
    }
    // PATCH is never a trigger's verb: answered (405 with Allow, once the token and the
    // trigger are checked) so that a caller using the wrong method learns the right one
    invoke.patch("/t/:folderKey/:slug", {
      schema: {
        operationId: "invokeTriggerPatch", tags, summary: "PATCH is never a trigger's verb",
        description: "Answered so that a caller using the wrong method learns the right one: 405 with `Allow` once the token and the trigger are checked.",
        params: InvokeParams,
        response: {},
      },
      config: { access: INVOKE_ACCESS, errors: { answers: { 404: TRIGGER_NOT_FOUND, 405: { response: "MethodNotAllowed" } } }, repeatedQueryParameters: true, authBeforeBody: "none" },
      bodyLimit: config.hardBodyLimit,
      validatorCompiler: invocationCheckedByCore,
    }, async (request, reply) => { await answer(request, reply); });
  });

  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get("/api/v1/jobs/:jobKey/status", {
    schema: {
      operationId: "getJobStatus", tags, summary: "Poll a job's status (the status URI)",
      description: "While the job is not final: 200 with `Retry-After` (never another 2xx or 3xx). Once final: 303 to the output URI (302 with the tenant's `redirectStatusCode` 302).",
      params: JobKeyParams,
      response: statusAnswers,
    },
    config: { access: JOB_VISIBLE, errors: { notFound: ["job-not-found"] } },
  }, async (request, reply) => {
    const job = await baton.jobs.getVisible(await principal(ctx, request), request.params.jobKey);
    const base = tenantBase(request, config, request.tenant);
    // the tenant's redirectStatusCode: 303 See Other, or 302 for clients that compare with 302
    if (isFinal(job.state)) return redirect(reply, request.settings.redirectStatusCode, outputUri(base, job.key));
    reply.header("retry-after", RETRY_AFTER_SECONDS);
    return reply.code(200).send({
      jobKey: job.key, state: job.state as "Pending", process: job.processName, createdAt: job.createdAt, startedAt: job.startedAt, info: job.info,
    });
  });

  api.get("/api/v1/jobs/:jobKey/output", {
    schema: {
      operationId: "getJobOutput", tags, summary: "A final job's result (the output URI)",
      params: JobKeyParams,
      response: outputAnswers,
    },
    config: {
      access: JOB_VISIBLE,
      errors: {
        notFound: ["job-not-found"],
        answers: {
          409: {
            description: "The job ended Stopped, or it is not final yet (poll the status URI).", codes: ["job-stopped", "job-not-finished"], problems: ["JobStoppedProblem", "JobNotFinishedProblem"],
            headers: { "Retry-After": { required: false, description: "With job-not-finished: seconds to wait before polling the status URI.", schema: { type: "integer", minimum: 0 } } },
          },
          500: FAULTED,
        },
      },
    },
  }, async (request, reply) => {
    const job = await baton.jobs.getVisible(await principal(ctx, request), request.params.jobKey);
    if (!isFinal(job.state)) {
      reply.header("retry-after", RETRY_AFTER_SECONDS);
      throw new BatonError(409, "job-not-finished", "Conflict", `The job is ${job.state}; its result is not there yet. Poll the status URI.`, {
        extra: { jobKey: job.key, state: job.state },
      });
    }
    return sendResult(request, reply, job);
  });

  api.get("/api/v1/jobs/:jobKey/wait", {
    schema: {
      operationId: "waitForJob", tags, summary: "Block until a job is final (the wait URI of LongPolling)",
      description:
        "Blocks like a LongPolling invocation: the result once the job is final, or, after the tenant's `longPollTimeoutSeconds`, 303 (or the tenant's `redirectStatusCode`) to this same URI, so a client that follows redirects loops until the result arrives. " +
        "Authenticated by a token, or, for the URIs handed out when `syncRedirectsRequireAuth` is false, by their `exp` and `sig` parameters (a wrong or expired signature is 401).",
      params: JobKeyParams,
      querystring: WaitQuery,
      response: waitAnswers,
    },
    config: {
      // a signed wait URI needs no credential: the handler authenticates (a signature, or a token whose 401 says what went wrong)
      access: { ...JOB_VISIBLE, signedUri: true, permissionNote: "with a token or session, `Jobs.View` in the job's folder (without it, 404 job-not-found); a signed wait URI needs none." },
      errors: { notFound: ["job-not-found"], answers: { 409: STOPPED, 500: FAULTED } },
    },
  }, async (request, reply) => {
    const { sig, exp } = request.query;
    let job: Job;
    // the tenant's setting now, not when the URI was signed: switching syncRedirectsRequireAuth
    // back on ends every signed wait URI handed out before (the caller needs a credential again)
    if ((sig !== undefined || exp !== undefined) && !request.settings.syncRedirectsRequireAuth) {
      job = await baton.jobs.getByKey(request.tenant.id, request.params.jobKey).catch(() => { throw unauthorized("The wait URI's signature is not valid."); });
      const verdict = verify(baton.signingSecret, request.tenant.id, job.key, "wait", Number(exp), sig ?? "", Math.floor(baton.clock.now().getTime() / 1000));
      if (verdict !== "ok") throw unauthorized(verdict === "expired" ? "The wait URI has expired; ask for the job's status with a token." : "The wait URI's signature is not valid.");
    } else {
      job = await baton.jobs.getVisible(await principal(ctx, request).catch((err: unknown) => { throw waitWithoutToken(request, err); }), request.params.jobKey);
    }
    return longPoll(request, reply, job, tenantBase(request, config, request.tenant));
  });

  /**
   * A wait URI called without a token, nor a signature: most often a client that followed
   * LongPolling's 303 to another host (BATON_PUBLIC_URL's host is not the one it called)
   * and so dropped its Authorization header, as requests, fetch and curl -L do. The 401
   * says how to get out of it.
   */
  function waitWithoutToken(request: FastifyRequest, err: unknown): unknown {
    if (request.headers.authorization !== undefined || sessionCookie(request) !== null || !(err instanceof BatonError) || err.status !== 401) return err;
    const publicUrl = config.publicUrl ? ` (BATON_PUBLIC_URL is ${config.publicUrl.replace(/\/+$/, "")})` : "";
    return unauthorized("A wait URI needs an Authorization: Bearer <token> header. If you were redirected here by LongPolling's 303 " +
      `from another host${publicUrl}, your client dropped the header on the way, as HTTP clients do across hosts: ` +
      "call the host the redirects point at, or set the tenant setting syncRedirectsRequireAuth to false, so that wait URIs are signed and need no token.");
  }

  /** Blocks until the job is final or the tenant's longPollTimeoutSeconds pass; then the result, or 303 (redirectStatusCode) to the wait URI. */
  async function longPoll(request: FastifyRequest, reply: FastifyReply, job: Job, base: string): Promise<FastifyReply> {
    const abort = new AbortController();
    const onClose = () => { if (!reply.raw.writableFinished) abort.abort(); };
    reply.raw.once("close", onClose);
    try {
      // the job on disk before the wait: an answer after it (up to longPollTimeoutSeconds later)
      // asks durable() when this turn's batch is long gone, and a job SQLite rolled back would
      // be answered a 303 to a wait URI that finds nothing, not 503
      await committed(baton.store);
      const final = ctx.shuttingDown() ? (isFinal(job.state) ? job : null) : await baton.jobs.waitForFinal(job, request.settings.longPollTimeoutSeconds * 1000, abort.signal);
      if (final) return sendResult(request, reply, final);
      return redirect(reply.header("retry-after", "0"), request.settings.redirectStatusCode, waitLocation(request, base, job));
    } finally {
      reply.raw.off("close", onClose);
    }
  }

  function waitLocation(request: FastifyRequest, base: string, job: Job): string {
    const uri = waitUri(base, job.key);
    if (request.settings.syncRedirectsRequireAuth) return uri;
    const expires = Math.floor(Date.parse(job.createdAt) / 1000) + request.settings.syncMaxJobDurationSeconds + SIGNED_URI_GRACE_SECONDS;
    return `${uri}?exp=${expires}&sig=${sign(baton.signingSecret, job.tenantId, job.key, "wait", expires)}`;
  }
}

/** A 303 (or the tenant's 302), without a body. */
function redirect(reply: FastifyReply, status: number, location: string): FastifyReply {
  return reply.code(status).header("location", location).send();
}

/** Results (SPEC §2): Successful → 200 and the output; Faulted → 500 job-faulted; Stopped → 409 job-stopped. */
function sendResult(request: FastifyRequest, reply: FastifyReply, job: Job): FastifyReply {
  // the output as is, through the route's free-form Arguments schema (every member kept)
  if (job.state === "Successful") return reply.code(200).send(job.outputArguments ?? {});
  const error = job.state === "Faulted"
    ? new BatonError(500, "job-faulted", "Internal Server Error", job.error?.message ?? "The job faulted.", { extra: { jobKey: job.key, state: job.state, error: job.error } })
    : new BatonError(409, "job-stopped", "Conflict", "The job was stopped before it finished.", { extra: { jobKey: job.key, state: job.state } });
  return reply.code(error.status).type("application/problem+json").send(JSON.stringify(problemBody(error, request.url.split("?")[0])));
}

/** SPEC §2 arguments: the query string for GET and DELETE, a JSON object body otherwise. */
function invocationArguments(request: FastifyRequest): JsonObject {
  const method = request.method;
  if (method === "GET" || method === "DELETE") {
    const q = request.url.indexOf("?");
    return argumentsFromQuery(new URLSearchParams(q === -1 ? "" : request.url.slice(q + 1)));
  }
  const raw = request.body as Buffer | undefined;
  if (!raw || raw.length === 0) return {};
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !type.endsWith("+json")) throw UnsupportedMediaType(type || "(none)");
  let value: unknown;
  try {
    value = JSON.parse(stripBom(raw.toString("utf8")));
  } catch (err) {
    throw badRequest("invalid-json", `The body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(value)) throw badRequest("invalid-body", "The body must be a JSON object of input arguments.");
  return value;
}

/** Reads a body up to `limit` bytes; past it, 413 without reading the rest. */
export function readLimited(payload: Readable, headers: FastifyRequest["headers"], limit: number): Promise<Buffer> {
  const declared = Number(headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(PayloadTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        payload.removeAllListeners("data");
        payload.resume();
        reject(PayloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    payload.once("end", () => resolve(Buffer.concat(chunks)));
    payload.once("error", reject);
  });
}

export type { Principal };
