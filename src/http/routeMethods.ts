/**
 * Which methods each registered URL pattern answers, so that a request the router did not
 * match can be told apart: a path no route has (404 route-not-found) from a known path
 * called with a method it lacks (405 method-not-allowed with `Allow`). Filled by an
 * onRoute hook (server.ts) with every route Fastify registers, the HEAD routes it adds for
 * GET ones and the tenant's CORS preflight (`OPTIONS …/orchestrator_/*`) included.
 *
 * Patterns are matched the way Fastify's router (find-my-way) matches the ones Baton uses:
 * static segments, `:param` (one non-empty segment) and a trailing `*` (the rest).
 */
export class RouteMethods {
  private readonly patterns = new Map<string, { segments: string[]; methods: Set<string> }>();

  add(method: string, url: string): void {
    let entry = this.patterns.get(url);
    if (!entry) {
      entry = { segments: url.split("/"), methods: new Set() };
      this.patterns.set(url, entry);
    }
    entry.methods.add(method.toUpperCase());
  }

  /**
   * The methods a path answers (in a stable order), or null when no route has the path.
   * A route that answers only OPTIONS (the CORS preflight, which covers every path of a
   * tenant) does not make a path known, but adds OPTIONS where the path is known.
   */
  allowed(path: string): string[] | null {
    const segments = path.split("/");
    const methods = new Set<string>();
    let known = false;
    for (const pattern of this.patterns.values()) {
      if (!matches(pattern.segments, segments)) continue;
      for (const m of pattern.methods) {
        methods.add(m);
        if (m !== "OPTIONS") known = true;
      }
    }
    return known ? [...methods].sort(byOrder) : null;
  }
}

function matches(pattern: string[], path: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === "*" && i === pattern.length - 1) return path.length >= pattern.length;
    const s = path[i];
    if (s === undefined) return false;
    if (p.startsWith(":")) {
      if (s === "") return false;
      continue;
    }
    if (p !== s && p !== safeDecode(s)) return false;
  }
  return path.length === pattern.length;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const rank = (m: string) => {
  const i = ORDER.indexOf(m);
  return i === -1 ? ORDER.length : i;
};

function byOrder(a: string, b: string): number {
  return rank(a) - rank(b) || a.localeCompare(b);
}
