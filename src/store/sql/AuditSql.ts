import type { AuditEntry, AuditListOptions, AuditStore, NewAuditEntry } from "../../core/store.js";
import { SqlAggregate } from "./SqlAggregate.js";
import { auditFromRow } from "./rows.js";
import { sql } from "./sql.js";

export class AuditSql extends SqlAggregate implements AuditStore {
  async appendAudit(e: NewAuditEntry): Promise<void> {
    await this.db.run(sql`
      INSERT INTO audit_log (org, tenant_id, at, actor_kind, actor_id, actor_name, action, target, details, source_ip, request_id)
      VALUES (${e.org}, ${e.tenantId}, ${e.at}, ${e.actor.kind}, ${e.actor.id}, ${e.actor.name}, ${e.action}, ${e.target}, ${e.details},
              ${e.sourceIp}, ${e.requestId})`);
  }

  async listAudit(tenantId: string, o: AuditListOptions): Promise<{ items: AuditEntry[]; next: number | null }> {
    const where = [sql`tenant_id = ${tenantId}`];
    if (o.action?.endsWith(".*")) {
      const prefix = o.action.slice(0, -1);
      where.push(sql`substr(action, 1, ${prefix.length}) = ${prefix}`);
    } else if (o.action) {
      where.push(sql`action = ${o.action}`);
    }
    if (o.since) where.push(sql`at >= ${o.since}`);
    if (o.cursor !== null) where.push(sql`seq < ${o.cursor}`);
    const rows = await this.db.all(sql`SELECT * FROM audit_log WHERE ${sql.join(where, sql` AND `)} ORDER BY seq DESC LIMIT ${o.limit + 1}`);
    const page = rows.slice(0, o.limit);
    return { items: page.map(auditFromRow), next: rows.length > o.limit ? Number(page[page.length - 1]!.seq) : null };
  }
}
