-- The schema of a freshly migrated postgres store, dumped by test/store/schema.test.ts.
-- Do not edit: after adding a migration, run `npx vitest run test/store/schema.test.ts -u`.

CREATE TABLE audit_log (
  seq bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
  org text NOT NULL,
  tenant_id text,
  at timestamp with time zone NOT NULL,
  actor_kind text NOT NULL,
  actor_id text,
  actor_name text,
  action text NOT NULL,
  target text,
  details json,
  source_ip text,
  request_id text,
  CONSTRAINT audit_log_pkey PRIMARY KEY (seq)
);
CREATE INDEX audit_log_tenant ON audit_log USING btree (tenant_id, seq DESC);

CREATE TABLE console_sessions (
  hash text NOT NULL,
  user_id text NOT NULL,
  tenant_id text NOT NULL,
  csrf_token text NOT NULL,
  created_at timestamp with time zone NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  CONSTRAINT console_sessions_pkey PRIMARY KEY (hash),
  CONSTRAINT console_sessions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id),
  CONSTRAINT console_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id)
);
CREATE INDEX console_sessions_expiry ON console_sessions USING btree (expires_at);
CREATE INDEX console_sessions_user ON console_sessions USING btree (user_id);

CREATE TABLE due_work (
  id text NOT NULL,
  kind text NOT NULL,
  tenant_id text,
  ref text NOT NULL,
  due_at timestamp with time zone NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  leased_by text,
  lease_until timestamp with time zone,
  created_at timestamp with time zone NOT NULL,
  CONSTRAINT due_work_pkey PRIMARY KEY (id)
);
CREATE INDEX due_work_due ON due_work USING btree (due_at);

CREATE TABLE external_apps (
  id text NOT NULL,
  org text NOT NULL,
  tenant_id text NOT NULL,
  name text NOT NULL,
  client_id text NOT NULL,
  secret_hash text NOT NULL,
  scopes jsonb NOT NULL,
  created_at timestamp with time zone NOT NULL,
  secret_rotated_at timestamp with time zone,
  revoked_at timestamp with time zone,
  CONSTRAINT external_apps_client_id_key UNIQUE (client_id),
  CONSTRAINT external_apps_org_name_key UNIQUE (org, name),
  CONSTRAINT external_apps_pkey PRIMARY KEY (id),
  CONSTRAINT external_apps_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id)
);

CREATE TABLE folders (
  key text NOT NULL,
  tenant_id text NOT NULL,
  name text NOT NULL,
  created_at timestamp with time zone NOT NULL,
  CONSTRAINT folders_pkey PRIMARY KEY (key),
  CONSTRAINT folders_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id),
  CONSTRAINT folders_tenant_id_name_key UNIQUE (tenant_id, name)
);

CREATE TABLE idempotency_keys (
  tenant_id text NOT NULL,
  scope text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  job_key text NOT NULL,
  created_at timestamp with time zone NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (tenant_id, scope, key),
  CONSTRAINT idempotency_keys_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys USING btree (expires_at);

CREATE TABLE job_attempts (
  job_key text NOT NULL,
  attempt integer NOT NULL,
  robot text,
  session_id text,
  started_at timestamp with time zone,
  ended_at timestamp with time zone NOT NULL,
  outcome text NOT NULL,
  error json,
  CONSTRAINT job_attempts_pkey PRIMARY KEY (job_key, attempt)
);

CREATE TABLE job_logs (
  job_key text NOT NULL,
  seq integer NOT NULL,
  at timestamp with time zone NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  CONSTRAINT job_logs_pkey PRIMARY KEY (job_key, seq)
);

CREATE TABLE jobs (
  seq bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
  key text NOT NULL,
  tenant_id text NOT NULL,
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
  created_at timestamp with time zone NOT NULL,
  started_at timestamp with time zone,
  ended_at timestamp with time zone,
  not_before timestamp with time zone,
  deadline_at timestamp with time zone,
  max_duration_seconds integer,
  info text,
  idempotency_key text,
  concurrency_key text,
  time_trigger_id text,
  time_trigger_slot timestamp with time zone,
  CONSTRAINT jobs_key_key UNIQUE (key),
  CONSTRAINT jobs_pkey PRIMARY KEY (seq),
  CONSTRAINT jobs_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id)
);
CREATE INDEX jobs_created ON jobs USING btree (tenant_id, created_at);
CREATE INDEX jobs_deadline ON jobs USING btree (deadline_at) WHERE ((deadline_at IS NOT NULL) AND (state <> ALL (ARRAY['Successful'::text, 'Faulted'::text, 'Stopped'::text])));
CREATE INDEX jobs_ended ON jobs USING btree (tenant_id, ended_at) WHERE (ended_at IS NOT NULL);
CREATE INDEX jobs_folder_seq ON jobs USING btree (tenant_id, folder_key, seq);
CREATE INDEX jobs_pending ON jobs USING btree (tenant_id, process_name, priority DESC, seq) WHERE (state = 'Pending'::text);
CREATE INDEX jobs_process_seq ON jobs USING btree (tenant_id, process_name, seq);
CREATE INDEX jobs_running ON jobs USING btree (tenant_id, process_name, folder_key, concurrency_key) WHERE (state = ANY (ARRAY['Running'::text, 'Stopping'::text, 'Terminating'::text]));
CREATE INDEX jobs_session ON jobs USING btree (session_id) WHERE (session_id IS NOT NULL);
CREATE INDEX jobs_state_seq ON jobs USING btree (tenant_id, state, seq);
CREATE INDEX jobs_tenant_seq ON jobs USING btree (tenant_id, seq DESC);
CREATE INDEX jobs_time_trigger ON jobs USING btree (tenant_id, time_trigger_id, seq) WHERE (time_trigger_id IS NOT NULL);
CREATE INDEX jobs_trigger_seq ON jobs USING btree (tenant_id, trigger_id, seq) WHERE (trigger_id IS NOT NULL);

CREATE TABLE processes (
  id text NOT NULL,
  tenant_id text NOT NULL,
  folder_key text NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT ''::text,
  default_input_arguments json NOT NULL DEFAULT '{}'::json,
  input_schema json,
  output_schema json,
  priority text NOT NULL DEFAULT 'Normal'::text,
  max_duration_seconds integer,
  retry_max_attempts integer NOT NULL DEFAULT 1,
  retry_backoff_seconds integer NOT NULL DEFAULT 5,
  created_at timestamp with time zone NOT NULL,
  updated_at timestamp with time zone NOT NULL,
  retry_backoff_type text NOT NULL DEFAULT 'Exponential'::text,
  retry_max_delay_seconds integer NOT NULL DEFAULT 31536000,
  retry_jitter boolean NOT NULL DEFAULT false,
  max_concurrent_jobs integer,
  concurrency_key text,
  max_concurrent_jobs_per_key integer,
  CONSTRAINT processes_folder_key_fkey FOREIGN KEY (folder_key) REFERENCES folders(key),
  CONSTRAINT processes_folder_key_name_key UNIQUE (folder_key, name),
  CONSTRAINT processes_pkey PRIMARY KEY (id),
  CONSTRAINT processes_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id)
);
CREATE INDEX processes_limited ON processes USING btree (tenant_id, name) WHERE ((max_concurrent_jobs IS NOT NULL) OR (max_concurrent_jobs_per_key IS NOT NULL));

CREATE TABLE robot_keys (
  id text NOT NULL,
  tenant_id text NOT NULL,
  name text NOT NULL,
  hash text NOT NULL,
  created_at timestamp with time zone NOT NULL,
  revoked_at timestamp with time zone,
  rotated_at timestamp with time zone,
  folder_keys jsonb,
  CONSTRAINT robot_keys_hash_key UNIQUE (hash),
  CONSTRAINT robot_keys_pkey PRIMARY KEY (id),
  CONSTRAINT robot_keys_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id),
  CONSTRAINT robot_keys_tenant_id_name_key UNIQUE (tenant_id, name)
);

CREATE TABLE robot_sessions (
  id text NOT NULL,
  tenant_id text NOT NULL,
  robot_key_id text,
  robot_name text NOT NULL,
  version text,
  processes jsonb NOT NULL,
  slots integer NOT NULL,
  lease_expires_at timestamp with time zone NOT NULL,
  created_at timestamp with time zone NOT NULL,
  folder_keys jsonb,
  CONSTRAINT robot_sessions_pkey PRIMARY KEY (id),
  CONSTRAINT robot_sessions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id)
);
CREATE INDEX robot_sessions_key ON robot_sessions USING btree (robot_key_id);
CREATE INDEX robot_sessions_lease ON robot_sessions USING btree (lease_expires_at);

CREATE TABLE schema_migrations (
  version integer NOT NULL,
  name text NOT NULL,
  applied_at timestamp with time zone NOT NULL,
  CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
);

CREATE TABLE secrets (
  name text NOT NULL,
  value text NOT NULL,
  CONSTRAINT secrets_pkey PRIMARY KEY (name)
);

CREATE TABLE tenants (
  id text NOT NULL,
  org text NOT NULL,
  name text NOT NULL,
  settings json NOT NULL DEFAULT '{}'::json,
  created_at timestamp with time zone NOT NULL,
  CONSTRAINT tenants_org_name_key UNIQUE (org, name),
  CONSTRAINT tenants_pkey PRIMARY KEY (id)
);

CREATE TABLE time_trigger_fires (
  trigger_id text NOT NULL,
  slot timestamp with time zone NOT NULL,
  job_key text,
  fired_at timestamp with time zone NOT NULL,
  CONSTRAINT time_trigger_fires_pkey PRIMARY KEY (trigger_id, slot)
);

CREATE TABLE time_triggers (
  id text NOT NULL,
  tenant_id text NOT NULL,
  folder_key text NOT NULL,
  name text NOT NULL,
  process_name text NOT NULL,
  cron text NOT NULL,
  time_zone text NOT NULL,
  arguments json NOT NULL DEFAULT '{}'::json,
  priority text NOT NULL DEFAULT 'Inherit'::text,
  enabled boolean NOT NULL DEFAULT true,
  missed_run_policy text NOT NULL DEFAULT 'Skip'::text,
  next_run_at timestamp with time zone,
  created_at timestamp with time zone NOT NULL,
  updated_at timestamp with time zone NOT NULL,
  CONSTRAINT time_triggers_folder_key_fkey FOREIGN KEY (folder_key) REFERENCES folders(key),
  CONSTRAINT time_triggers_folder_key_name_key UNIQUE (folder_key, name),
  CONSTRAINT time_triggers_pkey PRIMARY KEY (id),
  CONSTRAINT time_triggers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id)
);

CREATE TABLE tokens (
  id text NOT NULL,
  tenant_id text NOT NULL,
  user_id text,
  name text NOT NULL,
  scopes jsonb NOT NULL,
  hash text NOT NULL,
  org_wide boolean NOT NULL DEFAULT false,
  created_at timestamp with time zone NOT NULL,
  expires_at timestamp with time zone,
  revoked_at timestamp with time zone,
  last_used_at timestamp with time zone,
  CONSTRAINT tokens_hash_key UNIQUE (hash),
  CONSTRAINT tokens_pkey PRIMARY KEY (id),
  CONSTRAINT tokens_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id),
  CONSTRAINT tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id)
);
CREATE INDEX tokens_user ON tokens USING btree (user_id);

CREATE TABLE triggers (
  id text NOT NULL,
  tenant_id text NOT NULL,
  folder_key text NOT NULL,
  name text NOT NULL,
  slug text NOT NULL,
  verb text NOT NULL,
  process_name text NOT NULL,
  call_mode text NOT NULL,
  default_arguments json NOT NULL DEFAULT '{}'::json,
  priority text NOT NULL DEFAULT 'Inherit'::text,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamp with time zone NOT NULL,
  updated_at timestamp with time zone NOT NULL,
  CONSTRAINT triggers_folder_key_fkey FOREIGN KEY (folder_key) REFERENCES folders(key),
  CONSTRAINT triggers_pkey PRIMARY KEY (id),
  CONSTRAINT triggers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id),
  CONSTRAINT triggers_tenant_id_slug_key UNIQUE (tenant_id, slug)
);

CREATE TABLE users (
  id text NOT NULL,
  org text NOT NULL,
  name text NOT NULL,
  password_hash text,
  org_admin boolean NOT NULL DEFAULT false,
  created_at timestamp with time zone NOT NULL,
  tenant_id text,
  roles jsonb NOT NULL DEFAULT '[]'::jsonb,
  disabled_at timestamp with time zone,
  CONSTRAINT users_pkey PRIMARY KEY (id),
  CONSTRAINT users_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id)
);
CREATE UNIQUE INDEX users_org_name ON users USING btree (org, name) WHERE (tenant_id IS NULL);
CREATE UNIQUE INDEX users_tenant_name ON users USING btree (tenant_id, name) WHERE (tenant_id IS NOT NULL);

CREATE TABLE webhook_deliveries (
  seq bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  tenant_id text NOT NULL,
  webhook_id text NOT NULL,
  event_type text NOT NULL,
  job_key text,
  payload text NOT NULL,
  state text NOT NULL,
  created_at timestamp with time zone NOT NULL,
  next_attempt_at timestamp with time zone,
  retry_until timestamp with time zone NOT NULL,
  delivered_at timestamp with time zone,
  attempts jsonb NOT NULL,
  CONSTRAINT webhook_deliveries_id_key UNIQUE (id),
  CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (seq),
  CONSTRAINT webhook_deliveries_webhook_id_fkey FOREIGN KEY (webhook_id) REFERENCES webhooks(id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries USING btree (webhook_id, seq);

CREATE TABLE webhooks (
  id text NOT NULL,
  tenant_id text NOT NULL,
  url text NOT NULL,
  events jsonb NOT NULL,
  folder_keys jsonb,
  enabled boolean NOT NULL,
  description text,
  secret text NOT NULL,
  previous_secret text,
  previous_secret_until timestamp with time zone,
  created_at timestamp with time zone NOT NULL,
  updated_at timestamp with time zone NOT NULL,
  CONSTRAINT webhooks_pkey PRIMARY KEY (id),
  CONSTRAINT webhooks_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants(id)
);
CREATE INDEX webhooks_tenant ON webhooks USING btree (tenant_id, created_at);

CREATE OR REPLACE FUNCTION baton_claim(p_tenant text, p_session text, p_robot text, p_process_list jsonb, p_folder_list jsonb, p_slots integer, p_max integer, p_now timestamp with time zone, p_long_polling_max_seconds double precision)
 RETURNS SETOF jobs
 LANGUAGE plpgsql
AS $function$
DECLARE
  served_processes text[] := ARRAY(SELECT jsonb_array_elements_text(p_process_list));
  -- NULL: every folder
  served_folders text[] := CASE WHEN p_folder_list IS NOT NULL THEN ARRAY(SELECT jsonb_array_elements_text(p_folder_list)) END;
  room integer;
  picked bigint[];
BEGIN
  -- holds off a concurrent close until this claim commits, and makes the claims of one
  -- session take turns
  PERFORM 1 FROM robot_sessions WHERE id = p_session AND lease_expires_at > p_now FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM processes
              WHERE tenant_id = p_tenant AND name = ANY (served_processes) AND (served_folders IS NULL OR folder_key = ANY (served_folders))
                AND (max_concurrent_jobs IS NOT NULL OR max_concurrent_jobs_per_key IS NOT NULL)) THEN
    RETURN NEXT NULL::jobs;
    RETURN;
  END IF;
  room := LEAST(p_max, p_slots - (SELECT COUNT(*) FROM jobs WHERE session_id = p_session AND state IN ('Running', 'Stopping', 'Terminating'))::integer);
  IF room <= 0 THEN
    RETURN;
  END IF;
  -- the jobs picked and locked, in claim order, by one of two statements that differ in their
  -- process condition only (the one-process form keeps the index's order for a generic plan)
  IF cardinality(served_processes) = 1 THEN
    picked := ARRAY(SELECT seq FROM jobs
                     WHERE tenant_id = p_tenant AND state = 'Pending' AND process_name = served_processes[1]
                       AND (served_folders IS NULL OR folder_key = ANY (served_folders))
                       AND (not_before IS NULL OR not_before <= p_now)
                     ORDER BY priority DESC, seq LIMIT room FOR UPDATE SKIP LOCKED);
  ELSE
    picked := ARRAY(SELECT seq FROM jobs
                     WHERE tenant_id = p_tenant AND state = 'Pending' AND process_name = ANY (served_processes)
                       AND (served_folders IS NULL OR folder_key = ANY (served_folders))
                       AND (not_before IS NULL OR not_before <= p_now)
                     ORDER BY priority DESC, seq LIMIT room FOR UPDATE SKIP LOCKED);
  END IF;
  RETURN QUERY
    UPDATE jobs j SET state = 'Running', session_id = p_session, robot = p_robot, started_at = GREATEST(p_now, j.created_at),
           attempt = j.attempt + 1, not_before = NULL, info = NULL,
           deadline_at = LEAST(
             CASE WHEN j.call_mode = 'LongPolling' THEN j.created_at + make_interval(secs => p_long_polling_max_seconds) END,
             CASE WHEN j.max_duration_seconds IS NOT NULL THEN p_now + make_interval(secs => j.max_duration_seconds) END)
     WHERE j.seq = ANY (picked)
    RETURNING j.*;
END
$function$;
