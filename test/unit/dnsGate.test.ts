import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/Clock.js";
import { DNS_LOOKUPS_AT_ONCE, DNS_LOOKUP_TIMEOUT_MS, LOOKUPS_BUSY, gatedResolver, resolveDestination, type ResolvedAddress } from "../../src/core/webhooks/destination.js";

/**
 * The DNS gate (destination.ts): the system resolver holds a thread of libuv's pool per
 * lookup, and the same pool runs the WAL's fsyncs. A fake lookup stands in for getaddrinfo:
 * each call is recorded and ends when the test says.
 */
function fakeLookups() {
  const calls: { host: string; answer: (a: ResolvedAddress[]) => void; fail: (err: unknown) => void }[] = [];
  const lookup = (host: string) => new Promise<ResolvedAddress[]>((answer, fail) => { calls.push({ host, answer, fail }); });
  const running = () => calls.map((c) => c.host);
  return { calls, lookup, running };
}

/** the default gate over fake lookups, on a manual clock */
function gateOverFakes() {
  const clock = new ManualClock(0);
  const { calls, lookup, running } = fakeLookups();
  return { clock, calls, running, resolve: gatedResolver(lookup, { clock }) };
}

const flush = () => new Promise((r) => setImmediate(r));
const address = (a: string): ResolvedAddress[] => [{ address: a, family: 4 }];

describe("gatedResolver: DNS never takes the node's thread pool", () => {
  it("runs at most 2 lookups at once by default; the next starts when one ends", async () => {
    expect(DNS_LOOKUPS_AT_ONCE).toBe(2);
    const { clock, calls, running, resolve } = gateOverFakes();
    const a = resolve("a.example");
    const b = resolve("b.example");
    const c = resolve("c.example");
    await flush();
    expect(running()).toEqual(["a.example", "b.example"]);
    calls[1]!.answer(address("203.0.113.2"));
    expect(await b).toEqual(address("203.0.113.2"));
    await flush();
    expect(running()).toEqual(["a.example", "b.example", "c.example"]);
    calls[0]!.answer(address("203.0.113.1"));
    calls[2]!.answer(address("203.0.113.3"));
    expect(await a).toEqual(address("203.0.113.1"));
    expect(await c).toEqual(address("203.0.113.3"));
    // every caller's timer ended with its answer
    expect(clock.pending).toBe(0);
  });

  it("callers asking for a host being looked up share its lookup, answer or error", async () => {
    const { clock, calls, running, resolve } = gateOverFakes();
    const first = resolve("hooks.example");
    const second = resolve("hooks.example");
    await flush();
    expect(running()).toEqual(["hooks.example"]);
    calls[0]!.fail(Object.assign(new Error("getaddrinfo ENOTFOUND hooks.example"), { code: "ENOTFOUND" }));
    await expect(first).rejects.toMatchObject({ code: "ENOTFOUND" });
    await expect(second).rejects.toMatchObject({ code: "ENOTFOUND" });
    // a later call looks the host up again
    const third = resolve("hooks.example");
    await flush();
    expect(running()).toEqual(["hooks.example", "hooks.example"]);
    calls[1]!.answer(address("203.0.113.9"));
    expect(await third).toEqual(address("203.0.113.9"));
    expect(clock.pending).toBe(0);
  });

  it("a caller gives up after 5 s (ETIMEOUT); a lookup that hangs keeps its place until it returns, so hung lookups never hold more than 2 threads", async () => {
    expect(DNS_LOOKUP_TIMEOUT_MS).toBe(5000);
    const { clock, calls, running, resolve } = gateOverFakes();
    const hung1 = resolve("slow-1.example");
    const hung2 = resolve("slow-2.example");
    const queued = resolve("fast.example");
    clock.advance(4999);
    await flush();
    expect(running()).toEqual(["slow-1.example", "slow-2.example"]);
    clock.advance(1);
    await expect(hung1).rejects.toMatchObject({ code: "ETIMEOUT", message: "The lookup of slow-1.example took longer than 5000 ms." });
    await expect(hung2).rejects.toMatchObject({ code: "ETIMEOUT" });
    // the host never looked up: the node's lookups were busy, not its DNS slow
    await expect(queued).rejects.toMatchObject({ code: LOOKUPS_BUSY, message: "The lookup of fast.example took longer than 5000 ms (queued behind 2 lookups)." });
    // both lookups still hold their threads: nothing else started, and the host whose callers
    // all gave up while it waited is never looked up
    const later = resolve("other.example");
    await flush();
    expect(running()).toEqual(["slow-1.example", "slow-2.example"]);
    // a caller for a host still being looked up joins that lookup instead of starting another
    const again = resolve("slow-1.example");
    calls[0]!.answer(address("203.0.113.7"));
    expect(await again).toEqual(address("203.0.113.7"));
    await flush();
    expect(running()).toEqual(["slow-1.example", "slow-2.example", "other.example"]);
    calls[2]!.answer(address("203.0.113.8"));
    expect(await later).toEqual(address("203.0.113.8"));
    calls[1]!.answer(address("203.0.113.6"));
    await flush();
    expect(clock.pending).toBe(0);
  });

  it("a resolver that throws instead of rejecting gives its place back", async () => {
    const clock = new ManualClock(0);
    const resolve = gatedResolver((host) => {
      if (host === "bad.example") throw Object.assign(new Error("thrown"), { code: "EBAD" });
      return Promise.resolve(address("203.0.113.5"));
    }, { clock, atOnce: 1 });
    await expect(resolve("bad.example")).rejects.toMatchObject({ code: "EBAD" });
    await expect(resolve("bad.example")).rejects.toMatchObject({ code: "EBAD" });
    expect(await resolve("good.example")).toEqual(address("203.0.113.5"));
    expect(clock.pending).toBe(0);
  });

  it("a host queued behind busy lookups is refused as busy, not as unresolvable", async () => {
    const clock = new ManualClock(0);
    const { lookup } = fakeLookups();
    const resolve = gatedResolver(lookup, { clock, atOnce: 1, timeoutMs: 100 });
    void resolve("hung.example").catch(() => {});
    const refused = resolveDestination(new URL("https://hooks.example/in"), resolve, false);
    clock.advance(100);
    expect(await refused).toEqual({ refused: `the host hooks.example was not looked up: this node's DNS lookups are busy; retry shortly (${LOOKUPS_BUSY})`, transient: true });
  });

  it("a destination whose lookup times out is refused for now (transient), with the reason", async () => {
    const clock = new ManualClock(0);
    const { lookup } = fakeLookups();
    const resolve = gatedResolver(lookup, { clock, timeoutMs: 100 });
    const refused = resolveDestination(new URL("https://slow.example/hooks"), resolve, false);
    clock.advance(100);
    expect(await refused).toEqual({ refused: "the host slow.example could not be looked up now; retry shortly (ETIMEOUT)", transient: true });
  });

  it("DNS failing for now is transient; a name that does not exist, a lookup error of any other kind or no address is the URL's fault", async () => {
    const failing = (code: string) => async (): Promise<ResolvedAddress[]> => { throw Object.assign(new Error(code), { code }); };
    const url = new URL("https://hooks.example/in");
    for (const code of ["EAI_AGAIN", "ETIMEOUT", "ETIMEDOUT", "ESERVFAIL", "ECONNREFUSED", "EREFUSED"]) {
      expect(await resolveDestination(url, failing(code), false), code).toEqual({ refused: `the host hooks.example could not be looked up now; retry shortly (${code})`, transient: true });
    }
    for (const code of ["ENOTFOUND", "ENODATA", "EBADNAME"]) {
      expect(await resolveDestination(url, failing(code), false), code).toEqual({ refused: `the host hooks.example could not be resolved (${code})` });
    }
    expect(await resolveDestination(url, async () => [], false)).toEqual({ refused: "the host hooks.example has no address" });
  });
});
