-- Time triggers (SPEC §9): a cron in a time zone starts a process. next_run_at is the slot
-- the trigger fires next (null while disabled); a due_work row of kind time-trigger.slot wakes
-- a node for it. time_trigger_fires holds one row per fired slot: its primary key is what
-- makes a slot fire once however many nodes run (src/core/TimeTriggers.ts).
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
CREATE TABLE time_trigger_fires (
  trigger_id TEXT NOT NULL,
  slot TEXT NOT NULL,
  job_key TEXT,
  fired_at TEXT NOT NULL,
  PRIMARY KEY (trigger_id, slot)
);
-- the time trigger and slot a job was started for
ALTER TABLE jobs ADD COLUMN time_trigger_id TEXT;
ALTER TABLE jobs ADD COLUMN time_trigger_slot TEXT;
CREATE INDEX jobs_time_trigger ON jobs (tenant_id, time_trigger_id, seq) WHERE time_trigger_id IS NOT NULL;
