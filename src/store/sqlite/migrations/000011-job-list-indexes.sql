-- The job list's filters (GET /jobs by process, trigger, state, folder, time window), each
-- read newest first (ORDER BY seq DESC) from an index that starts with its filter, so a page
-- costs the same with a million other jobs in the table as with none. seq is the rowid, so
-- an index on (tenant_id, x) is already ordered by seq within one x.
CREATE INDEX jobs_process_seq ON jobs (tenant_id, process_name);
CREATE INDEX jobs_trigger_seq ON jobs (tenant_id, trigger_id) WHERE trigger_id IS NOT NULL;
CREATE INDEX jobs_state_seq ON jobs (tenant_id, state);
CREATE INDEX jobs_folder_seq ON jobs (tenant_id, folder_key);
CREATE INDEX jobs_created ON jobs (tenant_id, created_at);
