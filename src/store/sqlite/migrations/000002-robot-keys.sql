CREATE TABLE robot_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  UNIQUE (tenant_id, name)
);
ALTER TABLE robot_sessions ADD COLUMN robot_key_id TEXT;
ALTER TABLE robot_sessions ADD COLUMN version TEXT;
CREATE INDEX robot_sessions_key ON robot_sessions (robot_key_id);
