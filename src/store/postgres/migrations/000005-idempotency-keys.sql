-- Idempotency keys (SPEC §8): the first call with a key records it with the fingerprint of
-- its request and the job it created, in the transaction that creates the job; the primary
-- key makes racers with the same key find one row (a second insert waits for the first
-- transaction, then sees its row). Kept until expires_at (the tenant's
-- idempotencyKeyRetentionHours after the first call), then purged (Maintenance).
CREATE TABLE idempotency_keys (
  tenant_id text NOT NULL REFERENCES tenants(id),
  scope text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  job_key text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, scope, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
-- the key a job was created with, shown on the job
ALTER TABLE jobs ADD COLUMN idempotency_key text;
