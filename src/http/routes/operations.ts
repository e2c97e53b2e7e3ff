import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { StoreUnavailable, unauthorized } from "../../core/errors.js";
import { json, type HttpContext } from "../context.js";

/**
 * The node's operations endpoints, outside any tenant (docs/deployment.md):
 * `/healthz` the process is up (liveness), `/readyz` the store answers (readiness),
 * `/metrics` Prometheus metrics, behind `BATON_METRICS_TOKEN` when that is set.
 */
export function operationsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { baton, config, metrics } = ctx;

  app.get("/healthz", async (_request, reply) => json(reply, 200, { status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    try {
      await baton.store.ping();
    } catch (err) {
      // whatever the failure (a closed pool, a refused connection, a closed file): not ready
      throw StoreUnavailable(err);
    }
    return json(reply, 200, { status: "ready" });
  });

  const expected = config.metricsToken ? digest(config.metricsToken) : null;
  app.get("/metrics", async (request, reply) => {
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
