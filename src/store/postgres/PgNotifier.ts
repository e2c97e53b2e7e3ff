import pg from "pg";
import { randomUUID } from "node:crypto";
import { LocalNotifier, type Listener, type Notifier, type NotifierEvents } from "../../core/notifier.js";

type Kind = keyof NotifierEvents;

/** the longest a NOTIFY statement may take before it is given up (its events lost, as in an outage): the events behind it wait for it */
const NOTIFY_TIMEOUT_MS = 5000;
/** every node says it is there at least this often (a presence of its own when it sent nothing else meanwhile): 5 s */
export const PRESENCE_MS = 5_000;
/** a node that has heard no other for this long, listening all along, is alone (three presences missed): 15 s */
export const ALONE_AFTER_MS = 15_000;
/** a node that starts (or listens again) asks who is there, and every node answers at once; with no answer within 1 s it is alone */
export const ANSWER_WAIT_MS = 1_000;

/** the other nodes a node remembers hearing (each process start is a node): 1,000 */
const OTHERS_KEPT = 1_000;

export interface PgNotifierOptions {
  /** the clock of presences and of being alone (tests move their own) */
  now?: () => number;
  /** sends the presences on a timer of its own (tests call `tick()` instead) */
  presenceTimer?: boolean;
}

/**
 * The notifier of many nodes: events reach this node's listeners at once, and the other
 * nodes through PostgreSQL LISTEN/NOTIFY on one channel per schema. Payloads are small
 * (a finished job travels as its key; waiters on other nodes read it once). NOTIFYs are
 * batched: those of one event-loop turn in one statement, and while a statement is in flight
 * the next ones wait for it (one round trip at a time, so under load a statement carries many
 * turns' events; alone, an event leaves at once); `jobAvailable` is coalesced per process,
 * `jobsChanged` per tenant. When the
 * listening connection drops, it is re-established with backoff and the missed-events
 * listeners run, so waiters re-read and claimers claim again: nobody waits forever.
 *
 * **A node alone sends nothing.** One node on PostgreSQL (the usual installation) sent a
 * NOTIFY for every job created, claimed and finished, 3 statements of the 8 a LongPolling
 * call took, to nobody. Every node says it is there every 5 s (`PRESENCE_MS`; any statement
 * of its events says it too); a node that has heard no other for 15 s (`ALONE_AFTER_MS`)
 * with its listener up all along is alone, and its events stay on it (its presences go on,
 * saying it is alone). A node that starts, or whose listener came back, asks who is there;
 * every node answers at once, and one that hears no answer within 1 s (`ANSWER_WAIT_MS`) is
 * alone. Until then it sends its events, so a new node's reach the others from its first.
 * An alone node that hears another says at once that it is there and was alone; a node told
 * so by another (its events since it was alone never left), or hearing again a node it had
 * not heard for 15 s (its events may have been lost), runs its missed-events listeners:
 * waiters re-read, claimers claim again, caches drop. Nodes that start together run none.
 */
export class PgNotifier implements Notifier {
  private readonly local = new LocalNotifier();
  private readonly nodeId = randomUUID();
  private readonly channel: string;
  private readonly missed = new Set<() => void>();
  private client: pg.Client | null = null;
  private queue: string[] = [];
  private queuedAvailable = new Set<string>();
  private flushScheduled = false;
  /** the NOTIFY statement in flight, if any: the next flush waits for it */
  private inFlight: Promise<void> | null = null;
  private closed = false;
  private backoff = 100;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  /** when this node last heard another (or its listener came up: no node is alone before it has listened for ALONE_AFTER_MS) */
  private heardAt: number;
  /** the other nodes heard, and when each was last */
  private readonly others = new Map<string, number>();
  /** when a statement last left this node */
  private sentAt = Number.NEGATIVE_INFINITY;
  private presenceTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connection: { connectionString: string; schema: string },
    private readonly onError: (err: unknown) => void = () => {},
    private readonly options: PgNotifierOptions = {},
  ) {
    this.channel = `baton_${connection.schema}`.slice(0, 63);
    this.now = options.now ?? Date.now;
    this.heardAt = this.now();
  }

  /** Connects the listening client; resolves once LISTEN is in place. Says this node is there, and goes on saying it every PRESENCE_MS. */
  async start(): Promise<void> {
    await this.listen();
    if (this.options.presenceTimer !== false && !this.presenceTimer) {
      this.presenceTimer = setInterval(() => this.tick(), PRESENCE_MS / 5);
      this.presenceTimer.unref();
    }
  }

  /**
   * Whether this node is alone: listening, it has heard no other node for ALONE_AFTER_MS. A
   * node that is not listening cannot know, and is not.
   */
  get alone(): boolean {
    return this.client !== null && this.now() - this.heardAt >= ALONE_AFTER_MS;
  }

  /** how many other nodes this node has heard (each process start is one) */
  get nodesHeard(): number {
    return this.others.size;
  }

  /** The presence timer's step: this node says it is there when nothing left it for PRESENCE_MS. */
  tick(): void {
    if (!this.closed && this.now() - this.sentAt >= PRESENCE_MS) this.sendPresence(this.alone);
  }

  /**
   * `wasAlone`: this node's events did not leave it (a node hearing it runs its missed-events
   * listeners); `ask`: every node hearing it answers at once with its own presence.
   */
  private sendPresence(wasAlone = false, ask = false): void {
    if (this.closed) return;
    this.queue.push(JSON.stringify({ o: this.nodeId, k: "presence", ...(wasAlone ? { a: 1 } : {}), ...(ask ? { q: 1 } : {}) }));
    this.scheduleFlush();
  }

  private async listen(): Promise<void> {
    // keepAlive: a connection dropped without a reset is noticed, and re-established
    const client = new pg.Client({ connectionString: this.connection.connectionString, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on("notification", (msg) => this.receive(msg.payload));
    const lost = (err?: unknown) => {
      if (this.client !== client) return;
      this.client = null;
      if (err) this.onError(err);
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on("error", lost);
    client.on("end", () => lost());
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.client = client;
    this.backoff = 100;
    // who is there: every node answers at once; alone if none has within ANSWER_WAIT_MS
    this.heardAt = this.now() - ALONE_AFTER_MS + ANSWER_WAIT_MS;
    this.sendPresence(false, true);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.listen().then(
        () => { for (const listener of this.missed) listener(); },
        (err: unknown) => {
          this.onError(err);
          this.backoff = Math.min(this.backoff * 2, 5000);
          this.scheduleReconnect();
        },
      );
    }, this.backoff);
    this.reconnectTimer.unref();
  }

  publish<K extends Kind>(kind: K, event: NotifierEvents[K]): void {
    this.local.publish(kind, event);
    // no other node to tell (a node that appears runs its missed-events listeners when it hears this one)
    if (this.alone) return;
    if (kind === "jobAvailable" || kind === "jobsChanged") {
      const e = event as { tenantId: string; processName?: string };
      const id = `${kind}\n${e.tenantId}\n${e.processName ?? ""}`;
      if (this.queuedAvailable.has(id)) return;
      this.queuedAvailable.add(id);
    }
    const wire = kind === "jobFinished" ? { tenantId: (event as NotifierEvents["jobFinished"]).tenantId, jobKey: (event as NotifierEvents["jobFinished"]).jobKey } : event;
    this.queue.push(JSON.stringify({ o: this.nodeId, k: kind, e: wire }));
    this.scheduleFlush();
  }

  /** a flush after this turn, unless one is scheduled or in flight (that one schedules the next when it ends) */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.inFlight) await this.inFlight;
    const payloads = this.queue;
    this.queue = [];
    this.queuedAvailable = new Set();
    if (payloads.length === 0 || this.closed) return;
    // query_timeout: the client's own limit for this statement (pg reads it from the config; its types leave it out)
    const statement = { text: "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", values: [this.channel, payloads], query_timeout: NOTIFY_TIMEOUT_MS } as pg.QueryConfig;
    this.sentAt = this.now();
    const sent = this.pool.query(statement).then(
      () => {},
      (err: unknown) => {
        // PostgreSQL is unreachable (or this statement hung: its own timeout, so that the
        // events behind it are not held for long): other nodes recover through their
        // missed-events path
        try { this.onError(err); } catch { /* reporting must not stop the next events */ }
      },
    );
    this.inFlight = sent;
    try {
      await sent;
    } finally {
      this.inFlight = null;
    }
    // what was published meanwhile leaves now, as one statement
    if (this.queue.length > 0) this.scheduleFlush();
  }

  private receive(payload: string | undefined): void {
    if (!payload) return;
    let message: { o?: string; k?: Kind; e?: unknown; a?: number; q?: number };
    try {
      message = JSON.parse(payload) as typeof message;
    } catch {
      return;
    }
    if (typeof message.o !== "string" || message.o === this.nodeId) return;
    this.heard(message.o, message.a === 1, message.q === 1);
    if (!message.k || !message.e || (message.k as string) === "presence") return;
    this.local.publish(message.k, message.e as NotifierEvents[Kind]);
  }

  /**
   * Another node spoke (`itWasAlone`: a presence saying its events did not leave it; `asks`:
   * one asking who is there). This node answers one that asks, and, if alone, says at once
   * that it is there and was alone, so that the other reads again what it missed. It runs its
   * missed-events listeners when the other was alone, or when it had heard it before but not
   * for ALONE_AFTER_MS (its events may have been lost); a node heard for the first time, not
   * alone, has sent every event since it started.
   */
  private heard(nodeId: string, itWasAlone: boolean, asks: boolean): void {
    const now = this.now();
    const wasAlone = this.alone;
    if (wasAlone || asks) this.sendPresence(wasAlone);
    const last = this.others.get(nodeId);
    this.heardAt = now;
    this.others.set(nodeId, now);
    const gap = last !== undefined && now - last >= ALONE_AFTER_MS;
    // every process start is a node of its own: the first heard are forgotten past OTHERS_KEPT
    if (last === undefined && this.others.size > OTHERS_KEPT) this.others.delete(this.others.keys().next().value!);
    if (!itWasAlone && !gap) return;
    for (const listener of this.missed) {
      try { listener(); } catch (err) { this.onError(err); }
    }
  }

  subscribe<K extends Kind>(kind: K, listener: Listener<K>): () => void {
    return this.local.subscribe(kind, listener);
  }

  onMissedEvents(listener: () => void): () => void {
    this.missed.add(listener);
    return () => this.missed.delete(listener);
  }

  /** For tests: resolves once nothing published (or a presence) waits to leave or is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight || this.flushScheduled || this.queue.length > 0) {
      if (this.inFlight) await this.inFlight;
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** For tests: drop the listening connection as a network failure would. */
  dropListener(): void {
    this.client?.emit("error", new Error("listener connection dropped (test)"));
  }

  async close(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.presenceTimer) clearInterval(this.presenceTimer);
    this.presenceTimer = null;
    // what is published up to now still leaves (after the statement in flight): other nodes'
    // waiters and claimers learn of this node's last changes (jobs handed back at shutdown)
    while (this.inFlight || this.queue.length > 0) await this.flush();
    this.closed = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
    await this.local.close();
  }
}
