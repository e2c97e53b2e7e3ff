import { BatonError } from "./errors.js";
import type { Principal, TenantSettings, Trigger } from "./types.js";

/** A bucket untouched this long has refilled completely (any limit refills in a minute): forgetting it changes nothing. */
const IDLE_MS = 60_000;
/** evicted per call at most, so a call stays O(1) */
const EVICT_PER_CALL = 2;

interface Bucket {
  tokens: number;
  /** when `tokens` was last brought up to date (ms of the limiter's clock) */
  at: number;
}

/**
 * Token buckets in memory, one per key: `perMinute` requests at once, refilled at
 * `perMinute` per minute. Buckets are kept in last-use order, so those idle for a minute
 * are found at the front and dropped as new calls come; `maxBuckets` bounds the memory
 * whatever the traffic. Per node: every node counts on its own.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: () => number = () => performance.now(), private readonly maxBuckets = 100_000) {}

  /** Takes one request from `key`'s bucket: 0 when allowed, else the whole seconds (≥ 1) until one is available. */
  take(key: string, perMinute: number): number {
    const now = this.clock();
    const perMs = perMinute / 60_000;
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
      bucket.tokens = Math.min(perMinute, bucket.tokens + Math.max(0, now - bucket.at) * perMs);
      bucket.at = now;
    } else {
      bucket = { tokens: perMinute, at: now };
    }
    this.buckets.set(key, bucket);
    this.evict(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    for (let i = 0; i < EVICT_PER_CALL; i++) {
      const oldest = this.buckets.entries().next().value;
      if (!oldest) return;
      const [key, bucket] = oldest;
      if (now - bucket.at < IDLE_MS && this.buckets.size <= this.maxBuckets) return;
      this.buckets.delete(key);
    }
  }
}

export const RateLimited = (retryAfterSeconds: number, limitedBy: "token" | "trigger", limitPerMinute: number) =>
  new BatonError(429, "rate-limited", "Too Many Requests",
    `This ${limitedBy} may make ${limitPerMinute} request${limitPerMinute === 1 ? "" : "s"} a minute; retry in ${retryAfterSeconds} s.`, {
      headers: { "retry-after": String(retryAfterSeconds) },
      extra: { limitedBy, limitPerMinute, retryAfterSeconds },
    });

/**
 * The tenant settings `rateLimitPerTokenPerMinute` (every authenticated request of a
 * token in the tenant) and `rateLimitPerTriggerPerMinute` (invocations of one trigger);
 * 0 is unlimited and costs nothing.
 */
export class RateLimits {
  constructor(private readonly buckets: TokenBuckets = new TokenBuckets()) {}

  /**
   * Throws 429 rate-limited when the token has used up its requests in this tenant. An
   * external application's access tokens share one bucket: a new token is no way around it.
   */
  checkToken(principal: Principal, settings: TenantSettings): void {
    const limit = settings.rateLimitPerTokenPerMinute;
    const who = principal.clientId ?? principal.tokenId;
    if (!limit || !who) return;
    const wait = this.buckets.take(`k\n${principal.tenantId}\n${who}`, limit);
    if (wait) throw RateLimited(wait, "token", limit);
  }

  /** Throws 429 rate-limited when the trigger has been invoked its number of times. */
  checkTrigger(trigger: Trigger, settings: TenantSettings): void {
    const limit = settings.rateLimitPerTriggerPerMinute;
    if (!limit) return;
    const wait = this.buckets.take(`t\n${trigger.id}`, limit);
    if (wait) throw RateLimited(wait, "trigger", limit);
  }
}
