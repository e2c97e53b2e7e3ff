/** The events a subscription may ask for (SPEC §8); `*` is all of them. */
export const WEBHOOK_EVENTS = ["job.created", "job.started", "job.completed", "job.faulted", "job.stopped", "job.retrying"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** the type of a ping (`POST /webhooks/{id}/test`): sent to the subscription whatever its events */
export const TEST_EVENT = "webhook.test";

/** A tenant's subscription, as the API shows it (never its secret). */
export interface Webhook {
  id: string;
  tenantId: string;
  url: string;
  /** event names, or ["*"] */
  events: string[];
  /** only jobs of these folders; null: every folder */
  folderKeys: string[] | null;
  enabled: boolean;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export type WebhookDeliveryState = "Pending" | "Delivered" | "Failed";

/** One try of a delivery: the answer's status (null when none came), how long it took, what went wrong. */
export interface WebhookAttempt {
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

export interface WebhookDelivery {
  id: string;
  seq?: number;
  tenantId: string;
  webhookId: string;
  type: string;
  jobKey: string | null;
  /** the exact body sent (and signed) */
  payload: string;
  state: WebhookDeliveryState;
  createdAt: string;
  nextAttemptAt: string | null;
  /** failed attempts are retried until then (24 h after it was recorded, or redelivered), then it is Failed */
  retryUntil: string;
  deliveredAt: string | null;
  attempts: WebhookAttempt[];
}
