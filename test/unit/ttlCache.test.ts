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
