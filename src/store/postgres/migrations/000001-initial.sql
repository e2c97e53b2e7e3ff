-- The PostgreSQL store's migrations: numbered, append-only files, shipped with the build
-- (copied into dist by scripts/copy-sql.js), run at start and by `baton migrate` in one
-- transaction under an advisory lock, so nodes starting together migrate once
-- (src/store/postgres/migrate.ts). Never edit one that has shipped: databases record the
-- versions they ran; add the next number.
--
-- Arguments, schemas and settings are `json`, not `jsonb`: they are stored and given back as
-- written (jsonb would reorder their keys), and nothing queries inside them.

CREATE TABLE secrets (
  name text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE tenants (
  id text PRIMARY KEY,
  org text NOT NULL,
  name text NOT NULL,
  settings json NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  UNIQUE (org, name)
);

CREATE TABLE users (
  id text PRIMARY KEY,
  org text NOT NULL,
  name text NOT NULL,
  password_hash text,
  org_admin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  UNIQUE (org, name)
);

CREATE TABLE tokens (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  user_id text REFERENCES users(id),
  name text NOT NULL,
  scopes jsonb NOT NULL,
  hash text NOT NULL UNIQUE,
  org_wide boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);

CREATE TABLE folders (
  key text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE processes (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  folder_key text NOT NULL REFERENCES folders(key),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  default_input_arguments json NOT NULL DEFAULT '{}',
  input_schema json,
  output_schema json,
  priority text NOT NULL DEFAULT 'Normal',
  max_duration_seconds integer,
  retry_max_attempts integer NOT NULL DEFAULT 1,
  retry_backoff_seconds integer NOT NULL DEFAULT 5,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (folder_key, name)
);

CREATE TABLE triggers (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  folder_key text NOT NULL REFERENCES folders(key),
  name text NOT NULL,
  slug text NOT NULL,
  verb text NOT NULL,
  process_name text NOT NULL,
  call_mode text NOT NULL,
  default_arguments json NOT NULL DEFAULT '{}',
  priority text NOT NULL DEFAULT 'Inherit',
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (tenant_id, slug)
);

CREATE TABLE jobs (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key text NOT NULL UNIQUE,
  tenant_id text NOT NULL REFERENCES tenants(id),
  folder_key text NOT NULL,
  process_name text NOT NULL,
  trigger_id text,
  source text NOT NULL,
  call_mode text NOT NULL,
  state text NOT NULL,
  priority smallint NOT NULL,
  input_arguments json NOT NULL,
  output_arguments json,
  error json,
  robot text,
  session_id text,
  attempt integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  ended_at timestamptz,
  not_before timestamptz,
  deadline_at timestamptz,
  max_duration_seconds integer,
  info text
);
CREATE INDEX jobs_pending ON jobs (tenant_id, process_name, priority DESC, seq) WHERE state = 'Pending';
CREATE INDEX jobs_tenant_seq ON jobs (tenant_id, seq DESC);
CREATE INDEX jobs_deadline ON jobs (deadline_at) WHERE deadline_at IS NOT NULL AND state NOT IN ('Successful', 'Faulted', 'Stopped');
CREATE INDEX jobs_session ON jobs (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX jobs_ended ON jobs (tenant_id, ended_at) WHERE ended_at IS NOT NULL;

CREATE TABLE job_logs (
  job_key text NOT NULL,
  seq integer NOT NULL,
  at timestamptz NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  PRIMARY KEY (job_key, seq)
);

CREATE TABLE robot_keys (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  UNIQUE (tenant_id, name)
);

CREATE TABLE robot_sessions (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  robot_key_id text,
  robot_name text NOT NULL,
  version text,
  processes jsonb NOT NULL,
  slots integer NOT NULL,
  lease_expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX robot_sessions_key ON robot_sessions (robot_key_id);
CREATE INDEX robot_sessions_lease ON robot_sessions (lease_expires_at);
