import { AsyncLocalStorage } from "node:async_hooks";
import type { Executor } from "./Executor.js";

/** The transaction open in this async context, per root executor (one store per engine instance). */
interface OpenTransaction {
  readonly root: Executor;
  readonly tx: Executor;
  /** set when the transaction has ended: work it started that outlives it (a timer) runs outside it */
  ended: boolean;
}

const openTransactions = new AsyncLocalStorage<OpenTransaction>();

/**
 * What every aggregate's queries run on: the store's executor, or, inside
 * `store.transaction(…)`, that transaction's. The transaction is found through the async
 * context, so a core service that calls the store from inside a unit of work joins it
 * without being handed a `tx`.
 */
export abstract class SqlAggregate {
  constructor(protected readonly root: Executor) {}

  protected get db(): Executor {
    const open = openTransactions.getStore();
    return open && open.root === this.root && !open.ended ? open.tx : this.root;
  }

  /** Runs `work` in a transaction (joining the open one, if any). */
  protected inTransaction<T>(work: () => Promise<T>): Promise<T> {
    const open = openTransactions.getStore();
    if (open && open.root === this.root && !open.ended) return work();
    return this.root.transaction(async (tx) => {
      const context: OpenTransaction = { root: this.root, tx, ended: false };
      try {
        return await openTransactions.run(context, work);
      } finally {
        context.ended = true;
      }
    });
  }
}
