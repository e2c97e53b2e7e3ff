import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Baton } from "../core/Baton.js";
import { CALL_MODES, type CallMode, type Job, type JobState } from "../core/types.js";
import { ATTEMPT_OUTCOMES, BUSY_CONCURRENCY, BUSY_PAUSE_MS } from "../core/webhooks/WebhookDispatcher.js";

const STATES: readonly JobState[] = ["Pending", "Running", "Stopping", "Terminating", "Successful", "Faulted", "Stopped"];

/** Seconds; LongPolling invocations last as long as their job (up to the tenant's long-poll timeout). */
const INVOKE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds from creation to the first claim: milliseconds with robots waiting, hours with a backlog. */
const CLAIM_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

interface Log {
  warn(obj: unknown, msg: string): void;
}

/**
 * The size libuv gives its pool for this UV_THREADPOOL_SIZE: unset, 4; else as atoi reads it,
 * into an unsigned number (0 and junk: 1; a negative number wraps around: the most, 1,024).
 */
export function threadpoolSize(value: string | undefined): number {
  if (value === undefined) return 4;
  const n = Number.parseInt(value.trim(), 10) || 0;
  if (n < 0) return 1024;
  return Math.min(1024, Math.max(1, n));
}

/** the pool's size as this process started (bin/baton.js sets the variable before anything uses the pool) */
const STARTED_THREADPOOL_SIZE = threadpoolSize(process.env.UV_THREADPOOL_SIZE);

/**
 * The Prometheus metrics of one server (GET /metrics), in a registry of its own, so that
 * several servers in one process (the tests) do not share or clash.
 *
 * Labels stay few: state, process name and call mode, never tenant or job. Counts of jobs
 * and robot sessions are read from the store at scrape time (one GROUP BY over the jobs
 * table, one over the sessions): they are the same on every node, the cluster's state.
 * Latencies and waiting callers are this node's own.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly jobs: Gauge<"state" | "process">;
  private readonly queueDepth: Gauge<"process">;
  private readonly robotSessions: Gauge;
  private readonly robotSlots: Gauge;
  private readonly storeUp: Gauge;
  private readonly invokeDuration: Histogram<"call_mode">;
  private readonly claimLatency: Histogram;
  private readonly unsubscribeClaims: () => void;
  private defaultsCollected = false;

  constructor(private readonly baton: Baton) {
    const registers = [this.registry];
    this.jobs = new Gauge({
      name: "baton_jobs", help: "Jobs in the store by state and process (all tenants and folders), read at scrape time.", labelNames: ["state", "process"], registers,
    });
    this.queueDepth = new Gauge({
      name: "baton_queue_depth", help: "Pending jobs per process (all tenants and folders): the queue robots claim from.", labelNames: ["process"], registers,
    });
    this.robotSessions = new Gauge({ name: "baton_robot_sessions", help: "Robot sessions with a live lease, on any node.", registers });
    this.robotSlots = new Gauge({ name: "baton_robot_slots", help: "Slots (parallel jobs) of the robot sessions with a live lease.", registers });
    this.storeUp = new Gauge({ name: "baton_store_up", help: "1 when the store answered this scrape's queries, else 0.", registers });
    const waiters = baton.waiters;
    new Gauge({
      name: "baton_waiting_callers", help: "LongPolling callers and wait URIs waiting on this node for a job to end.", registers,
      collect() { this.set(waiters.size); },
    });
    // libuv's pool, as this process started it (`baton` sets 8 unless UV_THREADPOOL_SIZE says otherwise; Node's own default is 4)
    new Gauge({
      name: "baton_threadpool_size", help: "Threads of libuv's pool in this process (UV_THREADPOOL_SIZE): WAL syncs, DNS lookups, password hashing, WebCrypto and file reads share them.", registers,
      collect() { this.set(STARTED_THREADPOOL_SIZE); },
    });
    // cross-node events (PostgreSQL): kept while no other node listens
    const notifier = baton.notifier;
    new Gauge({
      name: "baton_notifier_alone",
      help: "1 while no other node listens on this node's PostgreSQL channel (its job events are kept, and sent if one comes), else 0; always 0 on SQLite.", registers,
      collect() { this.set(notifier.alone ? 1 : 0); },
    });
    // webhook deliveries (issue 16): this node's dispatcher, read at scrape time
    const dispatcher = baton.webhooks.dispatcher;
    new Gauge({
      name: "baton_webhook_deliveries_yielding",
      help: `1 while this node's event loop is saturated and its webhook deliveries yield to invocations (at most ${BUSY_CONCURRENCY} in flight, each slot resting ${BUSY_PAUSE_MS} ms), else 0.`,
      registers, collect() { this.set(dispatcher.stats.yielding ? 1 : 0); },
    });
    new Gauge({
      name: "baton_webhook_deliveries_in_flight", help: `Webhook delivery slots in use on this node: attempts in flight (and, while yielding, slots resting ${BUSY_PAUSE_MS} ms after one).`, registers,
      collect() { this.set(dispatcher.stats.inFlight); },
    });
    new Gauge({
      name: "baton_webhook_deliveries_waiting",
      help: "Webhook deliveries recorded by this node's commits that wait on this node for a slot (or for their commit's WAL sync); past 1,000 they wait in the store.",
      registers, collect() { this.set(dispatcher.stats.waiting); },
    });
    new Counter({
      name: "baton_webhook_delivery_attempts_total",
      help: "Webhook delivery attempts this node made, by what they left the delivery in: delivered, retrying (failed; due again after a backoff) or failed (failing for 24 hours: Failed).",
      labelNames: ["outcome"], registers,
      // the dispatcher's totals as they are (every outcome, 0 included)
      collect() {
        this.reset();
        for (const outcome of ATTEMPT_OUTCOMES) this.inc({ outcome }, dispatcher.attempts[outcome]);
      },
    });
    this.invokeDuration = new Histogram({
      name: "baton_invoke_duration_seconds",
      help: "Invocations of API triggers that created a job, from request to response, by call mode (LongPolling includes the wait for the job).",
      labelNames: ["call_mode"], buckets: INVOKE_BUCKETS, registers,
    });
    for (const mode of CALL_MODES) this.invokeDuration.zero({ call_mode: mode });
    this.claimLatency = new Histogram({
      name: "baton_claim_latency_seconds", help: "Time from a job's creation to its first claim by a robot (claims through this node).",
      buckets: CLAIM_BUCKETS, registers,
    });
    this.unsubscribeClaims = baton.robots.onClaimed((jobs) => this.observeClaims(jobs));
  }

  observeInvoke(callMode: CallMode, seconds: number): void {
    this.invokeDuration.observe({ call_mode: callMode }, seconds);
  }

  /** On the claim path: one observe per first-attempt job (retries wait out a backoff by design). */
  observeClaims(jobs: readonly Job[]): void {
    for (const job of jobs) {
      if (job.attempt !== 1 || !job.startedAt) continue;
      // node clocks may disagree by a little (PostgreSQL, many nodes): never negative
      this.claimLatency.observe(Math.max(0, Date.parse(job.startedAt) - Date.parse(job.createdAt)) / 1000);
    }
  }

  /** Reads the store's counts, then renders every metric in the Prometheus text format. */
  async render(log?: Log): Promise<{ contentType: string; body: string }> {
    if (!this.defaultsCollected) {
      // Node's process metrics (CPU, memory, event loop lag, GC), started on the first scrape
      collectDefaultMetrics({ register: this.registry });
      this.defaultsCollected = true;
    }
    try {
      const [counts, sessions] = await Promise.all([this.baton.store.countJobsByState(), this.baton.store.countRobotSessions(this.baton.clock.now().toISOString())]);
      const byStateAndProcess = new Map<string, Map<JobState, number>>();
      for (const row of counts) {
        let states = byStateAndProcess.get(row.processName);
        if (!states) byStateAndProcess.set(row.processName, (states = new Map()));
        states.set(row.state, (states.get(row.state) ?? 0) + row.count);
      }
      // reset, then set: a process whose jobs were all purged disappears
      this.jobs.reset();
      this.queueDepth.reset();
      for (const [process, states] of byStateAndProcess) {
        for (const state of STATES) this.jobs.set({ state, process }, states.get(state) ?? 0);
        this.queueDepth.set({ process }, states.get("Pending") ?? 0);
      }
      this.robotSessions.set(sessions.sessions);
      this.robotSlots.set(sessions.slots);
      this.storeUp.set(1);
    } catch (err) {
      // the node's own metrics are still worth a scrape; the store's counts are not known
      log?.warn({ err }, "metrics: the store did not answer");
      this.jobs.reset();
      this.queueDepth.reset();
      this.robotSessions.reset();
      this.robotSlots.reset();
      this.storeUp.set(0);
    }
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  close(): void {
    this.unsubscribeClaims();
  }
}
