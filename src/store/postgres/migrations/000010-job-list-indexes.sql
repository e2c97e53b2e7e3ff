-- The job list's filters (GET /jobs by process, trigger, state, folder, time window), each
-- read newest first (ORDER BY seq DESC, a backward scan) from an index that starts with its
-- filter, so a page costs the same with a million other jobs in the table as with none.
CREATE INDEX jobs_process_seq ON jobs (tenant_id, process_name, seq);
CREATE INDEX jobs_trigger_seq ON jobs (tenant_id, trigger_id, seq) WHERE trigger_id IS NOT NULL;
CREATE INDEX jobs_state_seq ON jobs (tenant_id, state, seq);
CREATE INDEX jobs_folder_seq ON jobs (tenant_id, folder_key, seq);
CREATE INDEX jobs_created ON jobs (tenant_id, created_at);
