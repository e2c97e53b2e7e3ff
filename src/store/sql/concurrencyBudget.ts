import type { RunningCount } from "../../core/store.js";
import type { Row } from "./Executor.js";
import { numOrNull, str, strOrNull } from "./rows.js";

/**
 * What a claim may still start under concurrency limits (SPEC §9), for the limited processes
 * a session serves: SQLite's claim, inside its one write transaction. (PostgreSQL's claim
 * does the same in SQL, one statement per round, after locking the processes' rows:
 * src/store/postgres/claimQueries.ts.)
 *
 * 1. the running jobs of those processes are counted (`RunningCount`s) into a budget;
 * 2. Pending jobs are read in claim order (priority, then age), leaving out the processes and
 *    the keys that are full (`fullProcesses`, `fullKeys`): a busy key is skipped over in the
 *    query itself, so it never starves the keys behind it;
 * 3. each job read is admitted while its process and key have room (`admit`); the admitted
 *    ones are claimed (set Running) before the next read, so a next read never sees them.
 *    The first job of every read is admitted (its buckets were not full), so there are at
 *    most as many reads as jobs claimed, plus one.
 *
 * Jobs of processes without limits are admitted as they come. A key identifies a bucket as
 * `folderKey/processName` and `folderKey/processName/concurrencyKey` (neither a folder key, a
 * UUID, nor a process name contains '/'), the text the claims' queries compare.
 */
export interface ProcessLimits {
  folderKey: string;
  name: string;
  maxConcurrentJobs: number | null;
  maxConcurrentJobsPerKey: number | null;
}

/** the limits of a process row (folder_key, name, max_concurrent_jobs, max_concurrent_jobs_per_key) */
export function limitsFromRow(r: Row): ProcessLimits {
  return {
    folderKey: str(r.folder_key), name: str(r.name), maxConcurrentJobs: numOrNull(r.max_concurrent_jobs),
    maxConcurrentJobsPerKey: numOrNull(r.max_concurrent_jobs_per_key),
  };
}

/** a candidate job as the budget needs it */
export interface Candidate {
  folderKey: string;
  processName: string;
  concurrencyKey: string | null;
}

export function candidateFromRow(r: Row): Candidate {
  return { folderKey: str(r.folder_key), processName: str(r.process_name), concurrencyKey: strOrNull(r.concurrency_key) };
}

const processBucket = (folderKey: string, processName: string) => `${folderKey}/${processName}`;
const keyBucket = (folderKey: string, processName: string, key: string) => `${folderKey}/${processName}/${key}`;

export class ConcurrencyBudget {
  private readonly limits = new Map<string, ProcessLimits>();
  private readonly running = new Map<string, number>();
  /** each key bucket's process bucket */
  private readonly processOf = new Map<string, string>();

  constructor(limits: readonly ProcessLimits[], counts: readonly RunningCount[]) {
    for (const l of limits) this.limits.set(processBucket(l.folderKey, l.name), l);
    for (const c of counts) {
      const p = processBucket(c.folderKey, c.processName);
      if (!this.limits.has(p)) continue;
      this.add(p, c.count);
      if (c.concurrencyKey !== null) this.addKey(p, keyBucket(c.folderKey, c.processName, c.concurrencyKey), c.count);
    }
  }

  private add(bucket: string, n: number): void {
    this.running.set(bucket, (this.running.get(bucket) ?? 0) + n);
  }

  private addKey(process: string, bucket: string, n: number): void {
    this.processOf.set(bucket, process);
    this.add(bucket, n);
  }

  /** Whether the job may start now; if so, it is counted. */
  admit(c: Candidate): boolean {
    const p = processBucket(c.folderKey, c.processName);
    const limits = this.limits.get(p);
    if (!limits) return true;
    if (limits.maxConcurrentJobs !== null && (this.running.get(p) ?? 0) >= limits.maxConcurrentJobs) return false;
    const k = c.concurrencyKey === null || limits.maxConcurrentJobsPerKey === null ? null : keyBucket(c.folderKey, c.processName, c.concurrencyKey);
    if (k !== null && (this.running.get(k) ?? 0) >= limits.maxConcurrentJobsPerKey!) return false;
    this.add(p, 1);
    if (k !== null) this.addKey(p, k, 1);
    return true;
  }

  /** `folderKey/processName` of the limited processes with no room left */
  fullProcesses(): string[] {
    return [...this.limits.entries()].filter(([p, l]) => l.maxConcurrentJobs !== null && (this.running.get(p) ?? 0) >= l.maxConcurrentJobs).map(([p]) => p);
  }

  /** `folderKey/processName/key` of the keys with no room left */
  fullKeys(): string[] {
    const full: string[] = [];
    for (const [bucket, process] of this.processOf) {
      const n = this.running.get(bucket) ?? 0;
      const limits = this.limits.get(process);
      if (limits?.maxConcurrentJobsPerKey != null && n >= limits.maxConcurrentJobsPerKey) full.push(bucket);
    }
    return full;
  }
}
