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
import { DEFAULT_SESSION_OPTIONS, Robots, type SessionOptions } from "./Robots.js";
import type { Store } from "./store.js";
import { Tenancy } from "./Tenancy.js";
import { TimeTriggers } from "./TimeTriggers.js";
import { Users } from "./Users.js";

export interface BatonOptions {
  store: Store;
  notifier?: Notifier;
  org?: string;
  /** the time and timers of the core (leases, backoff, expiry, long-poll timeouts); the system clock by default */
  clock?: Clock;
  maintenanceIntervalMs?: number;
  session?: Partial<SessionOptions>;
  /** failures of background work (maintenance, due work) */
  onError?: (err: unknown) => void;
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
  readonly maintenance: Maintenance;
  /** work that falls due later (a retry's wake-up; webhook deliveries and time triggers next), kept in the store */
  readonly dueWork: DueWorkRunner;
  readonly audit: AuditLog;
  /** cron schedules that start jobs (SPEC §9), fired through the due work */
  readonly timeTriggers: TimeTriggers;
  readonly users: Users;
  readonly clock: Clock;
  /** this node's request counts for the tenants' rate limits */
  readonly rateLimits = new RateLimits();
  /** HMAC key of signed wait URIs; loaded by `init()` */
  signingSecret = "";

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
    this.jobs = new Jobs(this.store, this.notifier, this.tenancy, this.catalog, this.waiters, now);
    this.dueWork = new DueWorkRunner(this.store, clock, options.onError ?? (() => {}));
    this.timeTriggers = new TimeTriggers(this.store, this.catalog, this.jobs, this.dueWork, clock, options.onError ?? (() => {}));
    this.robots = new Robots(this.store, this.notifier, this.tenancy, this.catalog, this.jobs, clock, this.dueWork, { ...DEFAULT_SESSION_OPTIONS, ...options.session }, options.onError);
    this.maintenance = new Maintenance(
      this.store, this.notifier, this.tenancy, this.jobs, this.robots, this.dueWork, now, options.maintenanceIntervalMs ?? 1000,
      options.onError ?? (() => {}), this.org,
    );
  }

  async init(): Promise<void> {
    await this.store.migrate();
    this.signingSecret = await this.store.getOrCreateSecret("signed-uri-hmac", () => randomBytes(32).toString("base64url"));
    this.maintenance.start();
  }

  async close(): Promise<void> {
    await this.maintenance.stop();
    this.waiters.close();
    await this.notifier.close();
    await this.store.close();
  }
}
