import { BatonError, badRequest, type Violation } from "../errors.js";
import { isUuid } from "../identifiers.js";
import { resolveDestination, urlProblem, type Resolver } from "./destination.js";
import { WEBHOOK_EVENTS } from "./types.js";

export interface WebhookFields {
  url?: string;
  events?: string[];
  folderKeys?: string[] | null;
  enabled?: boolean;
  description?: string | null;
}

const FIELDS = ["url", "events", "folderKeys", "enabled", "description"];
/** what a fetched subscription carries besides: sent back, ignored */
const READ_ONLY = ["id", "createdAt", "updatedAt", "secretRotatedAt"];

/** The URL's host could not be looked up now (DNS failing for a while, or this node's lookups busy): nothing was written; retry. */
export const WebhookDnsUnavailable = (why: string) =>
  new BatonError(503, "webhook-dns-unavailable", "Service Unavailable", `The webhook's URL could not be checked: ${why}. Nothing was saved; retry shortly.`, {
    headers: { "retry-after": "5" },
  });

/**
 * Reads a subscription's body (`partial`: a PATCH, every field optional), listing every
 * fault at once: `400 invalid-webhook` with `violations`. The URL's host is resolved and
 * every address checked (SSRF), unless private destinations are allowed; a body without faults
 * whose host could not be looked up now is `503 webhook-dns-unavailable` (Retry-After 5).
 */
export async function readWebhookBody(
  input: unknown, partial: boolean, folderExists: (key: string) => Promise<boolean>, ssrf: { resolver: Resolver; allowPrivate: boolean },
): Promise<WebhookFields> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw badRequest("invalid-body", "The body must be a JSON object.");
  const body = input as Record<string, unknown>;
  const problems: Violation[] = [];
  const out: WebhookFields = {};
  /** why the URL's host could not be looked up now (a 503, unless the body has faults of its own) */
  let lookupFailed: string | null = null;
  if (body.url !== undefined || !partial) {
    const problem = urlProblem(body.url);
    if (problem) problems.push({ path: "/url", message: problem });
    else {
      const destination = await resolveDestination(new URL(body.url as string), ssrf.resolver, ssrf.allowPrivate);
      if (!("refused" in destination)) out.url = body.url as string;
      else if (destination.transient) lookupFailed = destination.refused;
      else problems.push({ path: "/url", message: `is refused: ${destination.refused}` });
    }
  }
  if (body.events !== undefined || !partial) {
    const events = body.events;
    const known = [...WEBHOOK_EVENTS, "*"] as string[];
    if (!Array.isArray(events) || events.length === 0 || events.length > known.length) problems.push({ path: "/events", message: `must be a non-empty array of event names: ${known.join(", ")}` });
    else {
      const bad = events.findIndex((e) => typeof e !== "string" || !known.includes(e));
      if (bad !== -1) problems.push({ path: `/events/${bad}`, message: `is not an event; events are ${known.join(", ")}` });
      else out.events = [...new Set(events as string[])];
    }
  }
  if (body.folderKeys !== undefined && body.folderKeys !== null) {
    const keys = body.folderKeys;
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > 100) problems.push({ path: "/folderKeys", message: "must be null (every folder) or an array of 1 to 100 folder keys" });
    else {
      for (const [i, k] of keys.entries()) {
        if (typeof k !== "string" || !isUuid(k) || !(await folderExists(k))) problems.push({ path: `/folderKeys/${i}`, message: "is not the key of a folder of this tenant" });
      }
      if (!problems.some((p) => p.path.startsWith("/folderKeys"))) out.folderKeys = [...new Set(keys as string[])];
    }
  } else if (body.folderKeys === null || !partial) out.folderKeys = null;
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== "boolean") problems.push({ path: "/enabled", message: "must be true or false" });
    else out.enabled = body.enabled;
  } else if (!partial) out.enabled = true;
  if (body.description !== undefined && body.description !== null) {
    if (typeof body.description !== "string" || body.description.length > 500 || body.description.includes("\u0000")) problems.push({ path: "/description", message: "must be a string of at most 500 characters" });
    else out.description = body.description;
  } else if (body.description === null || !partial) out.description = null;
  for (const key of Object.keys(body)) {
    if (!FIELDS.includes(key) && !READ_ONLY.includes(key)) problems.push({ path: `/${key}`, message: `is not a field of a webhook; fields are ${FIELDS.join(", ")}` });
  }
  if (problems.length) throw badRequest("invalid-webhook", problems.map((p) => `${p.path.slice(1)} ${p.message}`).join("; "), { violations: problems });
  if (lookupFailed !== null) throw WebhookDnsUnavailable(lookupFailed);
  return out;
}
