-- Webhooks (SPEC §8, src/store/sql/WebhooksSql.ts): a tenant's subscriptions, and their
-- deliveries with every attempt. A delivery row is written in the transaction of the job's
-- change that causes it, with a due_work row (kind webhook.delivery) that makes it.
-- `previous_secret` signs too until `previous_secret_until` (the grace of a rotation).
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  folder_keys TEXT,
  enabled INTEGER NOT NULL,
  description TEXT,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_secret_until TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, created_at);
CREATE TABLE webhook_deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  job_key TEXT,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at TEXT NOT NULL,
  next_attempt_at TEXT,
  retry_until TEXT NOT NULL,
  delivered_at TEXT,
  attempts TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, seq);
