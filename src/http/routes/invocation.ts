import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Readable } from "node:stream";
import { argumentsFromQuery, isJsonObject } from "../../core/arguments.js";
import { BatonError, badRequest, PayloadTooLarge, UnsupportedMediaType, unauthorized } from "../../core/errors.js";
import { idempotencyKeyOf } from "../../core/idempotency.js";
import { sign, verify } from "../../core/signedUris.js";
import { isFinal, type CallMode, type Job, type JsonObject, type Principal, type Trigger } from "../../core/types.js";
import { json, principal, sessionCookie, type HttpContext } from "../context.js";
import { stripBom } from "../bodies.js";
import { problemBody } from "../problem.js";
import { outputUri, statusUri, tenantBase, waitUri } from "../urls.js";

declare module "fastify" {
  interface FastifyRequest {
    trigger: Trigger;
  }
}

type InvokeRequest = FastifyRequest<{ Params: { folderKey: string; slug: string } }>;
type JobRequest = FastifyRequest<{ Params: { jobKey: string }; Querystring: { sig?: string; exp?: string } }>;

const RETRY_AFTER_SECONDS = "1";
/** the call mode of each invocation that created a job, for the invoke latency histogram */
const invokedCallMode = new WeakMap<FastifyRequest, CallMode>();
const SIGNED_URI_GRACE_SECONDS = 15 * 60;

/** The invoke URL, and the status, output and wait URIs of SPEC §2. */
export function invocationRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { baton, config } = ctx;

  app.register(async (invoke) => {
    // Auth and the trigger checks run before the body is read, so a caller learns of a
    // wrong token, slug or verb without uploading anything, and the size limit is the
    // tenant's own.
    invoke.decorateRequest("trigger", null as never);
    invoke.addHook("preParsing", async (request: InvokeRequest) => {
      // a GET trigger creates a job too: with a console cookie, it needs the CSRF token
      const who = await principal(ctx, request, { csrfOnEveryMethod: true });
      request.trigger = await baton.jobs.triggerForInvocation(who, request.params.folderKey, request.params.slug, request.method);
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

    invoke.route({
      method: ["GET", "POST", "PUT", "DELETE", "PATCH"],
      url: "/t/:folderKey/:slug",
      // a key given twice is an array argument (argumentsFromQuery); authenticated by the
      // preParsing hook above, which checks the CSRF token on every method
      config: { repeatedQueryParameters: true, authBeforeBody: "none" },
      bodyLimit: config.hardBodyLimit,
      handler: async (request: InvokeRequest, reply) => {
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
          return json(reply, 202, { jobKey: job.key, state: job.state, statusUri: location });
        }
        return longPoll(request, reply, job, base);
      },
    });
  });

  app.get("/api/v1/jobs/:jobKey/status", async (request: JobRequest, reply) => {
    const job = await baton.jobs.getVisible(await principal(ctx, request), request.params.jobKey);
    const base = tenantBase(request, config, request.tenant);
    // the tenant's redirectStatusCode: 303 See Other, or 302 for clients that compare with 302
    if (isFinal(job.state)) return reply.code(request.settings.redirectStatusCode).header("location", outputUri(base, job.key)).send();
    reply.header("retry-after", RETRY_AFTER_SECONDS);
    return json(reply, 200, {
      jobKey: job.key, state: job.state, process: job.processName, createdAt: job.createdAt, startedAt: job.startedAt, info: job.info,
    });
  });

  app.get("/api/v1/jobs/:jobKey/output", async (request: JobRequest, reply) => {
    const job = await baton.jobs.getVisible(await principal(ctx, request), request.params.jobKey);
    if (!isFinal(job.state)) {
      reply.header("retry-after", RETRY_AFTER_SECONDS);
      throw new BatonError(409, "job-not-finished", "Conflict", `The job is ${job.state}; its result is not there yet. Poll the status URI.`, {
        extra: { jobKey: job.key, state: job.state },
      });
    }
    return sendResult(request, reply, job);
  });

  app.get("/api/v1/jobs/:jobKey/wait", async (request: JobRequest, reply) => {
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
      const final = ctx.shuttingDown() ? (isFinal(job.state) ? job : null) : await baton.jobs.waitForFinal(job, request.settings.longPollTimeoutSeconds * 1000, abort.signal);
      if (final) return sendResult(request, reply, final);
      return reply.code(request.settings.redirectStatusCode).header("location", waitLocation(request, base, job)).header("retry-after", "0").send();
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

/** Results (SPEC §2): Successful → 200 and the output; Faulted → 500 job-faulted; Stopped → 409 job-stopped. */
function sendResult(request: FastifyRequest, reply: FastifyReply, job: Job): FastifyReply {
  if (job.state === "Successful") return json(reply, 200, job.outputArguments ?? {});
  const error = job.state === "Faulted"
    ? new BatonError(500, "job-faulted", "Internal Server Error", job.error?.message ?? "The job faulted.", { extra: { jobKey: job.key, state: job.state, error: job.error } })
    : new BatonError(409, "job-stopped", "Conflict", "The job was stopped before it finished.", { extra: { jobKey: job.key, state: job.state } });
  return reply.code(error.status).type("application/problem+json").send(JSON.stringify(problemBody(error, request.url.split("?")[0])));
}

/** SPEC §2 arguments: the query string for GET and DELETE, a JSON object body otherwise. */
function invocationArguments(request: InvokeRequest): JsonObject {
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
