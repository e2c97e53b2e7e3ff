import type { Dialect } from "./Dialect.js";
import type { Sql } from "./sql.js";

/** A row as the driver gives it: column name → value. */
export type Row = Record<string, unknown>;

/**
 * Runs compiled SQL on one engine: the seam between the queries (written once, in
 * src/store/sql) and a driver. Every driver error leaves it translated into a typed error
 * (core/errors.ts): a unique violation as `UniqueViolation`, a store that cannot be reached
 * as `503 store-unavailable`.
 *
 * Parameters: booleans are bound as the engine stores them and objects and arrays as JSON
 * text. Rows: timestamps come back as ISO 8601 text, 64-bit integers as numbers, JSON
 * columns as text (SQLite) or parsed (PostgreSQL): row mappers read both (rows.ts).
 */
export interface Executor {
  readonly dialect: Dialect;
  all<R = Row>(query: Sql): Promise<R[]>;
  /** the first row, or undefined */
  one<R = Row>(query: Sql): Promise<R | undefined>;
  /** runs a statement; the number of rows it changed */
  run(query: Sql): Promise<number>;
  /**
   * A unit of work: everything `work` does through `tx` commits together, or nothing does
   * when it throws (the error is rethrown). Inside a transaction, `transaction` joins it.
   */
  transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T>;
  /** whether this executor is inside a transaction */
  readonly inTransaction: boolean;
}
