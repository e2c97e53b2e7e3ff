import { createHash, timingSafeEqual } from "node:crypto";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { StoreUnavailable, unauthorized } from "../../core/errors.js";
import type { HttpContext } from "../context.js";
import { answer } from "../schemas/common.js";

const tags = ["Operations"];

/**
 * The node's operations endpoints, outside any tenant (docs/deployment.md):
 * `/healthz` the process is up (liveness), `/readyz` the store answers (readiness),
 * `/metrics` Prometheus metrics, behind `BATON_METRICS_TOKEN` when that is set.
 * Registered as a plugin, after the document's generator, which sees them only so.
 */
export function operationsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  void app.register(async (nodeApp) => routes(nodeApp, ctx));
}

function routes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { baton, config, metrics } = ctx;

  api.get("/healthz", {
    schema: {
      operationId: "getHealth", tags, summary: "Liveness: the process is up",
      description: "Answers 200 whenever the process serves HTTP; it does not look at the store (that is `/readyz`). During graceful shutdown, 503 shutting-down. " +
        "On SQLite, after its write-ahead log failed a sync, every answer is 503 store-unavailable until the node is restarted, this one too (a liveness probe then restarts it).",
      response: { 200: answer("The process is up.", Type.Object({ status: Type.Literal("ok") })) },
    },
    config: { access: "public" },
  }, async () => ({ status: "ok" as const }));

  api.get("/readyz", {
    schema: {
      operationId: "getReadiness", tags, summary: "Readiness: the store answers",
      description: "200 when a round trip to the store (`SELECT 1`) succeeds and, on SQLite, its write-ahead log has never failed a sync (after one, no write is acknowledged until the node is restarted); " +
        "otherwise 503 store-unavailable with `Retry-After`, and 503 shutting-down during graceful shutdown. " +
        "Load balancers send traffic only to ready nodes.",
      response: { 200: answer("The node can serve requests.", Type.Object({ status: Type.Literal("ready") })) },
    },
    config: { access: "public" },
  }, async () => {
    try {
      await baton.store.ping();
    } catch (err) {
      // whatever the failure (a closed pool, a refused connection, a closed file): not ready
      throw StoreUnavailable(err);
    }
    return { status: "ready" as const };
  });

  const expected = config.metricsToken ? digest(config.metricsToken) : null;
  api.get("/metrics", {
    schema: {
      operationId: "getMetrics", tags, summary: "Prometheus metrics",
      description: "The Prometheus text format: `baton_jobs{state,process}`, `baton_queue_depth{process}`, `baton_robot_sessions`, `baton_robot_slots`, `baton_store_up` " +
        "(counted in the store at scrape time, the same on every node), `baton_waiting_callers`, `baton_invoke_duration_seconds{call_mode}` and " +
        "`baton_claim_latency_seconds` (this node's), and Node's process metrics.",
      // text, sent as rendered (a string is not serialized through a schema)
      response: { 200: { description: "The metrics.", content: { "text/plain": { schema: Type.String() } } } },
    },
    config: { access: "metricsToken" },
  }, async (request, reply) => {
    if (expected) {
      const given = /^Bearer +(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
      if (!given || !timingSafeEqual(digest(given), expected)) throw unauthorized("GET /metrics needs the metrics token (BATON_METRICS_TOKEN) as a bearer token.");
    }
    const { contentType, body } = await metrics.render(request.log);
    return reply.code(200).type(contentType).send(body);
  });
}

/** Equal-length digests, so the comparison takes the same time whatever was sent. */
const digest = (value: string): Buffer => createHash("sha256").update(value).digest();
