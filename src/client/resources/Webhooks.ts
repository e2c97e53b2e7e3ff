import { paginate } from "../pagination.js";
import { segment, type RequestOptions } from "../Transport.js";
import type { CreatedWebhook, Page, RotatedWebhook, Webhook, WebhookDelivery, WebhookInput, WebhookPatch } from "../types.js";
import type { ClientContext } from "./context.js";

/**
 * Webhook subscriptions: `…/api/v1/webhooks` (docs/webhooks.md). A secret is shown once, at
 * creation and at rotation.
 */
export class WebhooksApi {
  constructor(private readonly ctx: ClientContext) {}

  list(options: RequestOptions = {}): Promise<Page<Webhook>> {
    return this.ctx.transport.request("GET", "/webhooks", options);
  }

  /** Subscribes `url` to `events`; the answer's `secret` is shown only there. */
  create(input: WebhookInput, options: RequestOptions = {}): Promise<CreatedWebhook> {
    return this.ctx.transport.request("POST", "/webhooks", { ...options, body: input });
  }

  get(id: string, options: RequestOptions = {}): Promise<Webhook> {
    return this.ctx.transport.request("GET", `/webhooks/${segment(id)}`, options);
  }

  update(id: string, patch: WebhookPatch, options: RequestOptions = {}): Promise<Webhook> {
    return this.ctx.transport.request("PATCH", `/webhooks/${segment(id)}`, { ...options, body: patch });
  }

  delete(id: string, options: RequestOptions = {}): Promise<void> {
    return this.ctx.transport.request("DELETE", `/webhooks/${segment(id)}`, options);
  }

  /** A new secret (shown only in this answer); the previous one keeps signing for 24 hours. */
  rotateSecret(id: string, options: RequestOptions = {}): Promise<RotatedWebhook> {
    return this.ctx.transport.request("POST", `/webhooks/${segment(id)}/rotate-secret`, options);
  }

  /** Sends a `webhook.test` ping; its delivery is listed with the others. */
  test(id: string, options: RequestOptions = {}): Promise<WebhookDelivery> {
    return this.ctx.transport.request("POST", `/webhooks/${segment(id)}/test`, options);
  }

  deliveries(id: string, options: RequestOptions & { cursor?: string; limit?: number } = {}): Promise<Page<WebhookDelivery>> {
    const { cursor, limit, ...rest } = options;
    return this.ctx.transport.request("GET", `/webhooks/${segment(id)}/deliveries`, { ...rest, query: { cursor, limit: limit === undefined ? undefined : String(limit) } });
  }

  iterateDeliveries(id: string, options: RequestOptions = {}): AsyncGenerator<WebhookDelivery, void, undefined> {
    return paginate((cursor) => this.deliveries(id, { ...options, cursor }));
  }

  redeliver(id: string, deliveryId: string, options: RequestOptions = {}): Promise<WebhookDelivery> {
    return this.ctx.transport.request("POST", `/webhooks/${segment(id)}/deliveries/${segment(deliveryId)}/redeliver`, options);
  }
}
