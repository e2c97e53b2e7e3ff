import type { DueWork, DueWorkKind, DueWorkStore, NewDueWork } from "../../core/store.js";
import type { Row } from "./Executor.js";
import { SqlAggregate } from "./SqlAggregate.js";
import { numOrNull, str, strOrNull } from "./rows.js";
import { sql } from "./sql.js";

export function dueWorkFromRow(r: Row): DueWork {
  return {
    id: str(r.id), kind: r.kind as DueWork["kind"], tenantId: strOrNull(r.tenant_id), ref: str(r.ref), dueAt: str(r.due_at), createdAt: str(r.created_at),
    attempts: numOrNull(r.attempts) ?? 0, leasedBy: strOrNull(r.leased_by), leaseUntil: strOrNull(r.lease_until),
  };
}

export class DueWorkSql extends SqlAggregate implements DueWorkStore {
  async scheduleWork(w: NewDueWork): Promise<void> {
    await this.db.run(sql`
      INSERT INTO due_work (id, kind, tenant_id, ref, due_at, attempts, created_at, leased_by, lease_until)
      VALUES (${w.id}, ${w.kind}, ${w.tenantId}, ${w.ref}, ${w.dueAt}, 0, ${w.createdAt}, ${w.leasedBy ?? null}, ${w.leaseUntil ?? null})
      ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at, leased_by = excluded.leased_by, lease_until = excluded.lease_until`);
  }

  async claimDueWork(kinds: readonly DueWorkKind[], now: string, owner: string, leaseUntil: string, limit: number): Promise<DueWork[]> {
    if (kinds.length === 0) return [];
    // the lease's condition is written twice: PostgreSQL re-checks the outer WHERE on a row
    // another node changed meanwhile, never the subquery's; SKIP LOCKED passes over rows
    // another node is claiming right now
    const skipLocked = this.db.dialect.supportsSkipLocked ? sql.raw("FOR UPDATE SKIP LOCKED") : sql.raw("");
    const rows = await this.db.all(sql`
      UPDATE due_work SET leased_by = ${owner}, lease_until = ${leaseUntil}
       WHERE id IN (SELECT id FROM due_work WHERE due_at <= ${now} AND (lease_until IS NULL OR lease_until <= ${now}) AND kind IN ${sql.list(kinds)}
                     ORDER BY due_at LIMIT ${limit} ${skipLocked})
         AND (lease_until IS NULL OR lease_until <= ${now})
      RETURNING *`);
    return rows.map(dueWorkFromRow).sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));
  }

  async completeWork(id: string, owner: string): Promise<boolean> {
    return (await this.db.run(sql`DELETE FROM due_work WHERE id = ${id} AND leased_by = ${owner}`)) > 0;
  }

  async rescheduleWork(id: string, owner: string, dueAt: string): Promise<boolean> {
    return (await this.db.run(sql`
      UPDATE due_work SET due_at = ${dueAt}, leased_by = NULL, lease_until = NULL, attempts = attempts + 1 WHERE id = ${id} AND leased_by = ${owner}`)) > 0;
  }

  async getWork(id: string): Promise<DueWork | null> {
    const row = await this.db.one(sql`SELECT * FROM due_work WHERE id = ${id}`);
    return row ? dueWorkFromRow(row) : null;
  }
}
