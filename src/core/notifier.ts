import type { Job, StopStrategy } from "./types.js";

/** Events that wake waiters. On one node they are in-process; across nodes PostgreSQL carries them. */
export interface NotifierEvents {
  /** a job became claimable (created, or handed back to Pending) */
  jobAvailable: { tenantId: string; processName: string };
  /**
   * a job reached a final state. On the node that ended it the event carries the final job,
   * so waiters need no store read; from another node it carries only the key.
   */
  jobFinished: { tenantId: string; jobKey: string; job?: Job };
  /** a stop (SoftStop) or kill was requested for a job held by a session */
  stopRequested: { tenantId: string; jobKey: string; sessionId: string; strategy: StopStrategy };
  /**
   * jobs of the tenant started or logged (the other changes have events of their own):
   * the console's live views refresh. Coalesced across nodes per tenant.
   */
  jobsChanged: { tenantId: string };
  /** tenant settings changed: caches drop their copy */
  settingsChanged: { tenantId: string };
  /** a process or trigger changed: cached lookups are dropped */
  catalogChanged: { tenantId: string };
  /** a token, robot key or external application was revoked, or an application's secret rotated: cached authentications are dropped */
  credentialsChanged: { tenantId: string };
  /** webhook subscriptions changed (issue 16): the cached subscriptions of the tenant are dropped */
  webhooksChanged: { tenantId: string };
  /** a robot session was closed or lost: every node drops its cached copy (Robots) */
  sessionEnded: { tenantId: string; sessionId: string };
}

export type Listener<K extends keyof NotifierEvents> = (event: NotifierEvents[K]) => void;

export interface Notifier {
  publish<K extends keyof NotifierEvents>(kind: K, event: NotifierEvents[K]): void;
  subscribe<K extends keyof NotifierEvents>(kind: K, listener: Listener<K>): () => void;
  /**
   * Called when events may have been missed (a cross-node listener reconnected): waiters
   * re-read what they wait for, claimers claim again.
   */
  onMissedEvents(listener: () => void): () => void;
  close(): Promise<void>;
  /** PostgreSQL: no other node listened at the node's last look, so its events are kept, not sent (GET /metrics); absent on one process */
  readonly alone?: boolean;
}

/** The single-node notifier: synchronous in-process fan-out. */
export class LocalNotifier implements Notifier {
  private readonly listeners: { [K in keyof NotifierEvents]: Set<Listener<K>> } = {
    jobAvailable: new Set(),
    jobFinished: new Set(),
    stopRequested: new Set(),
    jobsChanged: new Set(),
    settingsChanged: new Set(),
    catalogChanged: new Set(),
    credentialsChanged: new Set(),
    webhooksChanged: new Set(),
    sessionEnded: new Set(),
  };

  publish<K extends keyof NotifierEvents>(kind: K, event: NotifierEvents[K]): void {
    // an event kind this version does not know (from a newer node) has no listeners here
    const listeners = this.listeners[kind] as Set<Listener<K>> | undefined;
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure must not stop the others from being told
      }
    }
  }

  subscribe<K extends keyof NotifierEvents>(kind: K, listener: Listener<K>): () => void {
    const set = this.listeners[kind] as Set<Listener<K>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** A single process misses nothing: this never fires. */
  onMissedEvents(_listener: () => void): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    for (const set of Object.values(this.listeners)) set.clear();
  }
}

/**
 * Events of a change made inside a store transaction are published once it commits (never
 * if it rolls back): a waiter woken earlier would read the state before the change.
 */
export class AfterCommitNotifier implements Notifier {
  constructor(
    /** the notifier that delivers the events */
    readonly inner: Notifier,
    private readonly afterCommit: (task: () => void) => void,
  ) {}

  publish<K extends keyof NotifierEvents>(kind: K, event: NotifierEvents[K]): void {
    this.afterCommit(() => this.inner.publish(kind, event));
  }

  subscribe<K extends keyof NotifierEvents>(kind: K, listener: Listener<K>): () => void {
    return this.inner.subscribe(kind, listener);
  }

  onMissedEvents(listener: () => void): () => void {
    return this.inner.onMissedEvents(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  get alone(): boolean | undefined {
    return this.inner.alone;
  }
}
