import type { Webhook, WebhookAttempt, WebhookDelivery, WebhookDeliveryState } from "../webhooks/types.js";

/** A subscription as stored: its secret (and the previous one during a rotation's grace) included. */
export interface WebhookRecord extends Webhook {
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: string | null;
}

export type WebhookPatch = Partial<Pick<WebhookRecord, "url" | "events" | "folderKeys" | "enabled" | "description" | "secret" | "previousSecret" | "previousSecretUntil" | "updatedAt">>;

/** A delivery the dispatcher is about to attempt, and its subscription's URL and secrets. */
export interface DeliveryToMake {
  delivery: WebhookDelivery;
  webhook: Pick<WebhookRecord, "id" | "url" | "secret" | "previousSecret" | "previousSecretUntil">;
}

/** Webhooks (SPEC §8): subscriptions per tenant, and their deliveries with their attempts. */
export interface WebhookStore {
  createWebhook(w: WebhookRecord): Promise<void>;
  /** every subscription of the tenant (secrets included: the core caches them to sign) */
  listWebhooks(tenantId: string): Promise<WebhookRecord[]>;
  getWebhook(tenantId: string, id: string): Promise<WebhookRecord | null>;
  updateWebhook(tenantId: string, id: string, patch: WebhookPatch): Promise<WebhookRecord | null>;
  deleteWebhook(tenantId: string, id: string): Promise<boolean>;
  /** a new delivery (Pending) */
  createDelivery(d: Omit<WebhookDelivery, "attempts" | "deliveredAt">): Promise<void>;
  getDelivery(tenantId: string, id: string): Promise<WebhookDelivery | null>;
  /**
   * The deliveries of these ids with what signs and sends them (their subscription's URL and
   * secrets), in one query: the dispatcher's batch. A delivery deleted with its subscription is
   * left out.
   */
  deliveriesToMake(ids: readonly string[]): Promise<DeliveryToMake[]>;
  /** newest first; `before`: the seq cursor of the previous page */
  listDeliveries(tenantId: string, webhookId: string, limit: number, before: number | null): Promise<{ items: WebhookDelivery[]; next: number | null }>;
  /** records an attempt and the state it leaves the delivery in */
  recordDeliveryAttempt(id: string, attempt: WebhookAttempt, state: WebhookDeliveryState, nextAttemptAt: string | null): Promise<void>;
  /**
   * Ends an attempt in one write: the attempt recorded as `recordDeliveryAttempt` does, and the
   * delivery's due row `work` deleted (Delivered, Failed) or put back due at `nextAttemptAt`
   * (Pending), if `owner` still leases it. False when it no longer does (its lease ran out and
   * another node took it: that node ends it).
   */
  endDeliveryAttempt(id: string, attempt: WebhookAttempt, state: WebhookDeliveryState, nextAttemptAt: string | null, work: { id: string; owner: string }): Promise<boolean>;
  /** a delivery is made again: Pending, due at `at` and retried until `retryUntil`, its attempts kept */
  resetDelivery(tenantId: string, id: string, at: string, retryUntil: string): Promise<boolean>;
  /** Deletes Delivered and Failed deliveries recorded before `before`; how many. */
  purgeDeliveries(before: string): Promise<number>;
}
