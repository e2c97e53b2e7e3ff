ALTER TABLE users ADD COLUMN tenant_id text REFERENCES tenants(id);
ALTER TABLE users ADD COLUMN roles jsonb NOT NULL DEFAULT '[]';
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
ALTER TABLE users DROP CONSTRAINT users_org_name_key;
CREATE UNIQUE INDEX users_tenant_name ON users (tenant_id, name) WHERE tenant_id IS NOT NULL;
CREATE UNIQUE INDEX users_org_name ON users (org, name) WHERE tenant_id IS NULL;
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE console_sessions (
  hash text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users(id),
  tenant_id text NOT NULL REFERENCES tenants(id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

ALTER TABLE robot_keys ADD COLUMN rotated_at timestamptz;
ALTER TABLE robot_keys ADD COLUMN folder_keys jsonb;
ALTER TABLE robot_sessions ADD COLUMN folder_keys jsonb;
