-- Users gain a tenant: the table is rebuilt, since SQLite cannot change a UNIQUE constraint
-- (the runner turns foreign keys off around migrations and checks them before committing).

CREATE TABLE users_new (
  id TEXT PRIMARY KEY,
  org TEXT NOT NULL,
  tenant_id TEXT REFERENCES tenants(id),
  name TEXT NOT NULL,
  password_hash TEXT,
  org_admin INTEGER NOT NULL DEFAULT 0,
  roles TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  disabled_at TEXT
);
INSERT INTO users_new (id, org, name, password_hash, org_admin, created_at)
  SELECT id, org, name, password_hash, org_admin, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE UNIQUE INDEX users_tenant_name ON users (tenant_id, name) WHERE tenant_id IS NOT NULL;
CREATE UNIQUE INDEX users_org_name ON users (org, name) WHERE tenant_id IS NULL;
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE console_sessions (
  hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

ALTER TABLE robot_keys ADD COLUMN rotated_at TEXT;
ALTER TABLE robot_keys ADD COLUMN folder_keys TEXT;
ALTER TABLE robot_sessions ADD COLUMN folder_keys TEXT;
