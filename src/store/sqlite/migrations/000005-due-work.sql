-- Work that falls due at a time (src/store/sql/DueWorkSql.ts), claimed by lease: a node that
-- dies holding a row lets the lease run out and the row falls due again. tenant_id only says
-- whose the work is (null for store-wide work), so it has no foreign key.
CREATE TABLE due_work (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  tenant_id TEXT,
  ref TEXT NOT NULL,
  due_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  leased_by TEXT,
  lease_until TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX due_work_due ON due_work (due_at);
