-- The schema of a freshly migrated sqlite store, dumped by test/store/schema.test.ts.
-- Do not edit: after adding a migration, run `npx vitest run test/store/schema.test.ts -u`.

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

CREATE TABLE console_sessions (
  hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

CREATE TABLE due_work (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  tenant_id TEXT,
  ref TEXT NOT NULL,
  due_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  leased_by TEXT,
  lease_until TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX due_work_due ON due_work (due_at);

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

CREATE TABLE folders (
  key TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE idempotency_keys (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  job_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, scope, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

CREATE TABLE job_attempts (
  job_key TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  robot TEXT,
  session_id TEXT,
  started_at TEXT,
  ended_at TEXT NOT NULL,
  outcome TEXT NOT NULL,
  error TEXT,
  PRIMARY KEY (job_key, attempt)
);

CREATE TABLE job_logs (
  job_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (job_key, seq)
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
, idempotency_key TEXT, concurrency_key TEXT, time_trigger_id TEXT, time_trigger_slot TEXT);
CREATE INDEX jobs_created ON jobs (tenant_id, created_at);
CREATE INDEX jobs_deadline ON jobs (deadline_at) WHERE deadline_at IS NOT NULL AND state NOT IN ('Successful', 'Faulted', 'Stopped');
CREATE INDEX jobs_ended ON jobs (tenant_id, ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX jobs_folder_seq ON jobs (tenant_id, folder_key);
CREATE INDEX jobs_pending ON jobs (tenant_id, process_name, priority DESC, seq) WHERE state = 'Pending';
CREATE INDEX jobs_process_seq ON jobs (tenant_id, process_name);
CREATE INDEX jobs_running ON jobs (tenant_id, process_name, folder_key, concurrency_key) WHERE state IN ('Running', 'Stopping', 'Terminating');
CREATE INDEX jobs_session ON jobs (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX jobs_state_seq ON jobs (tenant_id, state);
CREATE INDEX jobs_tenant_seq ON jobs (tenant_id, seq DESC);
CREATE INDEX jobs_time_trigger ON jobs (tenant_id, time_trigger_id, seq) WHERE time_trigger_id IS NOT NULL;
CREATE INDEX jobs_trigger_seq ON jobs (tenant_id, trigger_id) WHERE trigger_id IS NOT NULL;

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
  updated_at TEXT NOT NULL, retry_backoff_type TEXT NOT NULL DEFAULT 'Exponential', retry_max_delay_seconds INTEGER NOT NULL DEFAULT 31536000, retry_jitter INTEGER NOT NULL DEFAULT 0, max_concurrent_jobs INTEGER, concurrency_key TEXT, max_concurrent_jobs_per_key INTEGER,
  UNIQUE (folder_key, name)
);
CREATE INDEX processes_limited ON processes (tenant_id, name) WHERE max_concurrent_jobs IS NOT NULL OR max_concurrent_jobs_per_key IS NOT NULL;

CREATE TABLE robot_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT, rotated_at TEXT, folder_keys TEXT,
  UNIQUE (tenant_id, name)
);

CREATE TABLE robot_sessions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  robot_name TEXT NOT NULL,
  processes TEXT NOT NULL,
  slots INTEGER NOT NULL,
  lease_expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL
, robot_key_id TEXT, version TEXT, folder_keys TEXT);
CREATE INDEX robot_sessions_key ON robot_sessions (robot_key_id);

CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);

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

CREATE TABLE time_trigger_fires (
  trigger_id TEXT NOT NULL,
  slot TEXT NOT NULL,
  job_key TEXT,
  fired_at TEXT NOT NULL,
  PRIMARY KEY (trigger_id, slot)
);

CREATE TABLE time_triggers (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  folder_key TEXT NOT NULL REFERENCES folders(key),
  name TEXT NOT NULL,
  process_name TEXT NOT NULL,
  cron TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  arguments TEXT NOT NULL DEFAULT '{}',
  priority TEXT NOT NULL DEFAULT 'Inherit',
  enabled INTEGER NOT NULL DEFAULT 1,
  missed_run_policy TEXT NOT NULL DEFAULT 'Skip',
  next_run_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (folder_key, name)
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
CREATE INDEX tokens_user ON tokens (user_id);

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

CREATE TABLE "users" (
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
CREATE UNIQUE INDEX users_org_name ON users (org, name) WHERE tenant_id IS NULL;
CREATE UNIQUE INDEX users_tenant_name ON users (tenant_id, name) WHERE tenant_id IS NOT NULL;

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
