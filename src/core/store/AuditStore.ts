import type { JsonObject } from "../types.js";

/** The audit log: appended in the transaction of the change it records. */
export interface AuditStore {
  appendAudit(entry: NewAuditEntry): Promise<void>;
  /** newest first; `cursor` is the `seq` below which to continue; `action` exact or a `prefix.*` */
  listAudit(tenantId: string, options: AuditListOptions): Promise<{ items: AuditEntry[]; next: number | null }>;
}

/** Who made a change: the kind of credential (`token`, `oauth`, `robot`, `user`, …), its id and a display name. */
export interface AuditActor {
  kind: string;
  id: string | null;
  name: string | null;
}

export interface AuditEntry {
  seq: number;
  org: string;
  /** the tenant the change belongs to (for a new tenant, that tenant) */
  tenantId: string | null;
  at: string;
  actor: AuditActor;
  /** `{resource}.{verb}`, e.g. `trigger.create`, `job.stop`, `settings.update` */
  action: string;
  /** the id or key of what was changed */
  target: string | null;
  details: JsonObject;
  sourceIp: string | null;
  requestId: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, "seq">;

/** The store's view of a query: validated, the cursor decoded. */
export interface AuditListOptions {
  limit: number;
  /** continue below this `seq` */
  cursor: number | null;
  /** exact, or a prefix such as `trigger.*` */
  action?: string;
  /** ISO 8601, inclusive */
  since?: string;
}
