import pg from "pg";
import { randomUUID } from "node:crypto";
import { LocalNotifier, type Listener, type Notifier, type NotifierEvents } from "../../core/notifier.js";

type Kind = keyof NotifierEvents;

/** the longest a NOTIFY statement may take before it is given up (its events lost, as in an outage): the events behind it wait for it */
const NOTIFY_TIMEOUT_MS = 5000;

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

  constructor(
    private readonly pool: pg.Pool,
    private readonly connection: { connectionString: string; schema: string },
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.channel = `baton_${connection.schema}`.slice(0, 63);
  }

  /** Connects the listening client; resolves once LISTEN is in place. */
  async start(): Promise<void> {
    await this.listen();
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
    let message: { o?: string; k?: Kind; e?: unknown };
    try {
      message = JSON.parse(payload) as typeof message;
    } catch {
      return;
    }
    if (message.o === this.nodeId || !message.k || !message.e) return;
    this.local.publish(message.k, message.e as NotifierEvents[Kind]);
  }

  subscribe<K extends Kind>(kind: K, listener: Listener<K>): () => void {
    return this.local.subscribe(kind, listener);
  }

  onMissedEvents(listener: () => void): () => void {
    this.missed.add(listener);
    return () => this.missed.delete(listener);
  }

  /** For tests: drop the listening connection as a network failure would. */
  dropListener(): void {
    this.client?.emit("error", new Error("listener connection dropped (test)"));
  }

  async close(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
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
