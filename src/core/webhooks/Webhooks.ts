import { randomUUID } from "node:crypto";
import type { Clock } from "../Clock.js";
import { conflict, notFound } from "../errors.js";
import { decodeCursor, encodeCursor, queryLimit } from "../listQuery.js";
import type { Notifier } from "../notifier.js";
import type { Store, WebhookRecord } from "../store.js";
import type { Page } from "../types.js";
import type { Resolver } from "./destination.js";
import { newWebhookSecret } from "./signature.js";
import { RETRY_WINDOW_MS, ROTATION_GRACE_MS, type WebhookDispatcher } from "./WebhookDispatcher.js";
import type { WebhookEvents } from "./WebhookEvents.js";
import { readWebhookBody, type WebhookFields } from "./webhookInput.js";
import { TEST_EVENT, type Webhook, type WebhookDelivery } from "./types.js";

export const WebhookNotFound = (id: string) => notFound("webhook-not-found", `No webhook with id '${id}' exists in this tenant.`);
const DeliveryNotFound = (id: string) => notFound("webhook-delivery-not-found", `No delivery with id '${id}' exists for this webhook.`);

/** What the API shows of a subscription: never its secret. */
export function publicWebhook(w: WebhookRecord): Webhook & { secretRotatedAt: string | null } {
  return {
    id: w.id, tenantId: w.tenantId, url: w.url, events: w.events, folderKeys: w.folderKeys, enabled: w.enabled, description: w.description,
    createdAt: w.createdAt, updatedAt: w.updatedAt,
    secretRotatedAt: w.previousSecretUntil ? new Date(Date.parse(w.previousSecretUntil) - ROTATION_GRACE_MS).toISOString() : null,
  };
}

/**
 * Webhook subscriptions of a tenant (SPEC §8): made, changed, deleted, their secret rotated,
 * pinged, their deliveries listed and made again. Access is checked by the routes
 * (Settings scope and permissions); every change drops the subscriptions cached on every node.
 */
export class Webhooks {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
    readonly events: WebhookEvents,
    readonly dispatcher: WebhookDispatcher,
  ) {}

  /** how a host name is resolved, at creation and at each delivery alike (DNS; tests inject their own) */
  get resolver(): Resolver {
    return this.dispatcher.options.resolver;
  }

  set resolver(resolver: Resolver) {
    this.dispatcher.options.resolver = resolver;
  }

  private get ssrf() {
    return { resolver: this.resolver, allowPrivate: this.dispatcher.options.allowPrivate };
  }

  private changed(tenantId: string): void {
    this.events.forget(tenantId);
    this.notifier.publish("webhooksChanged", { tenantId });
  }

  private folderExists(tenantId: string) {
    return async (key: string) => (await this.store.getFolder(tenantId, key)) !== null;
  }

  /**
   * A new subscription's body, read and checked, its URL's host resolved (SSRF). Called
   * outside the transaction that writes it: a lookup may take seconds, and an open
   * transaction holds every other write of a SQLite node meanwhile.
   */
  readNew(tenantId: string, input: unknown): Promise<WebhookFields> {
    return readWebhookBody(input, false, this.folderExists(tenantId), this.ssrf);
  }

  /** A change to subscription `id` (404 if there is none), read and checked as `readNew` does: outside the transaction that writes it. */
  async readChange(tenantId: string, id: string, input: unknown): Promise<WebhookFields> {
    await this.get(tenantId, id);
    return readWebhookBody(input, true, this.folderExists(tenantId), this.ssrf);
  }

  /** Subscribes with the fields `readNew` read. */
  async create(tenantId: string, fields: WebhookFields): Promise<{ webhook: WebhookRecord; secret: string }> {
    const at = this.clock.now().toISOString();
    const secret = newWebhookSecret();
    const webhook: WebhookRecord = {
      id: randomUUID(), tenantId, url: fields.url!, events: fields.events!, folderKeys: fields.folderKeys ?? null, enabled: fields.enabled ?? true,
      description: fields.description ?? null, createdAt: at, updatedAt: at, secret, previousSecret: null, previousSecretUntil: null,
    };
    await this.store.createWebhook(webhook);
    this.changed(tenantId);
    return { webhook, secret };
  }

  list(tenantId: string): Promise<WebhookRecord[]> {
    return this.store.listWebhooks(tenantId);
  }

  async get(tenantId: string, id: string): Promise<WebhookRecord> {
    const w = await this.store.getWebhook(tenantId, id);
    if (!w) throw WebhookNotFound(id);
    return w;
  }

  /** Changes subscription `id` with the fields `readChange` read. */
  async update(tenantId: string, id: string, fields: WebhookFields): Promise<WebhookRecord> {
    const updated = await this.store.updateWebhook(tenantId, id, { ...fields, updatedAt: this.clock.now().toISOString() });
    if (!updated) throw WebhookNotFound(id);
    this.changed(tenantId);
    return updated;
  }

  async delete(tenantId: string, id: string): Promise<WebhookRecord> {
    const w = await this.get(tenantId, id);
    if (!(await this.store.deleteWebhook(tenantId, id))) throw WebhookNotFound(id);
    this.changed(tenantId);
    return w;
  }

  /**
   * A new secret, shown once. The previous one keeps signing for 24 hours (a second `v1,`
   * signature in `webhook-signature`), so receivers can switch without losing a delivery.
   */
  async rotateSecret(tenantId: string, id: string): Promise<{ webhook: WebhookRecord; secret: string }> {
    const w = await this.get(tenantId, id);
    const now = this.clock.now().getTime();
    const secret = newWebhookSecret();
    const updated = await this.store.updateWebhook(tenantId, id, {
      secret, previousSecret: w.secret, previousSecretUntil: new Date(now + ROTATION_GRACE_MS).toISOString(), updatedAt: new Date(now).toISOString(),
    });
    if (!updated) throw WebhookNotFound(id);
    this.changed(tenantId);
    return { webhook: updated, secret };
  }

  /** A ping (`webhook.test`), sent whatever the subscription's events and even when it is disabled; listed with the others. */
  async test(tenantId: string, id: string): Promise<WebhookDelivery> {
    const w = await this.get(tenantId, id);
    const payload = JSON.stringify({ type: TEST_EVENT, timestamp: this.clock.now().toISOString(), data: { webhook: { id: w.id, url: w.url } } });
    const deliveryId = await this.store.transaction(() => this.events.deliver(w, TEST_EVENT, null, payload));
    return (await this.store.getDelivery(tenantId, deliveryId))!;
  }

  async deliveries(tenantId: string, id: string, query: Record<string, string | undefined>): Promise<Page<WebhookDelivery>> {
    await this.get(tenantId, id);
    const limit = queryLimit(query.limit, 50);
    const { items, next } = await this.store.listDeliveries(tenantId, id, limit, decodeCursor(query.cursor));
    return { items, nextCursor: next === null ? null : encodeCursor(next) };
  }

  /** Makes a delivery again (the same id and body, newly signed), retried for another 24 hours. */
  async redeliver(tenantId: string, id: string, deliveryId: string): Promise<WebhookDelivery> {
    await this.get(tenantId, id);
    const d = await this.store.getDelivery(tenantId, deliveryId);
    if (!d || d.webhookId !== id) throw DeliveryNotFound(deliveryId);
    if (d.state === "Pending") throw conflict("webhook-delivery-pending", "This delivery is still being made (Pending); it can be redelivered once it is Delivered or Failed.");
    const now = this.clock.now().getTime();
    const at = new Date(now).toISOString();
    await this.store.transaction(async () => {
      await this.store.resetDelivery(tenantId, deliveryId, at, new Date(now + RETRY_WINDOW_MS).toISOString());
      await this.dispatcher.schedule(tenantId, deliveryId, at);
    });
    return (await this.store.getDelivery(tenantId, deliveryId))!;
  }
}
