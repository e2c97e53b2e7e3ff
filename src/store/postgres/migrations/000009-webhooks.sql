-- Webhooks (SPEC §8, src/store/sql/WebhooksSql.ts): a tenant's subscriptions, and their
-- deliveries with every attempt. A delivery row is written in the transaction of the job's
-- change that causes it, with a due_work row (kind webhook.delivery) that makes it.
-- `previous_secret` signs too until `previous_secret_until` (the grace of a rotation).
-- The payload is text: its bytes are what is signed, kept as written.
CREATE TABLE webhooks (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  url text NOT NULL,
  events jsonb NOT NULL,
  folder_keys jsonb,
  enabled boolean NOT NULL,
  description text,
  secret text NOT NULL,
  previous_secret text,
  previous_secret_until timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, created_at);
CREATE TABLE webhook_deliveries (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  tenant_id text NOT NULL,
  webhook_id text NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_type text NOT NULL,
  job_key text,
  payload text NOT NULL,
  state text NOT NULL,
  created_at timestamptz NOT NULL,
  next_attempt_at timestamptz,
  retry_until timestamptz NOT NULL,
  delivered_at timestamptz,
  attempts jsonb NOT NULL
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, seq);
