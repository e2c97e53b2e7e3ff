import type { Page } from "./types.js";
import type { AuditStore } from "./store/AuditStore.js";
import type { CatalogStore } from "./store/CatalogStore.js";
import type { DueWorkStore } from "./store/DueWorkStore.js";
import type { IdentityStore } from "./store/IdentityStore.js";
import type { JobStore } from "./store/JobStore.js";
import type { WebhookStore } from "./store/WebhookStore.js";
import type { TimeTriggerStore } from "./store/TimeTriggerStore.js";

export type * from "./store/AuditStore.js";
export type * from "./store/CatalogStore.js";
export type * from "./store/DueWorkStore.js";
export type * from "./store/IdentityStore.js";
export type * from "./store/JobStore.js";
export type * from "./store/WebhookStore.js";
export type * from "./store/TimeTriggerStore.js";

/**
 * The persistence port, split by aggregate (src/core/store/*Store.ts). One verb per
 * operation; the queries are written once (src/store/sql) and compiled for each engine
 * (src/store/sqlite, src/store/postgres). Every method that touches tenant data takes the
 * tenantId, so isolation is enforced in the query, not by callers. Driver errors never leave
 * it: a unique index's refusal is the resource's 409 or a `UniqueViolation`, an unreachable
 * store `503 store-unavailable` (core/errors.ts).
 */
export interface Store extends IdentityStore, CatalogStore, JobStore, AuditStore, DueWorkStore, WebhookStore, TimeTriggerStore {
  readonly engine: string;
  migrate(): Promise<void>;
  /** a cheap round trip: is the store reachable? (/readyz) */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * A unit of work. Every store call made inside `work` (through `tx` or through this store,
   * from any code `work` awaits) runs in one transaction: all of it commits, or none of it
   * does when `work` throws (the error is rethrown). A transaction inside a transaction joins
   * it. Keep `work` to store calls and computation: on SQLite, other callers wait while it is
   * open.
   */
  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T>;
  /**
   * Runs `work`, whose writes are kept together or not at all, at the least cost the engine
   * allows: PostgreSQL runs it as `transaction`; SQLite, whose writes of a turn already commit
   * together (group commit), holds that commit until `work` ends, and keeps none of it if
   * `work` throws, without making other callers wait. Inside an open transaction it joins
   * it. For the hot paths' small units (a job's change and the webhook deliveries it causes):
   * store calls only, no transaction of their own.
   */
  writeTogether<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `task` once the transaction open in this async context commits, and never if it
   * rolls back; at once when none is open. Notifications go through it, so nobody is told of
   * a change before others can read it.
   */
  afterCommit(task: () => void): void;
  /**
   * A promise that resolves once every write made so far is on disk, or null when none
   * waits (SQLite commits the writes of one turn of the event loop together; PostgreSQL
   * commits each statement, so it is always null there). What tells the outside world of a
   * change (an HTTP answer) waits for it; it rejects when the writes could not be committed.
   */
  durable(): Promise<void> | null;
  /** Refreshes what the query planner knows of the tables, where the engine does not do it itself (hourly). */
  optimize(): Promise<void>;
}

export type { Page };
