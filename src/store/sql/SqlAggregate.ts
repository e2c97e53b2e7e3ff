import { AsyncLocalStorage } from "node:async_hooks";
import type { Executor } from "./Executor.js";

/** The transaction open in this async context, per root executor (one store per engine instance). */
interface OpenTransaction {
  readonly root: Executor;
  readonly tx: Executor;
  /** set when the transaction has ended: work it started that outlives it (a timer) runs outside it */
  ended: boolean;
  /** what runs once it commits (notifications of what it changed); dropped on rollback */
  readonly afterCommit: (() => void)[];
  /** the transaction of another store this one was opened in, still open around it */
  readonly outer: OpenTransaction | undefined;
}

const openTransactions = new AsyncLocalStorage<OpenTransaction>();
/**
 * Transactions open now, on any store. An enabled AsyncLocalStorage makes Node 20 track
 * every promise (a promise hook): about a seventh of the invoke path's throughput. It is
 * disabled whenever no transaction is open, so the hot paths, which open none, pay nothing.
 */
let openCount = 0;

/**
 * What every aggregate's queries run on: the store's executor, or, inside
 * `store.transaction(…)`, that transaction's. The transaction is found through the async
 * context, so a core service that calls the store from inside a unit of work joins it
 * without being handed a `tx`.
 */
export abstract class SqlAggregate {
  constructor(protected readonly root: Executor) {}

  protected get db(): Executor {
    return this.open()?.tx ?? this.root;
  }

  /** the transaction open in this async context on this store, if any (another store's may be open around or inside it) */
  private open(): OpenTransaction | undefined {
    for (let open = openTransactions.getStore(); open; open = open.outer) {
      if (open.root === this.root) return open.ended ? undefined : open;
    }
    return undefined;
  }

  /** Runs `work` in a transaction (joining the open one, if any). */
  protected async inTransaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.open()) return work();
    const context: OpenTransaction = { root: this.root, tx: this.root, ended: false, afterCommit: [], outer: openTransactions.getStore() };
    const result = await this.root.transaction(async (tx) => {
      (context as { tx: Executor }).tx = tx;
      openCount++;
      try {
        return await openTransactions.run(context, work);
      } finally {
        context.ended = true;
        if (--openCount === 0) openTransactions.disable();
      }
    });
    // committed: now the changes may be announced (a waiter told earlier could read the old state)
    for (const task of context.afterCommit) {
      try { task(); } catch { /* a listener's failure is its own: the commit stands */ }
    }
    return result;
  }

  /**
   * Runs one store operation's statements atomically, on `db`: the caller's open transaction
   * when there is one, else a transaction of its own. Unlike `inTransaction`, it enables no
   * async context: `work` must use `db`, and call nothing that reaches the store another way.
   * The store's own multi-statement operations (the claim, appending logs, deleting with a
   * check) use it, so the hot paths pay for no context tracking.
   */
  protected atomically<T>(work: (db: Executor) => Promise<T>): Promise<T> {
    const open = this.open();
    return open ? work(open.tx) : this.root.transaction(work);
  }

  /** Runs `task` once the transaction open in this context commits (never, if it rolls back); at once when none is open. */
  afterCommit(task: () => void): void {
    const open = this.open();
    if (open) open.afterCommit.push(task);
    else task();
  }
}
