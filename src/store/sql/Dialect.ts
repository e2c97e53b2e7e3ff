/**
 * What differs between the engines, and only that (after Kysely's DialectAdapter): how a
 * parameter is written, and capability flags the shared queries ask instead of branching on
 * an engine's name. Each engine's folder exports its dialect.
 */
export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** the text of the `index`-th parameter (1-based): `?` or `$1` */
  placeholder(index: number): string;
  /**
   * `FOR UPDATE SKIP LOCKED`: concurrent transactions pass over rows another one holds
   * (PostgreSQL). SQLite has one writer at a time, so a claim never meets a locked row.
   */
  readonly supportsSkipLocked: boolean;
  /**
   * `FOR UPDATE`: the rows a transaction read stay locked until it ends, so a check and the
   * change it allows see the same rows (PostgreSQL). A SQLite transaction holds the one write
   * lock from its start (BEGIN IMMEDIATE): nothing changes under it.
   */
  readonly supportsForUpdate: boolean;
  /**
   * `column` for ORDER BY in byte order (upper case first), whatever the database's collation:
   * `column COLLATE "C"` on PostgreSQL; SQLite compares text byte-wise (BINARY) already.
   */
  byteOrder(column: string): string;
  /**
   * The SQL around a parameter (a JSON value as text) that makes `column` (a JSON array) with
   * that value appended: `[before, after]`, written `${before}${param}${after}`.
   */
  jsonAppend(column: string): readonly [before: string, after: string];
  /** the SQL of a JSON array column's elements as rows of `value` text (for `IN (SELECT value FROM …)`) */
  jsonArrayElements(column: string): string;
  /**
   * SQL true when the value of `column` (a JSON column) is longer than `bytes`, found without
   * reading a long value where the engine can (a list leaves such values out). NULL or false
   * for a NULL value.
   */
  longerThan(column: string, bytes: number): string;
  /**
   * After `FROM table`: the index the query must read, where the engine takes such a hint and
   * its planner cannot be trusted with the choice (SQLite's `INDEXED BY`: it plans from
   * averages, so a rare value of a common column looks common). Empty on PostgreSQL, whose
   * statistics know a value's own frequency.
   */
  indexedBy(index: string): string;
}
