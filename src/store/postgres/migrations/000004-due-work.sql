-- Work that falls due at a time (src/store/sql/DueWorkSql.ts), claimed by lease: a node that
-- dies holding a row lets the lease run out and the row falls due again. tenant_id only says
-- whose the work is (null for store-wide work), so it has no foreign key.
CREATE TABLE due_work (
  id text PRIMARY KEY,
  kind text NOT NULL,
  tenant_id text,
  ref text NOT NULL,
  due_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  leased_by text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL
);
CREATE INDEX due_work_due ON due_work (due_at);
