import type { FastifyInstance, FastifyRequest } from "fastify";
import { requireScope } from "../../core/scopes.js";
import { requirePermission } from "../../core/permissionChecks.js";
import type { Permission } from "../../core/Permissions.js";
import type { Principal } from "../../core/types.js";
import type { WebhookRecord } from "../../core/store.js";
import type { WebhookDelivery } from "../../core/webhooks/types.js";
import { publicWebhook } from "../../core/webhooks/Webhooks.js";
import { fieldNames, recordAudit } from "../audit.js";
import { json, principal, type HttpContext, type Params, type Query } from "../context.js";

type Req = FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>;

/** a subscription as the API shows it: never its secret, nor its tenant */
export function renderWebhook(w: WebhookRecord) {
  const { tenantId: _tenantId, ...shown } = publicWebhook(w);
  return shown;
}

/** a delivery with every attempt; its payload as the JSON it is */
export function renderDelivery(d: WebhookDelivery) {
  return {
    id: d.id, webhookId: d.webhookId, type: d.type, jobKey: d.jobKey, state: d.state, createdAt: d.createdAt, nextAttemptAt: d.nextAttemptAt,
    retryUntil: d.retryUntil, deliveredAt: d.deliveredAt, attempts: d.attempts, payload: JSON.parse(d.payload) as unknown,
  };
}

/**
 * Webhook subscriptions of the tenant (SPEC §8) under `…/orchestrator_/api/v1/webhooks`.
 * They are tenant configuration: reading needs the Settings scope (read) and Settings.View,
 * changing them Settings (write) and Settings.Edit; every change is audited (never a secret).
 */
export function webhookRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { baton } = ctx;
  const webhooks = baton.webhooks;
  const allow = async (request: Req, access: "Read" | "Write"): Promise<Principal> => {
    const p = await principal(ctx, request);
    requireScope(p, "Settings", access);
    requirePermission(p, (access === "Read" ? "Settings.View" : "Settings.Edit") as Permission, null);
    return p;
  };
  const audited = async <T>(request: Req, p: Principal, change: () => Promise<T>, entry: (result: T) => [action: string, target: string, details?: Record<string, unknown>]): Promise<T> =>
    baton.store.transaction(async () => {
      const result = await change();
      const [action, target, details = {}] = entry(result);
      await recordAudit(ctx, request, p, { action, target, details });
      return result;
    });
  const id = (request: Req) => request.params.id!;

  app.get("/api/v1/webhooks", async (request: Req, reply) => {
    await allow(request, "Read");
    return json(reply, 200, { items: (await webhooks.list(request.tenant.id)).map(renderWebhook), nextCursor: null });
  });
  app.post("/api/v1/webhooks", async (request: Req, reply) => {
    const p = await allow(request, "Write");
    const { webhook, secret } = await audited(request, p, () => webhooks.create(request.tenant.id, request.body),
      ({ webhook }) => ["webhook.create", webhook.id, { url: webhook.url, events: webhook.events }]);
    reply.header("cache-control", "no-store");
    return json(reply, 201, { ...renderWebhook(webhook), secret });
  });
  app.get("/api/v1/webhooks/:id", async (request: Req, reply) => {
    await allow(request, "Read");
    return json(reply, 200, renderWebhook(await webhooks.get(request.tenant.id, id(request))));
  });
  app.patch("/api/v1/webhooks/:id", async (request: Req, reply) => {
    const p = await allow(request, "Write");
    const webhook = await audited(request, p, () => webhooks.update(request.tenant.id, id(request), request.body),
      (w) => ["webhook.update", w.id, { fields: fieldNames(request.body, w) }]);
    return json(reply, 200, renderWebhook(webhook));
  });
  app.delete("/api/v1/webhooks/:id", async (request: Req, reply) => {
    const p = await allow(request, "Write");
    await audited(request, p, () => webhooks.delete(request.tenant.id, id(request)), (w) => ["webhook.delete", w.id, { url: w.url }]);
    return reply.code(204).send();
  });
  app.post("/api/v1/webhooks/:id/rotate-secret", async (request: Req, reply) => {
    const p = await allow(request, "Write");
    const { webhook, secret } = await audited(request, p, () => webhooks.rotateSecret(request.tenant.id, id(request)),
      ({ webhook }) => ["webhook.rotate-secret", webhook.id]);
    reply.header("cache-control", "no-store");
    return json(reply, 200, { ...renderWebhook(webhook), secret, previousSecretValidUntil: webhook.previousSecretUntil });
  });
  app.post("/api/v1/webhooks/:id/test", async (request: Req, reply) => {
    await allow(request, "Write");
    return json(reply, 202, renderDelivery(await webhooks.test(request.tenant.id, id(request))));
  });
  app.get("/api/v1/webhooks/:id/deliveries", async (request: Req, reply) => {
    await allow(request, "Read");
    const page = await webhooks.deliveries(request.tenant.id, id(request), request.query);
    return json(reply, 200, { items: page.items.map(renderDelivery), nextCursor: page.nextCursor });
  });
  app.post("/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver", async (request: Req, reply) => {
    const p = await allow(request, "Write");
    const delivery = await audited(request, p, () => webhooks.redeliver(request.tenant.id, id(request), request.params.deliveryId!),
      (d) => ["webhook.redeliver", d.id, { webhookId: d.webhookId }]);
    return json(reply, 202, renderDelivery(delivery));
  });
}
