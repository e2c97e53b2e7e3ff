import pg from "pg";
import type { Executor, Row } from "../sql/Executor.js";
import type { Sql } from "../sql/sql.js";
import { postgresDialect } from "./postgresDialect.js";
import { isReadTimeout, translatePostgresError } from "./driverErrors.js";

const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => Date;

/**
 * Rows as the shared mappers read them: timestamps as ISO 8601 text (as SQLite keeps them),
 * bigints (identity columns, counts) as numbers: no count or sequence here nears 2^53.
 */
export const postgresTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === pg.types.builtins.TIMESTAMPTZ) return (text: string) => parseTimestamptz(text).toISOString();
    if (oid === pg.types.builtins.INT8) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** pg binds booleans and text itself; objects and arrays are bound as JSON text (not as PostgreSQL arrays). */
function bind(values: unknown[]): unknown[] {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined) values[i] = null;
    else if (typeof v === "object" && v !== null && !Buffer.isBuffer(v)) values[i] = JSON.stringify(v);
  }
  return values;
}

/** one name per fixed text: the server prepares it once per connection and reuses the plan */
const statementNames = new Map<string, string>();
let statementCount = 0;
/** at most this many named statements (each connection prepares the ones it runs); past it, texts run unnamed */
const MAX_STATEMENT_NAMES = 1000;
function nameFor(text: string): string | undefined {
  let name = statementNames.get(text);
  if (!name && statementNames.size < MAX_STATEMENT_NAMES) {
    name = `baton_${++statementCount}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A prepared `SELECT *` whose table gained a column (a newer node migrated while this one
 * runs: rolling upgrades) fails with "cached plan must not change result type". The text
 * gets a new name, prepared afresh on each connection, and the query runs again.
 */
function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === "0A000" && typeof e.message === "string" && e.message.includes("cached plan must not change result type");
}

function config(query: Sql): pg.QueryConfig {
  const { text, values, fixed } = query.compile(postgresDialect);
  const name = fixed ? nameFor(text) : undefined;
  return name ? { name, text, values: bind(values) } : { text, values: bind(values) };
}

/**
 * PostgreSQL through a pg pool. Fixed texts run as named (prepared) statements. A
 * transaction holds one client of the pool for its whole work.
 */
export class PostgresExecutor implements Executor {
  readonly dialect = postgresDialect;
  readonly inTransaction: boolean;

  constructor(
    readonly pool: pg.Pool,
    /** the transaction's client; absent: each statement takes any client of the pool */
    private readonly client?: pg.PoolClient,
  ) {
    this.inTransaction = client !== undefined;
  }

  /** the transaction's statements, one after the other: works written together (PostgresStore.writeTogether) call it at once */
  private turn: Promise<unknown> = Promise.resolve();

  private async query(query: Sql): Promise<pg.QueryResult> {
    const q = config(query);
    try {
      return await this.prepared(q);
    } catch (err) {
      if (isStalePlan(err) && q.name) statementNames.delete(q.text);
      // (inside a transaction the failed statement has aborted it: no second try there; the next one gets the new name)
      if (isStalePlan(err) && q.name && !this.client) {
        try {
          return await this.pool.query(config(query));
        } catch (again) {
          throw translatePostgresError(again);
        }
      }
      throw translatePostgresError(err);
    }
  }

  /**
   * A statement the caller names and prepares itself (a batch's fixed text), in the
   * transaction's turn when there is one. Its errors leave as the driver threw them (their
   * SQLSTATE tells a bad row from an unreachable store).
   */
  prepared(q: pg.QueryConfig): Promise<pg.QueryResult> {
    if (!this.client) return this.pool.query(q);
    const client = this.client;
    const run = this.turn.then(() => client.query(q));
    this.turn = run.catch(() => {});
    return run;
  }

  async all<R = Row>(query: Sql): Promise<R[]> {
    return (await this.query(query)).rows as R[];
  }

  async one<R = Row>(query: Sql): Promise<R | undefined> {
    return (await this.query(query)).rows[0] as R | undefined;
  }

  async run(query: Sql): Promise<number> {
    return (await this.query(query)).rowCount ?? 0;
  }

  async transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    if (this.client) return work(this);
    return withClient(this.pool, async (client) => work(new PostgresExecutor(this.pool, client)));
  }
}

/**
 * Runs `work` in a transaction on a client of its own: BEGIN, COMMIT, ROLLBACK on a throw.
 * Driver errors leave translated. Engine-specific paths (the claim, purges) use it with raw
 * SQL on the client.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw translatePostgresError(err);
  }
  // a checked-out client has no 'error' listener (the pool's is for idle ones): a connection
  // lost mid-transaction would be an unhandled 'error' event and end the process. The query
  // in flight fails (→ 503) and the broken client is discarded instead.
  let lost: Error | undefined;
  const onError = (err: Error) => { lost = err; };
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const result = await work(client);
    // a statement that failed inside aborted the transaction: PostgreSQL answers COMMIT with
    // ROLLBACK and no error. A work that caught that statement's error must not be told it committed
    const commit = await client.query("COMMIT");
    if (commit.command === "ROLLBACK") throw new Error("The transaction was rolled back at COMMIT: a statement in it failed, and the work went on after catching its error.");
    return result;
  } catch (err) {
    // a query the client gave up on may still be running: the connection is discarded (which
    // ends the transaction) rather than queueing a ROLLBACK behind it
    if (isReadTimeout(err)) lost = err as Error;
    else await client.query("ROLLBACK").catch(() => {});
    throw translatePostgresError(err);
  } finally {
    client.off("error", onError);
    client.release(lost);
  }
}
