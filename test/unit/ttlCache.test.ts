import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AccessService } from "../../src/core/Access.js";
import { LocalNotifier } from "../../src/core/notifier.js";
import type { Store, TokenRecord } from "../../src/core/store.js";
import { hashToken } from "../../src/core/tokenSecrets.js";
import { TtlCache } from "../../src/core/TtlCache.js";
import type { RobotKey, Tenant } from "../../src/core/types.js";

beforeEach(() => { vi.useFakeTimers({ toFake: ["Date"] }); vi.setSystemTime(new Date("2026-12-07T12:00:00Z")); });
afterEach(() => { vi.useRealTimers(); });

describe("TtlCache", () => {
  it("forgets an entry after its TTL", () => {
    const cache = new TtlCache<number>(1000);
    cache.set("a", 1);
    vi.advanceTimersByTime(999);
    expect(cache.get("a")).toBe(1);
    vi.advanceTimersByTime(1);
    expect(cache.get("a")).toBeUndefined();
  });

  it("full, drops its oldest entry only (it emptied itself whole: every key read again at each wrap)", () => {
    const cache = new TtlCache<number>(60_000, 3);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    cache.set("d", 4);
    expect([cache.get("a"), cache.get("b"), cache.get("c"), cache.get("d")]).toEqual([undefined, 2, 3, 4]);
    expect(cache.size).toBe(3);
    // a key set again is the newest: the next to go is b
    cache.set("b", 20);
    cache.set("e", 5);
    expect([cache.get("b"), cache.get("c"), cache.get("d"), cache.get("e")]).toEqual([20, undefined, 4, 5]);
    expect(cache.size).toBe(3);
  });
});

describe("TtlCache, expired entries", () => {
  it("sweep drops the expired entries, oldest first, and keeps the live ones", () => {
    const cache = new TtlCache<number>(1000);
    cache.set("a", 1);
    vi.advanceTimersByTime(500);
    cache.set("b", 2);
    vi.advanceTimersByTime(100);
    cache.set("a", 10); // set again: now the newest, until 1,600
    vi.advanceTimersByTime(400);
    cache.set("c", 3);
    vi.advanceTimersByTime(500);
    cache.sweep();
    // at 1,500: b (until 1,500) went; a (1,600) and c (2,000) stay
    expect(cache.size).toBe(2);
    expect([cache.get("b"), cache.get("a"), cache.get("c")]).toEqual([undefined, 10, 3]);
  });

  it("full, drops the expired entries before any live one, then the oldest sixteenth at once", () => {
    const cache = new TtlCache<number>(1000, 32);
    for (let i = 0; i < 16; i++) cache.set(`old${i}`, i);
    vi.advanceTimersByTime(1000);
    for (let i = 0; i < 16; i++) cache.set(`live${i}`, i);
    cache.set("new", 1);
    // the 16 expired went, no live one
    expect(cache.size).toBe(17);
    for (let i = 0; i < 15; i++) cache.set(`more${i}`, i);
    expect(cache.size).toBe(32);
    cache.set("over", 1);
    // full of live entries: the oldest two (32 / 16) went
    expect(cache.size).toBe(31);
    expect([cache.get("live0"), cache.get("live1"), cache.get("live2"), cache.get("over")]).toEqual([undefined, undefined, 2, 1]);
  });
});

describe("AccessService's caches of credentials", () => {
  const tenant = { id: "t1", org: "default", name: "DefaultTenant" } as Tenant;
  const robotKey = { id: "rk1", tenantId: "t1", name: "robot", folderKeys: null, revokedAt: null } as unknown as RobotKey;
  const tokenRecord = {
    token: { id: "pat1", userId: null, name: "pat", scopes: ["OR.Jobs"], revokedAt: null, expiresAt: null },
    tenant, orgAdmin: false, user: null,
  } as unknown as TokenRecord;

  /** the store's two lookups by hash, counted (the rest of the store is not used by these paths) */
  function access() {
    const reads = { tokens: [] as string[], robotKeys: [] as string[] };
    const state = { robotKey: robotKey as RobotKey | null };
    const store = {
      findTokenByHash: async (hash: string) => { reads.tokens.push(hash); return hash === hashToken("baton_pat_x") ? tokenRecord : null; },
      findRobotKeyByHash: async (hash: string) => { reads.robotKeys.push(hash); return hash === hashToken("baton_rk_x") ? state.robotKey : null; },
      touchToken: async () => {},
      markTokenUsed: async () => {},
    } as unknown as Store;
    return { service: new AccessService(store, () => new Date(), new LocalNotifier()), reads, state };
  }

  it("reads a token once for repeated requests, by its hash, and a wrong one every time", async () => {
    const { service, reads } = access();
    for (let i = 0; i < 3; i++) expect((await service.authenticate(tenant, "Bearer baton_pat_x")).tokenId).toBe("pat1");
    expect(reads.tokens).toEqual([hashToken("baton_pat_x")]);
    await expect(service.authenticate(tenant, "Bearer baton_pat_y")).rejects.toMatchObject({ status: 401 });
    await expect(service.authenticate(tenant, "Bearer baton_pat_y")).rejects.toMatchObject({ status: 401 });
    expect(reads.tokens).toHaveLength(3);
  });

  it("sweepCaches drops the secrets whose 10 s are over (a maintenance tick calls it)", async () => {
    const { service } = access();
    await service.authenticate(tenant, "Bearer baton_pat_x");
    await service.authenticateRobot(tenant, "Bearer baton_rk_x");
    const sizes = () => [(service as unknown as { tokens: TtlCache<unknown> }).tokens.size, (service as unknown as { robotKeys: TtlCache<unknown> }).robotKeys.size];
    service.sweepCaches();
    expect(sizes()).toEqual([1, 1]);
    vi.advanceTimersByTime(10_000);
    service.sweepCaches();
    expect(sizes()).toEqual([0, 0]);
  });

  it("a robot key used every second is read again 10 s after it was read: a revocation whose event was missed counts within 10 s", async () => {
    const { service, reads, state } = access();
    expect((await service.authenticateRobot(tenant, "Bearer baton_rk_x")).robotKeyId).toBe("rk1");
    // revoked on another node, its event lost: the cached key is used until its entry expires
    state.robotKey = { ...robotKey, revokedAt: "2026-12-07T12:00:01Z" } as RobotKey;
    for (let s = 1; s < 10; s++) {
      vi.advanceTimersByTime(1000);
      expect((await service.authenticateRobot(tenant, "Bearer baton_rk_x")).robotKeyId).toBe("rk1");
    }
    expect(reads.robotKeys).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    await expect(service.authenticateRobot(tenant, "Bearer baton_rk_x")).rejects.toMatchObject({ status: 401, code: "unauthorized" });
    expect(reads.robotKeys).toEqual([hashToken("baton_rk_x"), hashToken("baton_rk_x")]);
  });
});
