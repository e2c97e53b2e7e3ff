-- The SQLite store's migrations: numbered, append-only files, shipped with the build
-- (copied into dist by scripts/copy-sql.js), run at start and by `baton migrate`, each in a
-- transaction of its own (src/store/sqlite/migrate.ts). Never edit one that has shipped:
-- databases record the versions they ran; add the next number.

CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  org TEXT NOT NULL,
  name TEXT NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  UNIQUE (org, name)
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  org TEXT NOT NULL,
  name TEXT NOT NULL,
  password_hash TEXT,
  org_admin INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  UNIQUE (org, name)
);

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  user_id TEXT REFERENCES users(id),
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  org_wide INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT,
  last_used_at TEXT
);

CREATE TABLE folders (
  key TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE processes (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  folder_key TEXT NOT NULL REFERENCES folders(key),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  default_input_arguments TEXT NOT NULL DEFAULT '{}',
  input_schema TEXT,
  output_schema TEXT,
  priority TEXT NOT NULL DEFAULT 'Normal',
  max_duration_seconds INTEGER,
  retry_max_attempts INTEGER NOT NULL DEFAULT 1,
  retry_backoff_seconds INTEGER NOT NULL DEFAULT 5,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (folder_key, name)
);

CREATE TABLE triggers (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  folder_key TEXT NOT NULL REFERENCES folders(key),
  name TEXT NOT NULL,
  slug TEXT NOT NULL,
  verb TEXT NOT NULL,
  process_name TEXT NOT NULL,
  call_mode TEXT NOT NULL,
  default_arguments TEXT NOT NULL DEFAULT '{}',
  priority TEXT NOT NULL DEFAULT 'Inherit',
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (tenant_id, slug)
);

CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  folder_key TEXT NOT NULL,
  process_name TEXT NOT NULL,
  trigger_id TEXT,
  source TEXT NOT NULL,
  call_mode TEXT NOT NULL,
  state TEXT NOT NULL,
  priority INTEGER NOT NULL,
  input_arguments TEXT NOT NULL,
  output_arguments TEXT,
  error TEXT,
  robot TEXT,
  session_id TEXT,
  attempt INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  started_at TEXT,
  ended_at TEXT,
  not_before TEXT,
  deadline_at TEXT,
  max_duration_seconds INTEGER,
  info TEXT
);
CREATE INDEX jobs_pending ON jobs (tenant_id, process_name, priority DESC, seq) WHERE state = 'Pending';
CREATE INDEX jobs_tenant_seq ON jobs (tenant_id, seq DESC);
CREATE INDEX jobs_deadline ON jobs (deadline_at) WHERE deadline_at IS NOT NULL AND state NOT IN ('Successful', 'Faulted', 'Stopped');
CREATE INDEX jobs_session ON jobs (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX jobs_ended ON jobs (tenant_id, ended_at) WHERE ended_at IS NOT NULL;

CREATE TABLE job_logs (
  job_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (job_key, seq)
);

CREATE TABLE robot_sessions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  robot_name TEXT NOT NULL,
  processes TEXT NOT NULL,
  slots INTEGER NOT NULL,
  lease_expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL
);
