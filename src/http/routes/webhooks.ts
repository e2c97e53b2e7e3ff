import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { WebhookRecord } from "../../core/store.js";
import type { WebhookDelivery as DeliveryRecord, WebhookEvent as WebhookEventName } from "../../core/webhooks/types.js";
import { publicWebhook } from "../../core/webhooks/Webhooks.js";
import { audited, fieldNames } from "../audit.js";
import type { HttpContext } from "../context.js";
import { answer, noContent } from "../schemas/common.js";
import {
  CreatedWebhook, DeliveryId, DeliveryQuery, RotatedWebhook, Webhook, WebhookDelivery, WebhookDeliveryPage, WebhookId, WebhookInput, WebhookPage, WebhookPatch,
} from "../schemas/webhooks.js";

/** a subscription as the API shows it (the schema leaves out its secret and tenant); its events were checked when it was written */
const renderWebhook = (w: WebhookRecord) => ({ ...publicWebhook(w), events: w.events as (WebhookEventName | "*")[] });

/** a delivery with every attempt; its payload as the JSON it is */
function renderDelivery(d: DeliveryRecord) {
  return { ...d, payload: JSON.parse(d.payload) as { type: string; timestamp: string; data: Record<string, unknown> } };
}

const READ = { scope: ["Settings", "Read"], permission: "Settings.View" } as const;
const WRITE = { scope: ["Settings", "Write"], permission: "Settings.Edit" } as const;
const tags = ["Webhooks"];
/** the URL's host could not be looked up now (readWebhookBody): nothing is written */
const DNS_UNAVAILABLE = {
  codes: ["webhook-dns-unavailable" as const],
  description: "the URL's host could not be looked up now (its DNS failed for the moment, or this node's lookups are busy; webhook-dns-unavailable), and nothing was saved.",
};

/**
 * Webhook subscriptions of the tenant (SPEC §8) under `…/orchestrator_/api/v1/webhooks`.
 * They are tenant configuration: reading needs the Settings scope (read) and Settings.View,
 * changing them Settings (write) and Settings.Edit; every change is audited (never a secret).
 */
export function webhookRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const webhooks = ctx.baton.webhooks;

  api.get("/api/v1/webhooks", {
    schema: { operationId: "listWebhooks", tags, summary: "List webhook subscriptions", response: { 200: answer("The tenant's subscriptions (never their secrets).", WebhookPage) } },
    config: { access: READ },
  }, async (request) => ({ items: (await webhooks.list(request.tenant.id)).map(renderWebhook), nextCursor: null }));

  api.post("/api/v1/webhooks", {
    schema: {
      operationId: "createWebhook", tags, summary: "Subscribe to job events",
      description: "Deliveries are POSTs of `{ type, timestamp, data: { job } }` signed with `webhook-id`, `webhook-timestamp`, `webhook-signature` (Standard Webhooks) and `X-UiPath-Signature`.",
      body: WebhookInput,
      response: { 201: answer("The subscription, with its `secret`: shown only this once.", CreatedWebhook) },
    },
    config: { access: WRITE, errors: { invalid: "invalid-webhook", badRequest: ["invalid-body"], unavailable: DNS_UNAVAILABLE } },
  }, async (request, reply) => {
    // the body read and its URL resolved before the transaction (a lookup takes what DNS takes)
    const fields = await webhooks.readNew(request.tenant.id, request.body);
    const { webhook, secret } = await audited(ctx, request, () => webhooks.create(request.tenant.id, fields),
      ({ webhook }) => ["webhook.create", webhook.id, { url: webhook.url, events: webhook.events }]);
    reply.header("cache-control", "no-store").code(201);
    return { ...renderWebhook(webhook), secret };
  });

  api.get("/api/v1/webhooks/:id", {
    schema: { operationId: "getWebhook", tags, summary: "A webhook subscription", params: WebhookId, response: { 200: answer("The subscription.", Webhook) } },
    config: { access: READ, errors: { notFound: ["webhook-not-found"] } },
  }, async (request) => renderWebhook(await webhooks.get(request.tenant.id, request.params.id)));

  api.patch("/api/v1/webhooks/:id", {
    schema: {
      operationId: "updateWebhook", tags, summary: "Change a webhook subscription", params: WebhookId, body: WebhookPatch,
      response: { 200: answer("The subscription, after the change.", Webhook) },
    },
    config: { access: WRITE, errors: { invalid: "invalid-webhook", badRequest: ["invalid-body"], notFound: ["webhook-not-found"], unavailable: DNS_UNAVAILABLE } },
  }, async (request) => {
    const fields = await webhooks.readChange(request.tenant.id, request.params.id, request.body);
    const webhook = await audited(ctx, request, () => webhooks.update(request.tenant.id, request.params.id, fields),
      (w) => ["webhook.update", w.id, { fields: fieldNames(request.body, w) }]);
    return renderWebhook(webhook);
  });

  api.delete("/api/v1/webhooks/:id", {
    schema: { operationId: "deleteWebhook", tags, summary: "Delete a webhook subscription and its deliveries", params: WebhookId, response: { 204: noContent("Deleted.") } },
    config: { access: WRITE, errors: { notFound: ["webhook-not-found"] } },
  }, async (request, reply) => {
    await audited(ctx, request, () => webhooks.delete(request.tenant.id, request.params.id), (w) => ["webhook.delete", w.id, { url: w.url }]);
    return reply.code(204).send(null);
  });

  api.post("/api/v1/webhooks/:id/rotate-secret", {
    schema: {
      operationId: "rotateWebhookSecret", tags, summary: "A new signing secret",
      description: "The new secret signs every delivery from now on; the previous one keeps signing too, as a second `v1,` signature in `webhook-signature`, for 24 hours.",
      params: WebhookId,
      response: { 200: answer("The subscription and its new `secret`: shown only this once.", RotatedWebhook) },
    },
    config: { access: WRITE, errors: { notFound: ["webhook-not-found"] } },
  }, async (request, reply) => {
    const { webhook, secret } = await audited(ctx, request, () => webhooks.rotateSecret(request.tenant.id, request.params.id),
      ({ webhook }) => ["webhook.rotate-secret", webhook.id]);
    reply.header("cache-control", "no-store");
    return { ...renderWebhook(webhook), secret, previousSecretValidUntil: webhook.previousSecretUntil };
  });

  api.post("/api/v1/webhooks/:id/test", {
    schema: {
      operationId: "testWebhook", tags, summary: "Send a ping (`webhook.test`)",
      description: "Sent whatever the subscription's events, even when it is disabled; made and retried like any delivery, and listed with them.",
      params: WebhookId,
      response: { 202: answer("The delivery, recorded and on its way.", WebhookDelivery) },
    },
    config: { access: WRITE, errors: { notFound: ["webhook-not-found"] } },
  }, async (request, reply) => {
    const delivery = await webhooks.test(request.tenant.id, request.params.id);
    reply.code(202);
    return renderDelivery(delivery);
  });

  api.get("/api/v1/webhooks/:id/deliveries", {
    schema: {
      operationId: "listWebhookDeliveries", tags, summary: "Deliveries, newest first, with every attempt", params: WebhookId, querystring: DeliveryQuery,
      response: { 200: answer("A page of deliveries.", WebhookDeliveryPage) },
    },
    config: { access: READ, errors: { badRequest: ["invalid-filter", "invalid-cursor"], notFound: ["webhook-not-found"] } },
  }, async (request) => {
    const page = await webhooks.deliveries(request.tenant.id, request.params.id, request.query);
    return { items: page.items.map(renderDelivery), nextCursor: page.nextCursor };
  });

  api.post("/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver", {
    schema: {
      operationId: "redeliverWebhookDelivery", tags, summary: "Make a delivery again",
      description: "The same `webhook-id` and body, newly signed; retried for another 24 hours.",
      params: DeliveryId,
      response: { 202: answer("The delivery, Pending again.", WebhookDelivery) },
    },
    config: { access: WRITE, errors: { notFound: ["webhook-not-found", "webhook-delivery-not-found"], conflict: ["webhook-delivery-pending"] } },
  }, async (request, reply) => {
    const delivery = await audited(ctx, request, () => webhooks.redeliver(request.tenant.id, request.params.id, request.params.deliveryId),
      (d) => ["webhook.redeliver", d.id, { webhookId: d.webhookId }]);
    reply.code(202);
    return renderDelivery(delivery);
  });
}
