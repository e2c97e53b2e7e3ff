-- Time triggers (SPEC §9): a cron in a time zone starts a process. next_run_at is the slot
-- the trigger fires next (null while disabled); a due_work row of kind time-trigger.slot wakes
-- a node for it. time_trigger_fires holds one row per fired slot: its primary key is what
-- makes a slot fire once however many nodes run (src/core/TimeTriggers.ts).
CREATE TABLE time_triggers (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  folder_key text NOT NULL REFERENCES folders(key),
  name text NOT NULL,
  process_name text NOT NULL,
  cron text NOT NULL,
  time_zone text NOT NULL,
  arguments json NOT NULL DEFAULT '{}',
  priority text NOT NULL DEFAULT 'Inherit',
  enabled boolean NOT NULL DEFAULT true,
  missed_run_policy text NOT NULL DEFAULT 'Skip',
  next_run_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (folder_key, name)
);
CREATE TABLE time_trigger_fires (
  trigger_id text NOT NULL,
  slot timestamptz NOT NULL,
  job_key text,
  fired_at timestamptz NOT NULL,
  PRIMARY KEY (trigger_id, slot)
);
-- the time trigger and slot a job was started for
ALTER TABLE jobs ADD COLUMN time_trigger_id text;
ALTER TABLE jobs ADD COLUMN time_trigger_slot timestamptz;
CREATE INDEX jobs_time_trigger ON jobs (tenant_id, time_trigger_id, seq) WHERE time_trigger_id IS NOT NULL;
