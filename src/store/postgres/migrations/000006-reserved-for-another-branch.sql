-- Placeholder on the concurrency-limits branch only: this number belongs to a migration of a
-- parallel branch (issue 16, job attempts). Drop this file when merging.
SELECT 1;
