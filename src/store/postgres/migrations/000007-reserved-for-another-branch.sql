-- Placeholder on the time-triggers branch only: this number belongs to a migration of a
-- parallel branch (issues 16/17). Drop this file when merging.
SELECT 1;
