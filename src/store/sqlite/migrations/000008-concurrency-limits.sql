-- Concurrency limits (SPEC §9): a process may cap the jobs running at once
-- (max_concurrent_jobs), and per value of a JSON Pointer into the input arguments
-- (concurrency_key, max_concurrent_jobs_per_key). NULL: no limit. A job records the value
-- its input has at that pointer when it is created (canonical JSON; NULL when the process
-- has no key or the input has no value there), so the claim counts and skips by a column.
ALTER TABLE processes ADD COLUMN max_concurrent_jobs INTEGER;
ALTER TABLE processes ADD COLUMN concurrency_key TEXT;
ALTER TABLE processes ADD COLUMN max_concurrent_jobs_per_key INTEGER;
-- the claim asks whether any of a session's processes is limited: a lookup in a tiny index
CREATE INDEX processes_limited ON processes (tenant_id, name) WHERE max_concurrent_jobs IS NOT NULL OR max_concurrent_jobs_per_key IS NOT NULL;
ALTER TABLE jobs ADD COLUMN concurrency_key TEXT;
-- what runs now, per process and key: the limited claim and pendingReason count these
CREATE INDEX jobs_running ON jobs (tenant_id, process_name, folder_key, concurrency_key) WHERE state IN ('Running', 'Stopping', 'Terminating');
