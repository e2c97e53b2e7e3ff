import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { systemClock, type Clock } from "../Clock.js";

/** An address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to its addresses (every one of them): DNS by default; tests inject their own. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** the system's resolver, one call: getaddrinfo, on libuv's thread pool */
const systemLookup: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** system lookups (getaddrinfo) running at once, at most: 2 of the thread pool's threads (8 as `baton` starts it, Node's 4 otherwise) */
export const DNS_LOOKUPS_AT_ONCE = 2;
/** longest a caller waits for a host's addresses, queued and looking up: 5 s */
export const DNS_LOOKUP_TIMEOUT_MS = 5_000;
/** the code of a caller's timeout while its lookup was still queued: the node's lookups were busy, not the host's DNS slow */
export const LOOKUPS_BUSY = "ELOOKUPSBUSY";

/**
 * A resolver that keeps DNS from taking the node's thread pool. The system resolver blocks a
 * thread of libuv's pool (8 as `baton` starts it, Node's 4 otherwise) for as long as a lookup takes, and a host whose name
 * servers do not answer takes seconds per try; the same pool runs the WAL's fsyncs, which
 * every acknowledged write waits for (walSync.ts), and the file system. Unbounded, a
 * tenant's webhooks to such hosts (a delivery resolves its host at every attempt, 16 at once)
 * would hold every thread, and every answer of the node would wait for them. So: at most
 * `atOnce` lookups run at once, callers asking for a host already being looked up share its
 * lookup, and a caller gives up after `timeoutMs` (ETIMEOUT: a delivery attempt that fails
 * and is retried, a subscription refused with the reason). A lookup still running when its
 * callers gave up keeps its place until it returns: the bound holds for the threads, not
 * only for the callers.
 */
export function gatedResolver(
  lookupHost: Resolver, { atOnce = DNS_LOOKUPS_AT_ONCE, timeoutMs = DNS_LOOKUP_TIMEOUT_MS, clock = systemClock }: { atOnce?: number; timeoutMs?: number; clock?: Clock } = {},
): Resolver {
  let running = 0;
  /** lookups waiting for a place, in order, each by its host */
  const waiting: string[] = [];
  /** each host's lookup, from its call to its end (waiting or running) and its callers */
  const lookups = new Map<string, { callers: Set<Caller>; running: boolean }>();
  type Caller = { resolve: (a: ResolvedAddress[]) => void; reject: (err: unknown) => void; cancel: () => void };

  const start = (host: string) => {
    running++;
    lookups.get(host)!.running = true;
    const settle = (outcome: { addresses: ResolvedAddress[] } | { error: unknown }) => {
      running--;
      const entry = lookups.get(host);
      lookups.delete(host);
      for (const c of entry?.callers ?? []) {
        c.cancel();
        if ("addresses" in outcome) c.resolve(outcome.addresses);
        else c.reject(outcome.error);
      }
      next();
    };
    // a resolver that throws instead of rejecting settles the same way (its place is given back)
    Promise.resolve().then(() => lookupHost(host)).then((addresses) => settle({ addresses }), (error: unknown) => settle({ error }));
  };
  /** the next waiting lookups, as places free up */
  const next = () => {
    while (running < atOnce && waiting.length) start(waiting.shift()!);
  };

  return (hostname) => new Promise<ResolvedAddress[]>((resolve, reject) => {
    let entry = lookups.get(hostname);
    const fresh = !entry;
    if (!entry) lookups.set(hostname, (entry = { callers: new Set(), running: false }));
    const mine = entry;
    const caller: Caller = {
      resolve, reject,
      cancel: clock.setTimeout(() => {
        mine.callers.delete(caller);
        // a lookup that never started, now without callers, leaves the queue at once
        if (!mine.running && mine.callers.size === 0 && lookups.get(hostname) === mine) {
          lookups.delete(hostname);
          waiting.splice(waiting.indexOf(hostname), 1);
        }
        reject(Object.assign(new Error(`The lookup of ${hostname} took longer than ${timeoutMs} ms${mine.running ? "" : ` (queued behind ${atOnce} lookups)`}.`), {
          code: mine.running ? "ETIMEOUT" : LOOKUPS_BUSY,
        }));
      }, timeoutMs, { unref: true }),
    };
    mine.callers.add(caller);
    if (fresh) {
      waiting.push(hostname);
      next();
    }
  });
}

/** The system's resolver, gated (gatedResolver): the default of every node. */
export const dnsResolver: Resolver = gatedResolver(systemLookup);

/**
 * Destinations a webhook may not reach unless the installation allows private ones
 * (BATON_WEBHOOKS_ALLOW_PRIVATE): this host, its network and the cloud's metadata service.
 * "This network", loopback, RFC 1918, CGNAT, link-local (169.254.169.254), IETF protocol
 * assignments, documentation and benchmarking nets, multicast and reserved; in IPv6 the
 * unspecified and loopback addresses, unique local (fc00::/7), link-local, site-local,
 * multicast and documentation. IPv4 inside IPv6 (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d,
 * NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by its IPv4 address.
 */
const refused = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12], ["192.0.0.0", 24],
  ["192.0.2.0", 24], ["192.88.99.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) refused.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["fec0::", 10], ["ff00::", 8], ["2001:db8::", 32], ["100::", 64],
] as const) refused.addSubnet(net, prefix, "ipv6");

/** the IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any */
function embeddedIpv4(v6: string): string | null {
  const groups = expandIpv6(v6);
  if (!groups) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zero(0, 5) && (groups[5] === 0xffff || groups[5] === 0) && !(groups[5] === 0 && zero(6, 8))) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return null;
}

function expandIpv6(v6: string): number[] | null {
  let text = v6.toLowerCase().split("%")[0]!;
  // a dotted tail (::ffff:1.2.3.4) becomes two groups
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (s: string) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/** Why an address may not be reached (a sentence), or null when it may. */
export function refusedAddress(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return refused.check(address, "ipv4") ? `${address} is a loopback, private, link-local or reserved address` : null;
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4 !== null && refused.check(v4, "ipv4")) return `${address} carries the loopback, private, link-local or reserved address ${v4}`;
    return refused.check(address, "ipv6") ? `${address} is a loopback, unique-local, link-local or reserved address` : null;
  }
  return `${address} is not an IP address`;
}

/** The URL's problem as a webhook destination before any lookup: its scheme, credentials, host. Null when fine. */
export function urlProblem(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 2000) return "must be an absolute http or https URL of at most 2000 characters";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute http or https URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must be an http or https URL, not ${url.protocol.slice(0, -1)}`;
  if (url.username || url.password) return "must not carry credentials (user:password@); authenticate the deliveries by their signature";
  if (!url.hostname) return "must name a host";
  if (url.hash) return "must not have a fragment (#…)";
  return null;
}

/** the host of a URL as a name to resolve or an address (IPv6 without its brackets) */
export function hostOf(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Lookup errors that say nothing about the host, only about DNS now: a temporary failure of the
 * name servers (getaddrinfo's EAI_AGAIN, c-ares' ESERVFAIL, a refused or timed-out query), a
 * caller's own timeout (ETIMEOUT) or the node's lookups busy (ELOOKUPSBUSY). A host that does
 * not exist (ENOTFOUND) or has no address is a bad URL; these are not.
 */
const TRANSIENT_LOOKUP_ERRORS = new Set(["EAI_AGAIN", "ETIMEOUT", "ETIMEDOUT", "ESERVFAIL", "ECONNREFUSED", "EREFUSED", LOOKUPS_BUSY]);

/**
 * Resolves the URL's host and checks every address (an attacker's DNS may answer a public
 * address and a private one): the addresses to connect to, or the reason the URL is refused.
 * With `allowPrivate` every address is accepted. `transient`: the host could not be looked up
 * now (TRANSIENT_LOOKUP_ERRORS), which says nothing of the URL: a subscription's write answers
 * 503 (retry), a delivery's attempt fails as any refused one does (retried on its schedule).
 */
export async function resolveDestination(url: URL, resolver: Resolver, allowPrivate: boolean): Promise<{ addresses: ResolvedAddress[] } | { refused: string; transient?: true }> {
  const host = hostOf(url);
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal) addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await resolver(host);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === LOOKUPS_BUSY) return { refused: `the host ${host} was not looked up: this node's DNS lookups are busy; retry shortly (${code})`, transient: true };
      if (code !== undefined && TRANSIENT_LOOKUP_ERRORS.has(code)) return { refused: `the host ${host} could not be looked up now; retry shortly (${code})`, transient: true };
      return { refused: `the host ${host} could not be resolved (${code ?? String(err)})` };
    }
    if (addresses.length === 0) return { refused: `the host ${host} has no address` };
  }
  if (!allowPrivate) {
    for (const a of addresses) {
      const why = refusedAddress(a.address);
      if (why) return { refused: `${literal ? "" : `${host} resolves to `}${why}; set BATON_WEBHOOKS_ALLOW_PRIVATE=true to allow private destinations` };
    }
  }
  return { addresses };
}
