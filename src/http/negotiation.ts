/**
 * Whether an `Accept` header prefers an HTML page to JSON: what a browser's address bar
 * sends (`text/html,…,*\/*;q=0.8`) does, what API clients send (`application/json`,
 * `*\/*`, nothing) does not. Each media type takes the quality of the most specific range
 * that matches it (RFC 9110 §12.5.1); HTML must be acceptable and strictly preferred.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.split(",").map((part) => {
    const [type = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    return { type, quality: Number.isFinite(quality) ? quality : 0 };
  });
  const quality = (type: string): number => {
    const [major] = type.split("/");
    const exact = ranges.find((r) => r.type === type);
    if (exact) return exact.quality;
    const sub = ranges.find((r) => r.type === `${major}/*`);
    if (sub) return sub.quality;
    return ranges.find((r) => r.type === "*/*")?.quality ?? 0;
  };
  const html = quality("text/html");
  return html > 0 && html > Math.max(quality("application/json"), quality("application/problem+json"));
}
