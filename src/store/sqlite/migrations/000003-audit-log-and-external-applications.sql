CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  org TEXT NOT NULL,
  tenant_id TEXT,
  at TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT,
  actor_name TEXT,
  action TEXT NOT NULL,
  target TEXT,
  details TEXT,
  source_ip TEXT,
  request_id TEXT
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, seq DESC);

CREATE TABLE external_apps (
  id TEXT PRIMARY KEY,
  org TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  client_id TEXT NOT NULL UNIQUE,
  secret_hash TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at TEXT NOT NULL,
  secret_rotated_at TEXT,
  revoked_at TEXT,
  UNIQUE (org, name)
);
