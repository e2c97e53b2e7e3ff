import { randomBytes } from "node:crypto";
import { AccessService } from "./Access.js";
import { AuditLog } from "./Audit.js";
import { systemClock, type Clock } from "./Clock.js";
import { Catalog } from "./Catalog.js";
import { DueWorkRunner } from "./DueWork.js";
import { Jobs } from "./Jobs.js";
import { JobWaiters } from "./jobWaiters.js";
import { Maintenance } from "./Maintenance.js";
import { RateLimits } from "./RateLimits.js";
import { AfterCommitNotifier, LocalNotifier, type Notifier } from "./notifier.js";
import { Retries, type RandomSource } from "./Retries.js";
import { DEFAULT_SESSION_OPTIONS, Robots, type SessionOptions } from "./Robots.js";
import type { Store } from "./store.js";
import { Tenancy } from "./Tenancy.js";
import { TimeTriggers } from "./TimeTriggers.js";
import { Users } from "./Users.js";
import { dnsResolver } from "./webhooks/destination.js";
import { WebhookDispatcher, type DispatchOptions } from "./webhooks/WebhookDispatcher.js";
import { WebhookEvents } from "./webhooks/WebhookEvents.js";
import { Webhooks } from "./webhooks/Webhooks.js";

export interface BatonOptions {
  store: Store;
  notifier?: Notifier;
  org?: string;
  /** the time and timers of the core (leases, backoff, expiry, long-poll timeouts); the system clock by default */
  clock?: Clock;
  maintenanceIntervalMs?: number;
  session?: Partial<SessionOptions>;
  /** the jitter of retries' backoff (Retries.ts): a number in [0, 1); Math.random by default */
  random?: RandomSource;
  /** failures of background work (maintenance, due work) */
  onError?: (err: unknown) => void;
  /** webhook deliveries (issue 16): private destinations allowed, timeout, concurrency, resolver */
  webhooks?: Partial<DispatchOptions>;
  /** jobs a page of a job list checked row by row looks at, at most (JOB_LIST_SCAN_ROWS by default) */
  jobListScanRows?: number;
}

/** The core, assembled: every service over one store and one notifier. Knows no HTTP. */
export class Baton {
  readonly store: Store;
  readonly notifier: Notifier;
  readonly org: string;
  readonly tenancy: Tenancy;
  readonly access: AccessService;
  readonly catalog: Catalog;
  readonly waiters: JobWaiters;
  readonly jobs: Jobs;
  readonly robots: Robots;
  /** failed attempts: retried or final (SPEC §8) */
  readonly retries: Retries;
  readonly maintenance: Maintenance;
  /** work that falls due later (a retry's wake-up; webhook deliveries and time triggers next), kept in the store */
  readonly dueWork: DueWorkRunner;
  readonly audit: AuditLog;
  /** cron schedules that start jobs (SPEC §9), fired through the due work */
  readonly timeTriggers: TimeTriggers;
  readonly users: Users;
  readonly clock: Clock;
  /** webhook subscriptions and deliveries (issue 16) */
  readonly webhooks: Webhooks;
  /** this node's request counts for the tenants' rate limits */
  readonly rateLimits = new RateLimits();
  /** HMAC key of signed wait URIs; loaded by `init()` */
  signingSecret = "";
  private readonly maintenanceIntervalMs: number;

  constructor(options: BatonOptions) {
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    const now = () => clock.now();
    this.store = options.store;
    this.notifier = new AfterCommitNotifier(options.notifier ?? new LocalNotifier(), (task) => this.store.afterCommit(task));
    this.org = options.org ?? "default";
    this.tenancy = new Tenancy(this.store, this.notifier, now);
    this.access = new AccessService(this.store, now, this.notifier);
    this.audit = new AuditLog(this.store, now);
    this.users = new Users(this.store, now, this.notifier);
    this.catalog = new Catalog(this.store, now, this.notifier);
    this.waiters = new JobWaiters(this.notifier, (tenantId, key) => this.store.getJob(tenantId, key), clock);
    this.jobs = new Jobs(this.store, this.notifier, this.tenancy, this.catalog, this.waiters, now, options.jobListScanRows);
    this.dueWork = new DueWorkRunner(this.store, clock, options.onError ?? (() => {}));
    // webhooks (issue 16): deliveries are due-work rows this node claims itself, several at once
    const dispatcher = new WebhookDispatcher(this.store, clock, this.dueWork.owner, {
      allowPrivate: false, resolver: dnsResolver, timeoutMs: 10_000, concurrency: 16, ...options.webhooks,
    }, options.onError ?? (() => {}));
    this.webhooks = new Webhooks(this.store, clock, this.notifier, new WebhookEvents(this.store, clock, dispatcher, this.notifier, (job) => this.jobs.withPendingReason(job)), dispatcher);
    this.jobs.webhooks = this.webhooks.events;
    this.timeTriggers = new TimeTriggers(this.store, this.catalog, this.jobs, this.dueWork, clock, options.onError ?? (() => {}));
    this.retries = new Retries(this.store, this.notifier, this.catalog, this.jobs, clock, this.dueWork, options.random);
    this.robots = new Robots(this.store, this.notifier, this.tenancy, this.catalog, this.jobs, clock, this.retries, { ...DEFAULT_SESSION_OPTIONS, ...options.session }, options.onError);
    this.maintenanceIntervalMs = options.maintenanceIntervalMs ?? 1000;
    this.maintenance = new Maintenance(
      this.store, this.notifier, this.tenancy, this.jobs, this.robots, this.dueWork, now, options.maintenanceIntervalMs ?? 1000,
      options.onError ?? (() => {}), this.org,
    );
    this.maintenance.everyTick.push(() => this.access.sweepCaches());
  }

  async init(): Promise<void> {
    await this.store.migrate();
    this.signingSecret = await this.store.getOrCreateSecret("signed-uri-hmac", () => randomBytes(32).toString("base64url"));
    this.maintenance.start();
    this.webhooks.dispatcher.start(this.maintenanceIntervalMs);
  }

  async close(): Promise<void> {
    await this.maintenance.stop();
    await this.webhooks.dispatcher.stop();
    this.waiters.close();
    await this.notifier.close();
    await this.store.close();
  }
}
