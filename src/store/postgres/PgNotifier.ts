import pg from "pg";
import { randomUUID } from "node:crypto";
import { LocalNotifier, type Listener, type Notifier, type NotifierEvents } from "../../core/notifier.js";

type Kind = keyof NotifierEvents;

/** the longest a NOTIFY statement may take before it is given up (its events lost, as in an outage): the events behind it wait for it */
const NOTIFY_TIMEOUT_MS = 5000;
/** how often a node looks for other listeners on its channel (pg_stat_activity), and tells them of events it did not send: 2 s */
export const LISTENERS_POLL_MS = 2_000;
/** events an alone node keeps to send should a listener appear (those since its last look began, about 2 s): past 10,000, a notice tells instead */
export const KEPT_MAX = 10_000;

export interface PgNotifierOptions {
  /** looks for other listeners on a timer of its own (tests call `poll()` instead) */
  pollTimer?: boolean;
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
 * call took, to nobody. Every 2 s (`LISTENERS_POLL_MS`) a node asks PostgreSQL whether any
 * other session listens on its channel (`pg_stat_activity`: a listener's last statement is its
 * `LISTEN`, whatever Baton's version; a session of another role, whose statements it may not
 * see, counts as one, as does every session whose statements are not tracked). While none
 * does, it is alone: its events are kept, not sent. A look that finds none drops what was kept
 * before it began (a listener that came later was not listening then); one that finds a
 * listener sends what was kept since, as it was published, so that a node of any version gets
 * every event. Events lost (a failed NOTIFY, or kept past `KEPT_MAX`) are owed: at the next
 * look with someone listening the node tells them so (a notice), again at every look until
 * one goes through, and a node told runs its missed-events listeners (waiters re-read,
 * claimers claim again, caches drop), as after its own listener came back.
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
  /** the listening session's backend (not counted among the other listeners) */
  private listenerPid: number | null = null;
  /** no other session listened at the last look (since the listener last came up) */
  private noOtherListener = false;
  /** events kept while alone, as they travel (sent once a look finds a listener; serialized only then, as most are dropped) */
  private kept: { kind: Kind; wire: unknown }[] = [];
  /** events lost since the last notice went through (a failed NOTIFY, or kept past KEPT_MAX) */
  private owed = 0;
  /** a notice waits to leave */
  private noticeQueued = false;
  private looking: Promise<void> | null = null;
  private pollTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connection: { connectionString: string; schema: string },
    private readonly onError: (err: unknown) => void = () => {},
    private readonly options: PgNotifierOptions = {},
  ) {
    this.channel = `baton_${connection.schema}`.slice(0, 63);
  }

  /** Connects the listening client; resolves once LISTEN is in place. Looks for other listeners every LISTENERS_POLL_MS. */
  async start(): Promise<void> {
    await this.listen();
    if (this.options.pollTimer !== false && !this.pollTimer && !this.closed) {
      this.pollTimer = setInterval(() => void this.poll(), LISTENERS_POLL_MS);
      this.pollTimer.unref();
    }
  }

  /** Whether this node is alone: listening, and no other session listened on its channel at the last look. */
  get alone(): boolean {
    return this.client !== null && this.noOtherListener;
  }

  /**
   * Looks whether another session listens on the channel (one look at a time). None: alone,
   * and what was kept or owed before the look began concerned nobody. One: not alone, what was
   * kept since is sent, and what is owed is told (a notice, again at every look until one goes
   * through).
   */
  poll(): Promise<void> {
    const client = this.client;
    if (this.looking || this.closed || client === null) return this.looking ?? Promise.resolve();
    // a session whose statements are not tracked (state 'disabled') may be a listener: counted
    const statement = {
      text: `SELECT current_setting('track_activities') = 'on' AS tracked,
                    count(*) FILTER (WHERE query = $1 OR query = '<insufficient privilege>' OR state = 'disabled') AS listeners
               FROM pg_stat_activity WHERE datname = current_database() AND pid <> $2`,
      values: [`LISTEN ${this.channel}`, this.listenerPid],
      query_timeout: NOTIFY_TIMEOUT_MS,
    } as pg.QueryConfig;
    const keptBefore = this.kept.length;
    const owedBefore = this.owed;
    this.looking = this.pool.query(statement).then(
      (result) => {
        const row = result.rows[0] as { tracked: boolean; listeners: string | number };
        // a listener that went meanwhile: not alone until its successor has looked
        this.noOtherListener = this.client === client && row.tracked && Number(row.listeners) === 0;
        if (this.noOtherListener) {
          this.kept.splice(0, Math.min(keptBefore, this.kept.length));
          this.owed -= Math.min(owedBefore, this.owed);
        } else this.catchUp();
      },
      (err: unknown) => {
        // unknown: not alone (events sent, as they always were)
        this.noOtherListener = false;
        this.catchUp();
        this.onError(err);
      },
    ).finally(() => { this.looking = null; });
    return this.looking;
  }

  /** sends what was kept, and tells of what is owed (the other nodes run their missed-events listeners) */
  private catchUp(): void {
    for (const { kind, wire } of this.kept) this.queue.push(this.payload(kind, wire));
    this.kept = [];
    if (this.owed > 0 && !this.noticeQueued) {
      this.noticeQueued = true;
      this.queue.push(JSON.stringify({ o: this.nodeId, k: "missed" }));
    }
    if (this.queue.length > 0) this.scheduleFlush();
  }

  private payload(kind: Kind, wire: unknown): string {
    return JSON.stringify({ o: this.nodeId, k: kind, e: wire });
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
    // the session's backend, asked before LISTEN: its last statement stays the LISTEN, as every listener's does
    const pid = Number((await client.query("SELECT pg_backend_pid() AS pid")).rows[0].pid);
    await client.query(`LISTEN ${this.channel}`);
    // closed meanwhile: the connection is not kept (close() ended only the client it knew)
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.listenerPid = pid;
    this.noOtherListener = false;
    this.backoff = 100;
    void this.poll();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.listen().then(
        () => this.runMissed(),
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
    // nobody else listens: kept, sent should a look find a listener that came meanwhile (past KEPT_MAX, owed: told)
    if (this.alone) {
      if (this.kept.length < KEPT_MAX) this.kept.push({ kind, wire: wireOf(kind, event) });
      else this.owed++;
      return;
    }
    if (kind === "jobAvailable" || kind === "jobsChanged") {
      const e = event as { tenantId: string; processName?: string };
      const id = `${kind}\n${e.tenantId}\n${e.processName ?? ""}`;
      if (this.queuedAvailable.has(id)) return;
      this.queuedAvailable.add(id);
    }
    this.queue.push(this.payload(kind, wireOf(kind, event)));
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
    // a notice tells of every event lost up to now
    const notice = this.noticeQueued ? this.owed : null;
    this.noticeQueued = false;
    if (payloads.length === 0 || this.closed) return;
    // query_timeout: the client's own limit for this statement (pg reads it from the config; its types leave it out)
    const statement = { text: "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", values: [this.channel, payloads], query_timeout: NOTIFY_TIMEOUT_MS } as pg.QueryConfig;
    const sent = this.pool.query(statement).then(
      () => {
        // the notice went through: nothing is owed but what was lost since it left
        if (notice !== null) this.owed -= Math.min(notice, this.owed);
      },
      (err: unknown) => {
        // its events are lost: owed (the other nodes are told at the next look), the notice's count too
        this.owed += payloads.length;
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
    if (message.o === this.nodeId || !message.k) return;
    // another node speaks: this one is not alone (what it kept leaves now, not at its next look)
    if (this.noOtherListener) {
      this.noOtherListener = false;
      this.catchUp();
    }
    // another node's events did not all reach here (it was alone, or a NOTIFY failed): read again
    if ((message.k as string) === "missed") return this.runMissed();
    if (!message.e) return;
    this.local.publish(message.k, message.e as NotifierEvents[Kind]);
  }

  private runMissed(): void {
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

  /** For tests: resolves once nothing published waits to leave or is in flight. */
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
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    // a listener may have come since the last look: what was kept (the last jobs handed back) leaves, what was lost is told
    this.noOtherListener = false;
    this.catchUp();
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

/** An event as it travels: a finished job as its key (waiters on other nodes read it once), never the job itself. */
function wireOf(kind: Kind, event: unknown): unknown {
  if (kind !== "jobFinished") return event;
  const { tenantId, jobKey } = event as NotifierEvents["jobFinished"];
  return { tenantId, jobKey };
}
