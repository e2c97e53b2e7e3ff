/** Webhook subscriptions and their deliveries (routes/webhooks.ts). */
import { Type } from "typebox";
import { WEBHOOK_EVENTS } from "../../core/webhooks/types.js";
import { DateTime, NullableDateTime, Page, StringEnum, Uuid } from "./common.js";
import { Cursor, Limit } from "./lists.js";
import { named } from "./named.js";

export const WebhookEvent = named("WebhookEvent", StringEnum([...WEBHOOK_EVENTS, "*"] as const, { description: "`*`: every event." }));

const webhookProperties = {
  id: Uuid(),
  url: Type.String({ format: "uri" }),
  events: Type.Array(WebhookEvent),
  folderKeys: Type.Union([Type.Array(Uuid()), Type.Null()], { description: "Only jobs of these folders; null: every folder." }),
  enabled: Type.Boolean(),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime(),
  updatedAt: DateTime(),
  secretRotatedAt: NullableDateTime(),
};

export const Webhook = named("Webhook", Type.Object(webhookProperties));
export const WebhookPage = named("WebhookPage", Page(Webhook, false));
export const CreatedWebhook = named("CreatedWebhook", Type.Object({
  ...webhookProperties,
  secret: Type.String({ pattern: "^whsec_[A-Za-z0-9+/]+=*$", description: "The signing secret (Standard Webhooks format): shown only this once." }),
}));
export const RotatedWebhook = named("RotatedWebhook", Type.Object({
  ...webhookProperties,
  secret: Type.String({ pattern: "^whsec_[A-Za-z0-9+/]+=*$", description: "The new signing secret: shown only this once." }),
  previousSecretValidUntil: Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description: "Until then deliveries carry a second `v1,` signature made with the previous secret." }),
}));

/**
 * The shapes only: the URL's scheme, credentials and destination (SSRF), the folders' existence,
 * the lengths and unknown fields are the core's rules (webhookInput.ts, 400 invalid-webhook
 * naming every fault), checked once the shapes match.
 */
const inputProperties = {
  url: Type.String({ description: "http or https, without credentials; loopback, link-local and private addresses (after DNS resolution) are refused unless BATON_WEBHOOKS_ALLOW_PRIVATE=true." }),
  events: Type.Array(WebhookEvent, { description: "At least one event." }),
  folderKeys: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], { description: "1 to 100 folder keys of the tenant; null or absent: every folder." })),
  enabled: Type.Optional(Type.Boolean({ description: "true by default." })),
  description: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "At most 500 characters." })),
};
export const WebhookInput = named("WebhookInput", Type.Object(inputProperties, {
  additionalProperties: true,
  description: "`id`, `createdAt`, `updatedAt` and `secretRotatedAt` are ignored; any other unknown field is 400 invalid-webhook.",
}));
export const WebhookPatch = named("WebhookPatch", Type.Object({
  ...inputProperties,
  url: Type.Optional(inputProperties.url),
  events: Type.Optional(inputProperties.events),
}, { additionalProperties: true, description: "The fields to change; the others keep their values." }));

export const WebhookAttempt = named("WebhookAttempt", Type.Object({
  at: DateTime(),
  statusCode: Type.Union([Type.Integer(), Type.Null()], { description: "The receiver's status; null when no answer came (refused, timed out, refused address)." }),
  durationMs: Type.Integer({ minimum: 0 }),
  error: Type.Union([Type.String(), Type.Null()], { description: "Why the attempt failed; null for a 2xx." }),
}));
export const WebhookDelivery = named("WebhookDelivery", Type.Object({
  id: Type.String({ description: "The `webhook-id` header: the same for every attempt and redelivery (receivers drop repeats by it)." }),
  webhookId: Uuid(),
  type: Type.String({ description: "The event (`job.completed`, …) or `webhook.test`." }),
  jobKey: Type.Union([Type.String({ format: "uuid" }), Type.Null()]),
  state: StringEnum(["Pending", "Delivered", "Failed"] as const),
  createdAt: DateTime(),
  nextAttemptAt: NullableDateTime(),
  retryUntil: Type.String({ format: "date-time", description: "Failed attempts are retried until then (24 hours), then the delivery is Failed." }),
  deliveredAt: NullableDateTime(),
  attempts: Type.Array(WebhookAttempt),
  payload: Type.Object({
    type: Type.String(),
    timestamp: DateTime(),
    data: Type.Object({}, { additionalProperties: true }),
  }, { additionalProperties: true, description: "The body sent: `{ type, timestamp, data: { job } }` (the job as GET /jobs/{jobKey} shows it)." }),
}));
export const WebhookDeliveryPage = named("WebhookDeliveryPage", Page(WebhookDelivery, true));

export const WebhookId = Type.Object({ id: Type.String({ description: "The webhook's id (a UUID; any other is answered 404 webhook-not-found)." }) });
export const DeliveryId = Type.Object({
  id: WebhookId.properties.id,
  deliveryId: Type.String({ description: "The delivery's id (its `webhook-id`)." }),
});
export const DeliveryQuery = Type.Object({ limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) });
