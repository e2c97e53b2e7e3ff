import type { Store } from "../../core/store.js";
import { AuditSql } from "./AuditSql.js";
import { CatalogSql } from "./CatalogSql.js";
import { DueWorkSql } from "./DueWorkSql.js";
import { IdentitySql } from "./IdentitySql.js";
import { JobsSql } from "./JobsSql.js";
import { SqlAggregate } from "./SqlAggregate.js";
import { TimeTriggersSql } from "./TimeTriggersSql.js";
import { WebhooksSql } from "./WebhooksSql.js";
import { sql } from "./sql.js";

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface SqlStore extends IdentitySql, CatalogSql, JobsSql, AuditSql, DueWorkSql, WebhooksSql, TimeTriggersSql {}

/**
 * The store, written once: the aggregates' queries (IdentitySql, CatalogSql, JobsSql,
 * AuditSql, DueWorkSql, TimeTriggersSql), composed into one object on one executor. An engine
 * (src/store/sqlite, src/store/postgres) extends it with its migrations and overrides only
 * the paths where it has a better tool (the claim, the group commit of new jobs).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export abstract class SqlStore extends SqlAggregate implements Store {
  abstract readonly engine: string;
  abstract migrate(): Promise<void>;
  abstract close(): Promise<void>;

  async ping(): Promise<void> {
    await this.db.one(sql`SELECT 1`);
  }

  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T> {
    return this.inTransaction(() => work(this));
  }

  /** a transaction; SQLite's group commit overrides this */
  writeTogether<T>(work: () => Promise<T>): Promise<T> {
    return this.inTransaction(work);
  }

  /** every statement commits before it resolves; SQLite's group commit overrides this */
  durable(): Promise<void> | null {
    return null;
  }

  /** PostgreSQL's autovacuum keeps the planner's statistics; SQLite overrides this */
  async optimize(): Promise<void> {}
}

for (const aggregate of [IdentitySql, CatalogSql, JobsSql, AuditSql, DueWorkSql, WebhooksSql, TimeTriggersSql]) {
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(aggregate.prototype))) {
    if (name !== "constructor") Object.defineProperty(SqlStore.prototype, name, descriptor);
  }
}
