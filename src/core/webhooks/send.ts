import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { hostOf, resolveDestination, type Resolver } from "./destination.js";
import type { WebhookAttempt } from "./types.js";

export interface SendOptions {
  resolver: Resolver;
  allowPrivate: boolean;
  timeoutMs: number;
  /** connections kept per receiver */
  concurrency: number;
}

/**
 * Keep-alive connections, one pool per receiver host and the address checked for it: a
 * connection is only ever reused for the host and address it was opened to after the check,
 * so reuse skips no check that matters, and saves a TCP (and TLS) handshake per delivery.
 */
const agents = new Map<string, HttpAgent>();
const MAX_AGENTS = 256;

function agentFor(protocol: string, host: string, address: string, family: number, concurrency: number): HttpAgent {
  const key = `${protocol}//${host}@${address}`;
  let agent = agents.get(key);
  if (!agent) {
    if (agents.size >= MAX_AGENTS) {
      const [oldKey, old] = agents.entries().next().value!;
      agents.delete(oldKey);
      old.destroy();
    }
    const lookup: LookupFunction = (_host, opts, callback) => {
      if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const options = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: concurrency, maxFreeSockets: concurrency, timeout: 30_000, lookup };
    agent = protocol === "https:" ? new HttpsAgent(options) : new HttpAgent(options);
    agents.set(key, agent);
  }
  return agent;
}

/**
 * One attempt of a delivery: the URL's host resolved and every address checked (so a DNS
 * answer that changed since the subscription was made cannot point a delivery inward), then
 * a POST to the address checked, never to a second lookup's (DNS rebinding). Redirects are
 * not followed (a 3xx is a failed attempt). The whole attempt, connection included, is
 * bounded by `timeoutMs`; the answer's body is read and dropped.
 */
export async function sendOnce(url: string, headers: Record<string, string>, body: string, options: SendOptions, now: () => number, signal?: AbortSignal): Promise<WebhookAttempt> {
  const at = new Date(now()).toISOString();
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): WebhookAttempt =>
    ({ at, statusCode, durationMs: Math.round(performance.now() - started), error });
  const target = new URL(url);
  const destination = await resolveDestination(target, options.resolver, options.allowPrivate);
  if ("refused" in destination) return done(null, `Refused: ${destination.refused}.`);
  const first = destination.addresses[0]!;
  const requestOptions: RequestOptions = {
    method: "POST",
    hostname: hostOf(target),
    port: target.port || undefined,
    path: `${target.pathname}${target.search}`,
    headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "user-agent": "Baton-Webhooks/1" },
    // connects to the address checked above, never to a second lookup's (DNS rebinding)
    agent: agentFor(target.protocol, target.host, first.address, first.family, options.concurrency),
  };
  return new Promise<WebhookAttempt>((resolve) => {
    let settled = false;
    const finish = (attempt: WebhookAttempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      resolve(attempt);
    };
    const req = (target.protocol === "https:" ? httpsRequest : httpRequest)(requestOptions, (res) => {
      const status = res.statusCode ?? null;
      let read = 0;
      res.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > 64 * 1024) res.destroy();
      });
      const end = () => finish(done(status, status !== null && status >= 200 && status < 300 ? null : `The receiver answered ${status}${status !== null && status >= 300 && status < 400 ? " (redirects are not followed)" : ""}.`));
      res.on("end", end);
      res.on("close", end);
      res.on("error", end);
    });
    // real time, not the core's clock: a receiver's slowness is measured in real seconds
    const timer = setTimeout(() => {
      req.destroy();
      finish(done(null, `No answer within ${options.timeoutMs / 1000} s.`));
    }, options.timeoutMs);
    const abort = () => { req.destroy(); finish(done(null, "Cut off: the node stopped.")); };
    if (signal?.aborted) abort();
    else signal?.addEventListener("abort", abort, { once: true });
    req.on("error", (err: NodeJS.ErrnoException) => finish(done(null, `${err.code ?? "Error"}: ${err.message}`)));
    req.end(body);
  });
}
