CREATE TABLE audit_log (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org text NOT NULL,
  tenant_id text,
  at timestamptz NOT NULL,
  actor_kind text NOT NULL,
  actor_id text,
  actor_name text,
  action text NOT NULL,
  target text,
  details json,
  source_ip text,
  request_id text
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, seq DESC);

CREATE TABLE external_apps (
  id text PRIMARY KEY,
  org text NOT NULL,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  client_id text NOT NULL UNIQUE,
  secret_hash text NOT NULL,
  scopes jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  secret_rotated_at timestamptz,
  revoked_at timestamptz,
  UNIQUE (org, name)
);
